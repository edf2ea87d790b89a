"""Demo open-lab slots (a season's weekly series, closed at Christmas) and bookings."""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from sqlalchemy import select

from fablab.accounts.models import Organisation, User
from fablab.booking.models import Booking, OpenSlot
from fablab.booking.services import create_series
from fablab.core.demo import DemoMoment, Period
from fablab.core.models import Closure
from fablab.extensions import db
from fablab.machines.models import Resource


def load_booking_demo(moment: DemoMoment, site, staff: User, member: User,
                      people: list[User]) -> None:
    rng = random.Random(7)
    for period in moment.open_lab_periods():
        _open_lab_series(site, staff, period)
    resources = db.session.scalars(select(Resource).order_by(Resource.id)).all()
    _demo_bookings(rng, moment, resources, member, people)
    room = next(r for r in resources if r.kind == "room")
    association = db.session.scalar(select(Organisation).order_by(Organisation.id))
    start = moment.days_ahead(4, time(18))
    db.session.add(Booking(resource_id=room.id, member_id=member.id,
                           organisation_id=association.id if association else None,
                           starts_at=start, ends_at=start + timedelta(hours=2), status="pending",
                           purpose="Réunion du bureau de l'association", created_by_id=member.id))


def _open_lab_series(site, staff: User, period: Period) -> None:
    """A season's weekly open-lab slots (lighter in summer), closed at Christmas."""
    if period.summer:
        create_series(staff, site, [3, 6], time(14), time(18), period.first_day,
                      period.last_day, 10, staff.id, "Accès libre d'été")
        return
    christmas = date(period.first_day.year, 12, 20)
    db.session.add(Closure(site=site, first_day=christmas,
                           last_day=christmas + timedelta(days=14), reason="Vacances de Noël"))
    db.session.flush()
    for weekday, start, end, capacity, note in (
            (3, time(14), time(18), 12, "Accès libre du mercredi"),
            (5, time(17), time(21), 10, "Soirée makers"),
            (6, time(10), time(17), 15, "Accès libre du samedi")):
        create_series(staff, site, [weekday], start, end, period.first_day, period.last_day,
                      capacity, staff.id, note)


def _demo_bookings(rng, moment: DemoMoment, resources, member, people) -> None:
    """Bookings in the slots of the last 60 days (checked in, or missed) and the
    next 14 (some under way right now, which is fine: they started before)."""
    now = moment.now
    slots = db.session.scalars(select(OpenSlot).where(
        OpenSlot.starts_at >= now - timedelta(days=60), OpenSlot.starts_at <= now + timedelta(days=14),
        OpenSlot.cancelled_at.is_(None)).order_by(OpenSlot.starts_at)).all()
    machines = [r for r in resources if r.kind == "machine"]
    for slot in slots:
        for resource in rng.sample(machines, 4):
            person = rng.choice(people + [member])
            start = slot.starts_at + timedelta(minutes=60 * rng.randint(0, 2))
            end = start + timedelta(minutes=resource.granularity_minutes * rng.randint(2, 4))
            if end > slot.ends_at or end - start > timedelta(minutes=resource.max_duration_minutes):
                continue
            past, arrived = end < now, rng.random() > 0.1
            db.session.add(Booking(
                resource_id=resource.id, member_id=person.id, slot_id=slot.id, starts_at=start,
                ends_at=end, status="confirmed", created_by_id=person.id,
                checked_in_at=start + timedelta(minutes=5) if past and arrived else None,
                no_show=past and not arrived))
    db.session.flush()
