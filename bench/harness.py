"""What every benchmark shares: a fresh database with the schema, and timings."""

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


def _fresh_database_url() -> str:
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


def _emptied(url: str) -> str:
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


def bench_app(database_url: str | None = None, reset: bool = True) -> Flask:
    """An app on an empty database whose schema comes from the migrations.

    By default a new SQLite file, or ``FABLAB_BENCH_DATABASE_URL`` emptied first;
    ``database_url`` names another database, emptied first unless ``reset`` is false
    (then it is only brought up to the latest migration)."""
    if database_url is None:
        url = _fresh_database_url()
    elif reset:
        url = _emptied(database_url)
    else:
        url = database_url
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "bench-secret-key",
        "DATABASE_URL": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "log",
        "BASE_URL": "http://localhost",
    })
    with app.app_context():
        upgrade()
    return app


@dataclass
class Harness:
    """Collects measurements and compares them with their targets."""

    results: list[tuple[str, float, float]] = field(default_factory=list)

    def measure(self, name: str, target_ms: float, action: Callable[[], object],
                repeat: int = 7, warmup: int = 1) -> float:
        """Run ``action`` ``repeat`` times; record and print the median in ms."""
        for _ in range(warmup):
            action()
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            action()
            timings.append((time.perf_counter() - start) * 1000)
        median = statistics.median(timings)
        self.results.append((name, median, target_ms))
        verdict = "ok" if median <= target_ms else "SLOW"
        print(f"{verdict:4}  {name}: {median:.1f} ms (target {target_ms:g} ms)", flush=True)
        return median

    @property
    def failed(self) -> list[str]:
        return [name for name, median, target in self.results if median > target]
