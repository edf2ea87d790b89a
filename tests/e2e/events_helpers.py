"""Data for the events journeys, written straight to the live database.

As in booking_helpers, each helper opens the live app's context, commits, and
returns plain values (ids, slugs, statuses), never objects of a closed session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select

from fablab.extensions import db as _db
from tests.e2e.booking_helpers import ZONE_NAME, local_today


@dataclass
class Event:
    id: int
    slug: str
    title: str
    day: date


def child(app, guardian_id: int, first_name: str, age_on: date, age: int) -> int:
    """A child declared by a member, ``age`` years old on the day ``age_on`` (the
    app counts ages in years of birth: the event's year minus the birth year)."""
    from fablab.accounts.models import Child

    with app.app_context():
        row = Child(guardian_id=guardian_id, first_name=first_name,
                    birth_year=age_on.year - age)
        _db.session.add(row)
        _db.session.commit()
        return row.id


def event(app, site_id: int, title: str, in_days: int, capacity: int = 12,
          kind: str = "workshop", audience: str = "everyone", min_age: int | None = None,
          max_age: int | None = None, training_ids: list[int] | None = None,
          status: str = "published", start: time = time(14), end: time = time(17)) -> Event:
    """An event ``in_days`` days from today, from ``start`` to ``end`` (Paris),
    with a unique slug."""
    from zoneinfo import ZoneInfo

    from fablab.booking.services import local_to_utc
    from fablab.events.models import Event as EventRow
    from fablab.machines.models import Training

    zone = ZoneInfo(ZONE_NAME)
    day = local_today() + timedelta(days=in_days)
    slug = f"e2e-{uuid.uuid4().hex[:10]}"
    with app.app_context():
        row = EventRow(site_id=site_id, title=title, slug=slug, kind=kind, audience=audience,
                       min_age=min_age, max_age=max_age, capacity=capacity, status=status,
                       summary="", description="",
                       starts_at=local_to_utc(day, start, zone),
                       ends_at=local_to_utc(day, end, zone))
        if training_ids:
            row.trainings = _db.session.scalars(
                select(Training).where(Training.id.in_(training_ids))).all()
        _db.session.add(row)
        _db.session.commit()
        return Event(row.id, slug, title, day)


def registrations(app, event_id: int) -> list[dict]:
    """Every registration of an event, oldest first, as dicts."""
    from fablab.events.models import Registration

    with app.app_context():
        rows = _db.session.scalars(select(Registration).where(
            Registration.event_id == event_id).order_by(Registration.id))
        return [{"id": r.id, "member_id": r.member_id, "child_id": r.child_id,
                 "status": r.status, "attended": r.attended_at is not None} for r in rows]


def live_statuses(app, event_id: int) -> dict[tuple[int, int | None], str]:
    """(member id, child id) → status, for the live (confirmed or waitlisted) registrations."""
    return {(r["member_id"], r["child_id"]): r["status"]
            for r in registrations(app, event_id) if r["status"] != "cancelled"}


def event_by_title(app, title: str) -> dict | None:
    from fablab.events.models import Event as EventRow

    with app.app_context():
        row = _db.session.scalar(select(EventRow).where(EventRow.title == title))
        if row is None:
            return None
        return {"id": row.id, "slug": row.slug, "status": row.status, "kind": row.kind,
                "audience": row.audience, "capacity": row.capacity, "site_id": row.site_id,
                "starts_at": row.starts_at, "ends_at": row.ends_at,
                "cancel_reason": row.cancel_reason}


def has_valid_grant(app, member_id: int, training_id: int) -> bool:
    """Whether the member holds a grant of the training that is valid now."""
    from fablab.machines.models import TrainingGrant

    with app.app_context():
        grants = _db.session.scalars(select(TrainingGrant).where(
            TrainingGrant.member_id == member_id, TrainingGrant.training_id == training_id)).all()
        return any(grant.is_valid() for grant in grants)


def emails_to(app, recipient: str, kind: str) -> list[str]:
    """The bodies of every outbox message of a kind to a recipient, oldest first."""
    from fablab.core.models import OutboxMessage

    with app.app_context():
        return _db.session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.recipient == recipient.strip().lower(), OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)).all()


def start_now(app, event_id: int, started_minutes_ago: int = 15) -> None:
    """Move an event so that it is going on now (as when the staff take the
    attendance during the session), keeping its length."""
    from datetime import datetime, timezone

    from fablab.events.models import Event as EventRow

    with app.app_context():
        row = _db.session.get(EventRow, event_id)
        length = row.ends_at - row.starts_at
        row.starts_at = (datetime.now(timezone.utc) - timedelta(minutes=started_minutes_ago)
                         ).replace(microsecond=0)
        row.ends_at = row.starts_at + length
        _db.session.commit()
