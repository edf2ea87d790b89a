"""Factories and parsers for the agenda, feed and API tests.

Reused from ``tests/events/conftest.py``: ``site``, ``create_event`` (a
published workshop a week from today, 14:00–16:00 Paris time),
``create_child``, ``insert_registration``, ``register_as``, ``run``, and the
helpers ``at(day, "14:00")`` / ``local_day(offset)``.

Here:

- ``clock`` (for every test): the clock of the validator's row (fablab/agenda/cache.py)
  stopped at 1000.0, so that a row is reused between two requests however slow the
  machine; a test ages it with ``clock[0] += seconds``.
- ``create_slot(day=None, start="14:00", end="18:00", on_site=None, **fields)``
- ``create_resource(slug=None, on_site=None)``: a machine of the site.
- ``insert_booking(resource, member, day, start, end, status="confirmed", **fields)``
- ``insert_loan(member, due_on, name="Perceuse", **fields)``: an item and its open loan.
- ``feed_token(user)``: the user's personal feed token (created if needed).
- ``parse(body)``: the feed parsed by BOTH icalendar and vobject; returns
  ``{uid: icalendar VEVENT}`` after checking that vobject reads the same UIDs,
  start times (as instants) and statuses.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import icalendar
import pytest
import vobject

from tests.events.conftest import (at, create_child, create_event,  # noqa: F401
                                   insert_registration, register_as, site)
from tests.support.db_helpers import local_day, run, save  # noqa: F401

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    from fablab.agenda import cache

    now = [1000.0]
    monkeypatch.setattr(cache, "_clock", lambda: now[0])
    return now


@pytest.fixture
def create_slot(app, site):
    from fablab.booking.models import OpenSlot

    def factory(day: date | None = None, start="14:00", end="18:00", on_site=None, **fields):
        day = day or local_day(3)
        with app.app_context():
            return save(OpenSlot(site_id=(on_site or site).id, starts_at=at(day, start),
                                 ends_at=at(day, end), capacity=fields.pop("capacity", 10),
                                 **fields))

    return factory


@pytest.fixture
def create_resource(app, site):
    from fablab.machines.models import Resource

    def factory(slug=None, on_site=None, **fields):
        n = next(_counter)
        with app.app_context():
            name = fields.pop("name", f"Laser {n}")
            return save(Resource(site_id=(on_site or site).id, name=name,
                                 slug=slug or f"laser-{n}", **fields))

    return factory


@pytest.fixture
def insert_booking(app):
    from fablab.booking.models import Booking

    def factory(resource, member, day: date, start="14:00", end="15:00", status="confirmed",
                **fields):
        with app.app_context():
            return save(Booking(resource_id=resource.id, member_id=member.id,
                                starts_at=at(day, start), ends_at=at(day, end), status=status,
                                **fields))

    return factory


@pytest.fixture
def insert_loan(app, site):
    from fablab.loans.models import Item, Loan

    def factory(member, due_on: date, name="Perceuse", **fields):
        n = next(_counter)
        with app.app_context():
            item = save(Item(code=f"OBJ-9{n:03d}", site_id=site.id, name=name,
                             status="on_loan"))
            return save(Loan(item_id=item.id, member_id=member.id, due_on=due_on, **fields))

    return factory


@pytest.fixture
def feed_token(app):
    from fablab.accounts.models import User
    from fablab.agenda.services import feed_of, regenerate_token
    from fablab.extensions import db

    def get(user) -> str:
        with app.test_request_context():
            loaded = db.session.get(User, user.id)
            feed = feed_of(loaded) or regenerate_token(loaded)
            token = feed.token
            db.session.commit()
            return token

    return get


def parse(body: bytes | str) -> dict[str, icalendar.Event]:
    """Parse with icalendar and, independently, with vobject; both must agree."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    calendar = icalendar.Calendar.from_ical(text)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == len(calendar.walk("VEVENT")), "duplicate UIDs"
    other = vobject.readOne(text)
    seen = {}
    for vevent in getattr(other, "vevent_list", []):
        seen[vevent.uid.value] = (vevent.dtstart.value, vevent.status.value)
    assert set(seen) == set(events)
    for uid, event in events.items():
        start, status = seen[uid]
        assert start == event.decoded("DTSTART"), uid
        assert status == str(event["STATUS"]), uid
    return events


def local_start(event: icalendar.Event):
    """DTSTART as given in the feed: (wall-clock 'HH:MM', TZID)."""
    start = event["DTSTART"]
    return start.dt.strftime("%H:%M"), start.params.get("TZID")


def dst_sunday(month: int) -> date:
    """A last Sunday of ``month`` (3 or 10: a DST change in Europe) such that the
    Sundays a week before and after it are inside the feed's window (30 days
    back, 365 ahead): there is always one, whatever today is."""
    today = local_day(0)
    for year in range(today.year - 1, today.year + 2):
        first_next = date(year + (month == 12), month % 12 + 1, 1)
        day = first_next - timedelta(days=1)
        while day.isoweekday() != 7:
            day -= timedelta(days=1)
        if day - timedelta(days=7) > today - timedelta(days=28) and \
                day + timedelta(days=7) < today + timedelta(days=363):
            return day
    raise AssertionError("no DST Sunday in the window")
