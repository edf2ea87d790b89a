"""Data for the booking journeys, written straight to the live database.

Each helper opens the live app's context, commits, and returns plain values
(ids, slugs, dates) so that tests never hold objects of a closed session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from fablab.extensions import db as _db

ZONE_NAME = "Europe/Paris"


@dataclass
class Machine:
    id: int
    slug: str
    name: str
    site_id: int
    training_id: int | None


@dataclass
class Slot:
    id: int
    day: date
    start: time
    end: time


def training(app, name: str, validity_months: int | None = None) -> int:
    """The id of the training of this name, created when missing (names are unique
    and the e2e database lives for the whole session)."""
    from fablab.machines.models import Training

    with app.app_context():
        found = _db.session.scalar(select(Training).where(Training.name == name))
        if found is None:
            found = Training(name=name, description="", validity_months=validity_months)
            _db.session.add(found)
            _db.session.commit()
        return found.id


def machine(app, site_id: int, name: str, training_id: int | None = None,
            **fields) -> Machine:
    """A bookable machine with a unique slug (steps of 30 minutes, 30 min to 4 h)."""
    from fablab.machines.models import Resource

    slug = f"e2e-{uuid.uuid4().hex[:10]}"
    with app.app_context():
        resource = Resource(site_id=site_id, kind="machine", name=name, slug=slug,
                            category=fields.pop("category", "Impression 3D"),
                            summary=fields.pop("summary", "Imprimante à dépôt de fil."),
                            training_id=training_id, **fields)
        _db.session.add(resource)
        _db.session.commit()
        return Machine(resource.id, slug, name, site_id, training_id)


def open_slot(app, site_id: int, day: date, start: time, end: time,
              capacity: int = 12) -> Slot:
    """An open slot on a day, in the site's local time (Europe/Paris)."""
    from zoneinfo import ZoneInfo

    from fablab.booking.models import OpenSlot
    from fablab.booking.services import local_to_utc

    zone = ZoneInfo(ZONE_NAME)
    with app.app_context():
        slot = OpenSlot(site_id=site_id, starts_at=local_to_utc(day, start, zone),
                        ends_at=local_to_utc(day, end, zone), capacity=capacity)
        _db.session.add(slot)
        _db.session.commit()
        return Slot(slot.id, day, start, end)


def slot_now(app, site_id: int, capacity: int = 12) -> tuple[int, datetime, datetime]:
    """An open slot going on now: from the start of the current hour, for three
    hours. Returns its id, start and end (UTC)."""
    from fablab.booking.models import OpenSlot

    starts_at = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    ends_at = starts_at + timedelta(hours=3)
    with app.app_context():
        slot = OpenSlot(site_id=site_id, starts_at=starts_at, ends_at=ends_at, capacity=capacity)
        _db.session.add(slot)
        _db.session.commit()
        return slot.id, starts_at, ends_at


def booking(app, machine: Machine, member_id: int, slot_id: int, starts_at: datetime,
            ends_at: datetime, status: str = "confirmed") -> int:
    """A booking inserted straight into the database (no rule checked, no e-mail)."""
    from fablab.booking.models import Booking

    with app.app_context():
        row = Booking(resource_id=machine.id, member_id=member_id, slot_id=slot_id,
                      starts_at=starts_at, ends_at=ends_at, status=status,
                      created_by_id=member_id)
        _db.session.add(row)
        _db.session.commit()
        return row.id


def bookings_of(app, member_id: int, resource_id: int | None = None) -> list[dict]:
    """The member's bookings as dicts (status, local times, check-in)."""
    from fablab.booking.models import Booking

    with app.app_context():
        stmt = select(Booking).where(Booking.member_id == member_id).order_by(Booking.id)
        if resource_id is not None:
            stmt = stmt.where(Booking.resource_id == resource_id)
        return [{"id": b.id, "status": b.status, "starts_at": b.starts_at, "ends_at": b.ends_at,
                 "checked_in": b.checked_in_at is not None}
                for b in _db.session.scalars(stmt)]


def has_standing_grant(app, member_id: int, training_id: int) -> bool:
    from fablab.machines.models import TrainingGrant

    with app.app_context():
        return _db.session.scalar(select(TrainingGrant.id).where(
            TrainingGrant.member_id == member_id, TrainingGrant.training_id == training_id,
            TrainingGrant.revoked_at.is_(None))) is not None


def series_slots(app, site_id: int, first_day: date, last_day: date) -> list:
    """The start (UTC) of each slot a series made at a site between two days (local)."""
    from zoneinfo import ZoneInfo

    from fablab.booking.models import OpenSlot
    from fablab.booking.services import local_to_utc

    zone = ZoneInfo(ZONE_NAME)
    with app.app_context():
        return _db.session.scalars(select(OpenSlot.starts_at).where(
            OpenSlot.site_id == site_id, OpenSlot.series_id.is_not(None),
            OpenSlot.starts_at >= local_to_utc(first_day, time.min, zone),
            OpenSlot.starts_at < local_to_utc(last_day + timedelta(days=1), time.min, zone))
            .order_by(OpenSlot.starts_at)).all()


def local_today() -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(ZONE_NAME)).date()


def count_weekdays(first_day: date, last_day: date, isoweekday: int) -> int:
    return sum(1 for n in range((last_day - first_day).days + 1)
               if (first_day + timedelta(days=n)).isoweekday() == isoweekday)


def no_sideways_scroll(page, width: int = 390) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways on a phone: {scroll}px wide"
