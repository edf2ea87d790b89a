"""The desk's "today" screen: everything staff need at a site for one day.

Every list comes from a fixed number of queries (eager loading, one query per kind of
row), so that the page costs the same number of queries on a quiet day and a busy one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from fablab.accounts import services as accounts
from fablab.accounts.models import User
from fablab.booking import services as booking
from fablab.booking.models import Booking, OpenSlot
from fablab.core.errors import DomainError
from fablab.core.models import Site
from fablab.desk import visits
from fablab.desk.services import parse_code
from fablab.events.models import Event, Registration
from fablab.extensions import db
from fablab.loans.models import Hold, Item, Loan
from fablab.machines.models import Incident, Resource

SEARCH_LIMIT = 20


@dataclass
class EventOfDay:
    event: Event
    confirmed: int
    waitlisted: int
    attended: int
    registrations: list[Registration] = field(default_factory=list)


@dataclass
class Today:
    site: Site
    day: date
    slots: list[OpenSlot]
    bookings: list[Booking]
    events: list[EventOfDay]
    due_today: list[Loan]
    overdue: list[Loan]
    ready_holds: list[Hold]
    room_requests: list[Booking]
    incidents: list[Incident]
    visit_counts: dict[str, int]

    def bookings_of(self, slot: OpenSlot) -> list[Booking]:
        return [b for b in self.bookings
                if b.slot_id == slot.id or (b.slot_id is None and b.starts_at < slot.ends_at
                                             and b.ends_at > slot.starts_at)]

    @property
    def bookings_outside_slots(self) -> list[Booking]:
        slot_ids = {s.id for s in self.slots}
        return [b for b in self.bookings if b.slot_id not in slot_ids
                and not any(b.starts_at < s.ends_at and b.ends_at > s.starts_at
                            for s in self.slots)]


def today_at(site: Site, day: date) -> Today:
    zone = booking.site_zone(site)
    start = booking.local_to_utc(day, time.min, zone)
    end = booking.local_to_utc(day + timedelta(days=1), time.min, zone)
    slots = booking.slots_between([site.id], start, end)
    return Today(site=site, day=day, slots=slots, bookings=_bookings(site, start, end),
                 events=_events(site, start, end), **_lending(site, day),
                 room_requests=booking.pending_requests(site.id),
                 incidents=_incidents(site), visit_counts=visits.today_counts(site.id, day))


# A booking that started this long before the day and still runs is not shown: the
# lower bound keeps the bookings' index scan to the day, not to the whole history.
LONGEST_BOOKING = timedelta(days=7)


def _bookings(site: Site, start, end) -> list[Booking]:
    return db.session.scalars(
        select(Booking).join(Resource, Resource.id == Booking.resource_id)
        .where(Resource.site_id == site.id, Booking.status == "confirmed",
               Booking.starts_at >= start - LONGEST_BOOKING, Booking.starts_at < end,
               Booking.ends_at > start)
        .options(joinedload(Booking.resource), joinedload(Booking.member),
                 joinedload(Booking.organisation))
        .order_by(Booking.starts_at, Booking.id)).all()


def _events(site: Site, start, end) -> list[EventOfDay]:
    found = db.session.scalars(
        select(Event).where(Event.site_id == site.id, Event.status == "published",
                            Event.starts_at < end, Event.ends_at > start)
        .order_by(Event.starts_at, Event.id)).all()
    ids = [e.id for e in found]
    # The live registrations of the day's events give both the seat counts and the
    # list, in one query that runs whether the day has events or not (a fixed number
    # of queries for the desk, whatever the day holds).
    live = db.session.scalars(
        select(Registration).where(Registration.event_id.in_(ids),
                                   Registration.status.in_(("confirmed", "waitlisted")))
        .options(joinedload(Registration.member), joinedload(Registration.child))
        .order_by(Registration.event_id, Registration.id)).all()
    result = []
    for event in found:
        of_event = [r for r in live if r.event_id == event.id]
        mine = [r for r in of_event if r.status == "confirmed"]
        result.append(EventOfDay(event, len(mine),
                                 sum(1 for r in of_event if r.status == "waitlisted"),
                                 sum(1 for r in mine if r.attended_at is not None), mine))
    return result


def _lending(site: Site, day: date) -> dict[str, list]:
    late_or_due = db.session.scalars(
        select(Loan).join(Item).where(Loan.returned_at.is_(None), Item.site_id == site.id,
                                      Loan.due_on <= day)
        .options(joinedload(Loan.item), joinedload(Loan.member),
                 joinedload(Loan.organisation))
        .order_by(Loan.due_on, Loan.id)).all()
    holds = db.session.scalars(
        select(Hold).join(Item).where(Hold.status == "ready", Item.site_id == site.id)
        .options(joinedload(Hold.item), joinedload(Hold.member))
        .order_by(Hold.expires_on, Hold.id)).all()
    return {"due_today": [loan for loan in late_or_due if loan.due_on == day],
            "overdue": [loan for loan in late_or_due if loan.due_on < day],
            "ready_holds": holds}


def _incidents(site: Site) -> list[Incident]:
    return db.session.scalars(
        select(Incident).join(Resource).where(Incident.resolved_at.is_(None),
                                              Resource.site_id == site.id)
        .options(joinedload(Incident.resource), joinedload(Incident.reported_by))
        .order_by(Incident.created_at.desc())).all()


def search_members(query: str) -> list[User]:
    """Members by name, e-mail or card code (``M-AB12CD``, also inside a scanned link)."""
    query = (query or "").strip()[:120]
    if not query:
        return []
    if "/q/" in query:
        try:
            query = parse_code(query)
        except DomainError:
            return []
    return accounts.search_members(query, limit=SEARCH_LIMIT)
