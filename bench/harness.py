"""What every benchmark shares: a fresh database with the schema, timings, and the
record of every figure against its target (written to bench/RESULTS.md by run.py)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from fablab import _sqlalchemy_url, create_app


def database_kind() -> str:
    return "postgresql" if os.environ.get("FABLAB_BENCH_DATABASE_URL") else "sqlite"


def fresh_database_url() -> str:
    """An empty database: a new SQLite file, or FABLAB_BENCH_DATABASE_URL emptied."""
    url = os.environ.get("FABLAB_BENCH_DATABASE_URL")
    if not url:
        folder = tempfile.mkdtemp(prefix="fablab-bench-")
        return f"sqlite:///{folder}/bench.sqlite"
    engine = create_engine(_sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def bench_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "bench-secret-key",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "log",
        "BASE_URL": "http://localhost",
    }


def emptied_database_url(url: str) -> str:
    """The database at ``url`` without any table (a SQLite file is deleted)."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return url
    engine = create_engine(_sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def bench_app(database_url: str | None = None, reset: bool = False) -> Flask:
    """An app on an empty database whose schema comes from the migrations.

    ``database_url`` names a database (emptied first when ``reset``); by default a
    new SQLite file, or FABLAB_BENCH_DATABASE_URL emptied."""
    if database_url and reset:
        database_url = emptied_database_url(database_url)
    app = create_app(bench_config(database_url or fresh_database_url()))
    with app.app_context():
        upgrade()
    return app


@dataclass
class Result:
    name: str
    value: float
    target: float
    unit: str
    higher_is_better: bool

    @property
    def ok(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


@dataclass
class Harness:
    """Collects measurements and compares them with their targets."""

    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def record(self, name: str, value: float, target: float, unit: str = "ms",
               higher_is_better: bool = False) -> float:
        result = Result(name, value, target, unit, higher_is_better)
        self.results.append(result)
        sign = "≥" if higher_is_better else "≤"
        print(f"{'ok' if result.ok else 'MISS':4}  {name}: {value:.1f} {unit} "
              f"(target {sign} {target:g} {unit})", flush=True)
        return value

    def note(self, text_: str) -> None:
        self.notes.append(text_)
        print(f"      {text_}", flush=True)

    def measure(self, name: str, target_ms: float, action: Callable[[], object],
                repeat: int = 7, warmup: int = 1) -> float:
        """Run ``action`` ``repeat`` times; record the median in ms."""
        for _ in range(warmup):
            action()
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            action()
            timings.append((time.perf_counter() - start) * 1000)
        return self.record(name, statistics.median(timings), target_ms)

    @property
    def failed(self) -> list[str]:
        return [result.name for result in self.results if not result.ok]

_fresh_database_url = fresh_database_url  # the name the first benchmarks used
