"""The demo loads at any moment of the year, all or nothing.

Its dates are placed relative to the moment it is loaded (fablab/core/demo.py).
These tests load it under a frozen clock at every hour of one week and at the
awkward moments of a year — while the weekly club runs, the nights the clocks
change, the end of a season, the summer, New Year, a 29 February — and check
what a newcomer would find.

The demo needs the reference rows the migrations seed (item conditions, repair
categories), which the other tests' cleanup deletes: it gets a database of its
own, migrated once per module (its own schema on PostgreSQL); each load is
rolled back.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import upgrade
from freezegun import freeze_time
from sqlalchemy import create_engine, func, select, text

from fablab import _sqlalchemy_url, create_app
from fablab.extensions import db as _db
from tests.conftest import base_config

PARIS = ZoneInfo("Europe/Paris")
SCHEMA = "demo_sweep"


def paris(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=PARIS)


# Awkward moments, in Paris time.
AWKWARD = {
    "wednesday-club-running": paris("2026-12-02T14:19"),  # the moment
    "saturday-repair-cafe-running": paris("2026-12-05T15:00"),
    "before-christmas-closure": paris("2026-12-19T18:00"),
    "new-year-eve": paris("2026-12-31T23:30"),
    "new-year": paris("2027-01-01T00:30"),
    "29-february": paris("2028-02-29T11:00"),
    "spring-forward-night": datetime(2027, 3, 28, 1, 30, tzinfo=timezone.utc),
    "spring-forward-eve": paris("2027-03-27T23:30"),
    "fall-back-first-2:30": datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc),
    "fall-back-second-2:30": datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc),
    "six-weeks-before-season-end": paris("2027-05-19T20:00"),
    "season-last-evening": paris("2027-06-30T23:30"),
    "summer-first-hour": paris("2027-07-01T00:30"),
    "mid-july": paris("2027-07-15T10:00"),
    "season-eve": paris("2027-08-31T23:30"),
    "season-first-hour": paris("2027-09-01T00:30"),
    "first-wednesday-of-season": paris("2027-09-01T15:00"),
}
# Also run on PostgreSQL (each load takes a few seconds there).
ON_BOTH = ("wednesday-club-running", "new-year", "fall-back-second-2:30", "mid-july",
           "season-first-hour")
WEEK_START = paris("2026-11-30T00:00")  # a Monday
# Every hour of the week in CI (.ci/run sets FABLAB_DEMO_SWEEP=hourly); elsewhere the
# hours around each day's turn and the afternoon workshops, to keep `make test` quick.
# Within a day the demo's dates depend only on the date: the hours matter where "now"
# meets the workshops' times, which these straddle.
SWEEP_HOURS = (range(24) if os.environ.get("FABLAB_DEMO_SWEEP") == "hourly"
               else (0, 14, 23))


def _migrated_app(url: str, tmp_path):
    app = create_app({**base_config(url), "UPLOAD_DIR": str(tmp_path / "uploads")})
    with app.app_context():
        upgrade()
    return app


def _schema_url(url: str) -> str:
    """The PostgreSQL test database with a schema of its own as the only one on the path
    (with public on it too, Alembic would find the suite's alembic_version there)."""
    engine = create_engine(_sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{SCHEMA}"


@pytest.fixture(scope="module")
def sqlite_demo_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo")
    return _migrated_app(f"sqlite:///{path / 'demo.sqlite'}", path)


@pytest.fixture(scope="module")
def demo_app(database_url, tmp_path_factory):
    """A migrated database of the session's engine (SQLite, then PostgreSQL)."""
    path = tmp_path_factory.mktemp("demo")
    if database_url.startswith("postgresql"):
        app = _migrated_app(_schema_url(database_url), path)
        yield app
        with app.app_context():
            _db.engine.dispose()
        engine = create_engine(_sqlalchemy_url(database_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()
    else:
        yield _migrated_app(f"sqlite:///{path / 'demo.sqlite'}", path)


def load_and_check(app, moment: datetime) -> None:
    from fablab.demo import load_demo

    with freeze_time(moment, tick=True), app.app_context():
        try:
            load_demo()
            _db.session.flush()
            assert_demo_holds(moment.astimezone(timezone.utc))
        finally:
            _db.session.rollback()


def assert_demo_holds(now: datetime) -> None:
    """What a newcomer finds, whatever the moment."""
    from fablab.accounts.models import User
    from fablab.booking.models import OpenSlot
    from fablab.core.models import OutboxMessage
    from fablab.events.models import Event, Registration
    from fablab.memberships.services import is_active_member

    session = _db.session
    member = session.scalar(select(User).where(User.email == "member@example.org"))
    assert is_active_member(member)
    # No registration to an event under way: registrations of started events are
    # the history of events that are over.
    under_way = session.scalar(select(func.count(Registration.id)).join(Event).where(
        Event.starts_at <= now, Event.ends_at > now))
    assert under_way == 0
    upcoming = session.scalars(select(Event).where(
        Event.starts_at > now, Event.status == "published")).all()
    kinds = {event.kind for event in upcoming}
    assert {"club", "repair_cafe", "training", "workshop", "talk"} <= kinds

    def statuses(event: Event) -> list[str]:
        return sorted(session.scalars(select(Registration.status).where(
            Registration.event_id == event.id)))

    kids = next(e for e in upcoming if e.title.startswith("Atelier enfants"))
    assert statuses(kids) == ["confirmed", "confirmed", "waitlisted"]
    first_club_session = min((e for e in upcoming if e.kind == "club"), key=lambda e: e.starts_at)
    assert statuses(first_club_session) == ["confirmed", "confirmed"]
    soon = now + timedelta(days=30)
    assert session.scalar(select(func.count(OpenSlot.id)).where(
        OpenSlot.starts_at > now, OpenSlot.starts_at < soon,
        OpenSlot.cancelled_at.is_(None))) > 0
    assert session.scalar(select(func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize("name", ON_BOTH)
def test_demo_loads_on_both_databases(demo_app, name):
    load_and_check(demo_app, AWKWARD[name])


@pytest.mark.parametrize("name", [name for name in AWKWARD if name not in ON_BOTH])
def test_demo_loads_at_awkward_moments(sqlite_demo_app, name):
    load_and_check(sqlite_demo_app, AWKWARD[name])


@pytest.mark.parametrize("day", range(7), ids=["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
def test_demo_loads_every_hour_of_a_week(sqlite_demo_app, monkeypatch, day):
    """Each hour (see SWEEP_HOURS) of one day of the week. The documented projects are left out here
    (their only date is a publication a few days before now, and their images make
    them most of a load's time); the other tests load them."""
    monkeypatch.setattr("fablab.demo.load_projects_demo", lambda *args: None)
    for hour in SWEEP_HOURS:
        load_and_check(sqlite_demo_app, WEEK_START + timedelta(days=day, hours=hour, minutes=19))


def test_the_demo_command_loads_everything_or_nothing(tmp_path, monkeypatch):
    from fablab.accounts.models import User

    app = _migrated_app(f"sqlite:///{tmp_path / 'demo.sqlite'}", tmp_path)
    runner = app.test_cli_runner()

    def broken(*args):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("fablab.demo.load_desk_demo", broken)  # where load_demo looks it up
    with freeze_time(AWKWARD["wednesday-club-running"], tick=True), app.app_context():
        result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 1
    assert "Nothing was written: the database is still empty" in result.output
    assert "the disk is full" in result.output
    with app.app_context():
        assert _db.session.scalar(select(func.count(User.id))) == 0

    monkeypatch.undo()
    with freeze_time(AWKWARD["wednesday-club-running"], tick=True), app.app_context():
        result = runner.invoke(args=["demo", "--if-empty"])
        assert result.exit_code == 0, result.output
        assert "Demo data loaded" in result.output
    with app.app_context():
        again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "already has data" in again.output
    with app.app_context():
        assert _db.session.scalar(select(func.count(User.id))) == 17
        _db.engine.dispose()
