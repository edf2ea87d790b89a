"""Real app servers for the resilience tests: gunicorn processes on loopback,
in production mode (CSRF on, rate limits on), sharing one PostgreSQL database
and one Redis, and a browser that sends the CSRF token like a real one.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fablab import _sqlalchemy_url, create_app
from fablab.extensions import db as _db
from tests.conftest import base_config
from tests.support.live_server import Browser, Response

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("FABLAB_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("FABLAB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "resilience-" + "x" * 40
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def fresh_database(suffix: str) -> str:
    """An empty PostgreSQL database next to the test one, with the migrations' schema."""
    url = make_url(_sqlalchemy_url(PG_URL))
    name = f"{url.database}_{suffix}"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    database_url = url.set(drivername="postgresql", database=name).render_as_string(
        hide_password=False)
    app = create_app(base_config(database_url))
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    return database_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen
    log: Path

    def errors(self) -> list[str]:
        """The tracebacks the server logged."""
        return [line for line in self.log.read_text(errors="replace").splitlines()
                if "Traceback" in line]


@contextmanager
def gunicorn(database_url: str, tmp_path: Path, workers: int = 2,
             **settings: str) -> Iterator[Server]:
    """A gunicorn serving wsgi:app on a free port, until the block ends."""
    port = free_port()
    log = tmp_path / f"gunicorn-{port}.log"
    env = {**os.environ, "FABLAB_DATABASE_URL": database_url, "FABLAB_SECRET_KEY": SECRET,
           "FABLAB_REDIS_URL": REDIS_URL, "FABLAB_BASE_URL": f"http://127.0.0.1:{port}",
           "FABLAB_MAIL_BACKEND": "log", "FABLAB_UPLOAD_DIR": str(tmp_path / "uploads"),
           # as in production, e-mails wait for the worker (no delivery inside requests)
           "FABLAB_OUTBOX_IN_PROCESS": "false",
           **{f"FABLAB_{key}": value for key, value in settings.items()}}
    env.pop("FLASK_DEBUG", None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", "4",
             "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "5",
             "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(server: Server, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError("gunicorn stopped:\n" + server.log.read_text())
        try:
            with urllib.request.urlopen(server.base_url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise AssertionError("gunicorn did not answer:\n" + server.log.read_text())


@contextmanager
def two_servers(database_url: str, tmp_path: Path, **settings: str) -> Iterator[list[Server]]:
    """Two gunicorn instances on two ports, one database, one Redis, one key prefix."""
    settings.setdefault("RATELIMIT_KEY_PREFIX", f"resilience-{uuid.uuid4().hex}")
    with ExitStack() as stack:
        yield [stack.enter_context(gunicorn(database_url, tmp_path, **settings))
               for _ in range(2)]


class FormBrowser(Browser):
    """A browser that sends the CSRF token of the last page it read, as a form does."""

    csrf_token = ""

    def request(self, path: str, data: dict | None = None) -> Response:
        if data is not None:
            if not self.csrf_token:
                self.request("/")
            data = {"csrf_token": self.csrf_token, **data}
        response = super().request(path, data)
        found = CSRF.search(response.body)
        if found:
            self.csrf_token = found.group(1)
        return response

    def log_in(self, email: str, password: str) -> Response:
        self.request("/login")
        return self.request("/login", {"email": email, "password": password})
