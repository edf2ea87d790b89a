"""Factories for the service tests of bookings, slots and machines.

Every factory opens its own ``with app.app_context():``, commits, and returns a
detached object (its columns loaded), like ``tests/conftest.py``'s factories.
Times are aware UTC datetimes computed from the site's LOCAL wall-clock time
(Europe/Paris) with ``at(day, "14:00")``, so that daylight-saving changes never
shift a booking off its step.

- ``create_training(name=None, validity_months=None)``
- ``create_resource(site, training=None, **fields)``: a machine by default.
- ``grant(member, training, granted_at=None, revoked=False)``: a training grant
  written directly (expires ``validity_months`` after ``granted_at``).
- ``create_slot(site, starts_at, ends_at, capacity=12, cancelled=False)``
- ``insert_booking(resource, member, starts_at, ends_at, **fields)``: a booking
  written directly, bypassing the service (only the database guard applies).
- ``run(fn, **objects)``: calls ``fn`` inside a request context (English, so
  that messages can be matched), with each given detached object reloaded in
  the session under the same name; commits, or rolls back and re-raises.
- ``book_as(resource, member, starts_at, ends_at, by=None, **request_fields)``:
  ``booking.services.book`` through ``run``.
- ``lab``: a site, a training, two machines needing it, a member (``member``
  fixture) with a membership and the training, a staff member, and an open
  slot on ``lab.day`` (the day after tomorrow) 10:00–18:00 for 12 people.
- ``trained_member(**fields)``: another member with a membership and the lab's
  training.

The machines tests import these fixtures from here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from fablab.booking.services import local_to_utc
from fablab.core.timeutil import utcnow
from fablab.extensions import db as _db
from tests.support.db_helpers import PARIS, local_day, save
from tests.support.db_helpers import run  # noqa: F401  (the fixture, shared)

_counter = itertools.count(1)


def at(day: date, hhmm: str) -> datetime:
    """The site's local wall-clock time ``hhmm`` on ``day``, as aware UTC."""
    hours, minutes = map(int, hhmm.split(":"))
    return local_to_utc(day, time(hours, minutes), PARIS)


@pytest.fixture
def create_training(app):
    from fablab.machines.models import Training

    def factory(name=None, validity_months=None, description=""):
        n = next(_counter)
        with app.app_context():
            training = Training(name=name or f"Training {n}", description=description,
                                validity_months=validity_months)
            return save(training)

    return factory


@pytest.fixture
def create_resource(app):
    from fablab.machines.models import Resource

    def factory(site, training=None, **fields):
        n = next(_counter)
        values = {"kind": "machine", "name": f"Machine {n}", "slug": f"machine-{n}",
                  "granularity_minutes": 30, "min_duration_minutes": 30,
                  "max_duration_minutes": 240}
        values.update(fields)
        with app.app_context():
            resource = Resource(site_id=site.id,
                                training_id=training.id if training is not None else None,
                                **values)
            return save(resource)

    return factory


@pytest.fixture
def grant(app):
    from fablab.machines.models import Training, TrainingGrant

    def factory(member, training, granted_at=None, revoked=False):
        with app.app_context():
            months = _db.session.get(Training, training.id).validity_months
            granted_at = granted_at or utcnow() - timedelta(days=1)
            record = TrainingGrant(
                member_id=member.id, training_id=training.id, granted_at=granted_at,
                expires_at=granted_at + relativedelta(months=months) if months else None,
                revoked_at=utcnow() if revoked else None)
            return save(record)

    return factory


@pytest.fixture
def create_slot(app):
    from fablab.booking.models import OpenSlot

    def factory(site, starts_at, ends_at, capacity=12, cancelled=False, **fields):
        with app.app_context():
            slot = OpenSlot(site_id=site.id, starts_at=starts_at, ends_at=ends_at,
                            capacity=capacity, cancelled_at=utcnow() if cancelled else None,
                            **fields)
            return save(slot)

    return factory


@pytest.fixture
def insert_booking(app):
    """A booking written directly, bypassing every rule of the service."""
    from fablab.booking.models import Booking

    def factory(resource, member, starts_at, ends_at, status="confirmed", slot=None, **fields):
        with app.app_context():
            booking = Booking(resource_id=resource.id, member_id=member.id,
                              slot_id=slot.id if slot is not None else None,
                              starts_at=starts_at, ends_at=ends_at, status=status, **fields)
            return save(booking)

    return factory


@pytest.fixture
def book_as(run):
    from fablab.booking.services import BookingRequest, book

    def booker(resource, member, starts_at, ends_at, by=None, **request_fields):
        def go(resource, member, by=None):
            return book(BookingRequest(resource=resource, member=member, starts_at=starts_at,
                                       ends_at=ends_at, by=by, **request_fields))

        return run(go, resource=resource, member=member, by=by)

    return booker


@dataclass
class Lab:
    site: object
    training: object
    machine: object
    other_machine: object
    member: object
    staff: object
    day: date
    slot: object


@pytest.fixture
def lab(create_site, create_training, create_resource, create_membership, grant, create_slot,
        member, staff):
    site = create_site()
    training = create_training(name="Laser cutter")
    machine = create_resource(site, training, name="Laser cutter")
    other_machine = create_resource(site, training, name="Second laser cutter")
    create_membership(member)
    grant(member, training)
    day = local_day(2)
    slot = create_slot(site, at(day, "10:00"), at(day, "18:00"), capacity=12)
    return Lab(site=site, training=training, machine=machine, other_machine=other_machine,
               member=member, staff=staff, day=day, slot=slot)


@pytest.fixture
def trained_member(lab, create_member, create_membership, grant):
    def factory(**fields):
        someone = create_member(**fields)
        create_membership(someone)
        grant(someone, lab.training)
        return someone

    return factory
