"""Back up and restore the whole application: its database and its upload folder.

A backup is one ``.tar.gz`` file holding ``database.sqlite`` (SQLite's online backup,
consistent while the app runs) or ``database.pgdump`` (``pg_dump`` custom format), and
``uploads/``, the configured upload folder. Restoring replaces both.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from fablab.extensions import db

SQLITE_NAME = "database.sqlite"
POSTGRES_NAME = "database.pgdump"


class BackupError(Exception):
    """A backup or a restore that could not be done; the message says why."""


def _database(app: Flask) -> tuple[str, str]:
    """The engine's dialect name and what its tools need: a file path or a libpq URL."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("An in-memory SQLite database cannot be backed up.")
        return "sqlite", url.database
    if url.get_backend_name() == "postgresql":
        return "postgresql", url.set(drivername="postgresql").render_as_string(hide_password=False)
    raise BackupError(f"No backup method for {url.get_backend_name()}.")


def _run(command: list[str]) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed (the PostgreSQL client tools).") from error
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def _sqlite_copy(source: str, target: str) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def backup(app: Flask, archive: Path) -> Path:
    """Write the database and the uploads into ``archive`` (a .tar.gz); return its path."""
    kind, location = _database(app)
    uploads = Path(app.config["UPLOAD_DIR"])
    with tempfile.TemporaryDirectory() as work:
        if kind == "sqlite":
            dump = Path(work) / SQLITE_NAME
            _sqlite_copy(location, str(dump))
        else:
            dump = Path(work) / POSTGRES_NAME
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={dump}", location])
        archive.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(dump, arcname=dump.name)
            if uploads.is_dir():
                tar.add(uploads, arcname="uploads")
    return archive


def restore(app: Flask, archive: Path) -> None:
    """Replace the database and the uploads with those of ``archive``."""
    kind, location = _database(app)
    if not archive.is_file():
        raise BackupError(f"No backup at {archive}.")
    with tempfile.TemporaryDirectory() as work:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(work, filter="data")
        except (tarfile.TarError, OSError) as error:
            raise BackupError(f"{archive} is not a backup of this application: {error}") from error
        expected = Path(work) / (SQLITE_NAME if kind == "sqlite" else POSTGRES_NAME)
        if not expected.is_file():
            raise BackupError(f"{archive} holds no {expected.name}: it was made from another "
                              "kind of database.")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if kind == "sqlite":
            _sqlite_copy(str(expected), location)
        else:
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                  "--single-transaction", f"--dbname={location}", str(expected)])
        uploads = Path(app.config["UPLOAD_DIR"])
        saved = Path(work) / "uploads"
        if uploads.exists():
            shutil.rmtree(uploads)
        if saved.is_dir():
            shutil.copytree(saved, uploads)
