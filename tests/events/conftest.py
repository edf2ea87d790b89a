"""Factories for the tests of events, registrations and series.

Every factory opens its own ``with app.app_context():``, commits, and returns a
detached object (its columns loaded), like ``tests/conftest.py``'s factories.
Times are aware UTC datetimes computed from the site's LOCAL wall-clock time
(Europe/Paris) with ``at(day, "14:00")``.

- ``create_event(site=None, day=None, start="14:00", end="16:00", **fields)``:
  a published workshop for everyone, 10 seats, on ``day`` (a week from today
  by default); ``starts_at``/``ends_at`` may be given instead.
- ``create_child(guardian, birth_year, first_name=None)``
- ``create_training(name=None, validity_months=None)``
- ``insert_registration(event, member, child=None, status="confirmed", **fields)``:
  a registration written directly, bypassing the service (only the database
  guards apply).
- ``run(fn, **objects)``: calls ``fn`` inside a request context (English), each
  given detached object reloaded in the session under the same name; commits,
  or rolls back and re-raises.
- ``register_as(event, member, child=None, by=None)``: ``events.services.register``
  through ``run``.
- ``db_state()``: the number of rows of every table, to check that a refusal
  wrote nothing.
- ``registrations_of(event)``: ``[(participant_key, status)]`` in id order.

Helpers to import: ``PARIS``, ``local_day``, ``at``, ``local`` (a UTC moment in
Paris time) and ``key(member, child=None)`` (a participant key).
"""

from __future__ import annotations

import functools
import itertools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.support.db_helpers import PARIS, local_day, row_counts, save
from tests.support.db_helpers import run  # noqa: F401  (the fixture, shared)

_counter = itertools.count(1)


def at(day: date, hhmm: str) -> datetime:
    """The site's local wall-clock time ``hhmm`` on ``day``, as aware UTC."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=PARIS).astimezone(ZoneInfo("UTC"))


def local(moment: datetime) -> datetime:
    return moment.astimezone(PARIS)


@pytest.fixture
def site(create_site):
    return create_site()


@pytest.fixture
def create_event(app, site):
    from fablab.events.models import Event

    def factory(on_site=None, day: date | None = None, start="14:00", end="16:00", **fields):
        n = next(_counter)
        day = day or local_day(7)
        values = {"kind": "workshop", "audience": "everyone", "title": f"Workshop {n}",
                  "slug": f"workshop-{n}", "starts_at": at(day, start), "ends_at": at(day, end),
                  "capacity": 10, "status": "published"}
        values.update(fields)
        with app.app_context():
            event = Event(site_id=(on_site or site).id, **values)
            return save(event)

    return factory


@pytest.fixture
def create_child(app):
    from fablab.accounts.models import Child

    def factory(guardian, birth_year: int, first_name=None):
        n = next(_counter)
        with app.app_context():
            child = Child(guardian_id=guardian.id, first_name=first_name or f"Child {n}",
                          birth_year=birth_year)
            return save(child)

    return factory


@pytest.fixture
def create_training(app):
    from fablab.machines.models import Training

    def factory(name=None, validity_months=None):
        n = next(_counter)
        with app.app_context():
            training = Training(name=name or f"Training {n}", description="",
                                validity_months=validity_months)
            return save(training)

    return factory


@pytest.fixture
def insert_registration(app):
    """A registration written directly, bypassing every rule of the service."""
    from fablab.events.models import Registration

    def factory(event, member, child=None, status="confirmed", **fields):
        with app.app_context():
            registration = Registration(
                event_id=event.id, member_id=member.id,
                child_id=child.id if child is not None else None,
                participant_key=f"c:{child.id}" if child is not None else f"m:{member.id}",
                status=status, **fields)
            return save(registration)

    return factory


@pytest.fixture
def register_as(run):
    from fablab.events.services import Participant, register

    def registrar(event, member, child=None, by=None):
        return run(lambda event, member, child, by: register(event, Participant(member, child),
                                                              by=by),
                   event=event, member=member, child=child, by=by)

    return registrar


@pytest.fixture
def db_state(db):
    """The number of rows of every table (a refusal must leave it unchanged)."""

    return functools.partial(row_counts, db.session)


@pytest.fixture
def registrations_of(db):
    from fablab.events.models import Registration

    def listing(event) -> list[tuple[str, str]]:
        db.session.expire_all()
        return [(r.participant_key, r.status) for r in db.session.scalars(
            select(Registration).where(Registration.event_id == event.id)
            .order_by(Registration.id))]

    return listing


def key(member, child=None) -> str:
    return f"c:{child.id}" if child is not None else f"m:{member.id}"

