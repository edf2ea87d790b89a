"""`flask backup` and `flask restore`: a backup restored into an empty database finds the same data."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from fablab import _sqlalchemy_url, create_app
from fablab.extensions import db as _db
from tests.conftest import base_config


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A second, empty database on the same engine as the test database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    url = make_url(_sqlalchemy_url(database_url))
    name = f"{url.database}_restore"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def _members(app) -> list[tuple[str, str]]:
    from fablab.accounts.models import User

    with app.app_context():
        rows = _db.session.execute(select(User.name, User.email).order_by(User.email)).all()
        _db.session.remove()
    return [tuple(row) for row in rows]


def test_a_backup_restored_into_an_empty_database_has_the_same_data(
        make_app, create_member, empty_database_url, tmp_path):
    source = make_app(UPLOAD_DIR=str(tmp_path / "uploads"))
    create_member(name="Awa Diallo", email="awa@example.org")
    create_member(name="Bruno Petit", email="bruno@example.org")
    (tmp_path / "uploads" / "ab").mkdir(parents=True)
    (tmp_path / "uploads" / "ab" / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    archive = tmp_path / "saved" / "fablab.tar.gz"

    result = source.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert archive.is_file()

    target = create_app({**base_config(empty_database_url),
                         "UPLOAD_DIR": str(tmp_path / "restored-uploads")})
    result = target.test_cli_runner().invoke(args=["restore", "--yes", str(archive)])
    assert result.exit_code == 0, result.output

    assert _members(target) == [("Awa Diallo", "awa@example.org"),
                                ("Bruno Petit", "bruno@example.org")]
    assert (tmp_path / "restored-uploads" / "ab" / "photo.jpg").read_bytes() == b"\xff\xd8 a photo"
    with target.app_context():
        # The restored schema is the migrations' head: the app can go on upgrading from it.
        version = _db.session.scalar(text("SELECT version_num FROM alembic_version"))
        upgrade()
        assert _db.session.scalar(text("SELECT version_num FROM alembic_version")) == version
        _db.engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(app, tmp_path):
    bogus = tmp_path / "notes.tar.gz"
    bogus.write_text("not an archive")
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code != 0
    assert "is not a backup of this application" in result.output


def test_restore_asks_for_confirmation(app, tmp_path, create_member):
    create_member(email="kept@example.org")
    archive = tmp_path / "b.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    create_member(email="later@example.org")
    result = app.test_cli_runner().invoke(args=["restore", str(archive)], input="n\n")
    assert result.exit_code != 0
    # Declined: the member created after the backup is still there.
    assert [email for _, email in _members(app)] == ["kept@example.org", "later@example.org"]
