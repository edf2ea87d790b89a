"""What the agenda shows and what the calendar feeds hold, as plain ``Entry``
objects, and the cheap validators (ETag / Last-Modified) of every feed.

Sources:

- published (and cancelled) events of ``fablab.events`` — every occurrence of a
  series is its own ``Event`` row, so series are exported as individual
  occurrences (no RRULE), each at its own local wall-clock time;
- open-access slots of ``fablab.booking`` (titled "Open lab" / "Accès libre");
- for one machine: its site's open slots and its bookings, shown as "Booked"
  with no member, purpose or note;
- for one member (the personal feed): their bookings, their own and their
  children's registrations (waitlisted ones TENTATIVE), the due dates of their
  open loans (all-day), and the events they animate (staff or volunteers).

SEQUENCE (RFC 5545 §3.8.7.4) must grow when the date, time or place changes:

- events have a ``sequence`` column, bumped by ``events.services.save_event``
  when the time or place changes and by ``cancel_event``;
- open slots and bookings cannot be moved (a new time is a new row; they are
  only cancelled, rejected or kept), so their sequence is derived: 0 while
  live, 1 once cancelled (or rejected) — the only change they can go through;
- a registration's entry has its event's sequence, plus 1 once the
  registration is cancelled (a registration is never revived: registering
  again is a new row);
- a loan's due date has the number of renewals (each renewal moves it).

Every builder runs a fixed number of SQL queries whatever the number of
entries (eager loads, no lazy loading in loops).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from fablab.accounts.models import User
from fablab.agenda import cache
from fablab.agenda.models import CalendarFeed, new_feed_token
from fablab.booking.models import LIVE_STATUSES, Booking, OpenSlot
from fablab.core import audit
from fablab.core.errors import DomainError
from fablab.core.models import Site
from fablab.core.timeutil import lab_timezone, local_today, utcnow
from fablab.events.models import AUDIENCES, EVENT_KINDS, Event, Registration, event_animators
from fablab.events.services import AUDIENCE_LABELS, KIND_LABELS
from fablab.extensions import db
from fablab.loans.models import Item, Loan
from fablab.machines.models import Resource

OPEN_LAB = "open_lab"  # the "kind" filter value of open-access slots
AGENDA_KINDS = EVENT_KINDS + (OPEN_LAB,)
DAYS_BACK = 30
DAYS_AHEAD = 365
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


class AgendaError(DomainError):
    """A malformed filter or date: the page answers 400 with this message."""


@dataclass
class Entry:
    uid: str
    source: str  # event, slot, busy, booking, registration, loan
    title: str
    starts: datetime | date  # aware, in the site's zone; a date when all-day
    ends: datetime | date
    status: str  # CONFIRMED, TENTATIVE or CANCELLED
    sequence: int
    last_modified: datetime
    created: datetime
    path: str = ""  # the entry's page, relative to the site
    description: str = ""
    location: str = ""
    categories: list[str] = field(default_factory=list)
    kind: str = ""  # an event kind, or "open_lab"
    audience: str = ""
    site_id: int | None = None
    busy: bool = False  # a machine's booked time: opaque, no detail

    @property
    def all_day(self) -> bool:
        return not isinstance(self.starts, datetime)

    @property
    def day(self) -> date:
        return self.starts.date() if isinstance(self.starts, datetime) else self.starts

    @property
    def cancelled(self) -> bool:
        return self.status == "CANCELLED"


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    audience: str | None = None
    site_id: int | None = None

    def query_args(self) -> dict[str, object]:
        return {name: value for name, value in (("kind", self.kind), ("audience", self.audience),
                                                ("site", self.site_id)) if value}

    @property
    def wants_events(self) -> bool:
        return self.kind != OPEN_LAB

    @property
    def wants_slots(self) -> bool:
        # Open-lab hours have no audience: filtering on one leaves them out.
        return self.kind in (None, OPEN_LAB) and self.audience is None


# --- input ---------------------------------------------------------------------------------


def parse_filters(args) -> Filters:
    """``kind``, ``audience`` and ``site`` from a query string; empty means all."""
    kind = (args.get("kind") or "").strip() or None
    audience = (args.get("audience") or "").strip() or None
    site = (args.get("site") or "").strip() or None
    if kind is not None and kind not in AGENDA_KINDS:
        raise AgendaError(_("Unknown kind of event: %(value)s.", value=kind[:40]))
    if audience is not None and audience not in AUDIENCES:
        raise AgendaError(_("Unknown audience: %(value)s.", value=audience[:40]))
    site_id = None
    if site is not None:
        if not site.isdigit() or len(site) > 9:
            raise AgendaError(_("The site must be given by its number."))
        site_id = int(site)
    return Filters(kind, audience, site_id)


def parse_date(value: str | None, name: str) -> date | None:
    """A YYYY-MM-DD date of a query string, within ten years of today."""
    if value is None or value == "":
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise AgendaError(_("%(name)s must be a date written YYYY-MM-DD.", name=name)) from None
    if abs((day - local_today()).days) > 3660:
        raise AgendaError(_("%(name)s is too far from today.", name=name))
    return day


def parse_month(value: str | None) -> date:
    if not value:
        return local_today().replace(day=1)
    try:
        year, month = value.strip().split("-")
        first = date(int(year), int(month), 1)
    except ValueError:
        raise AgendaError(_("The month must be written YYYY-MM.")) from None
    if abs((first - local_today()).days) > 3660:
        raise AgendaError(_("%(name)s is too far from today.", name="month"))
    return first


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_midnight(day: date) -> datetime:
    """Midnight of ``day`` in the lab's zone, as aware UTC."""
    return datetime.combine(day, time(0), tzinfo=lab_timezone()).astimezone(timezone.utc)


def feed_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or utcnow()
    return now - timedelta(days=DAYS_BACK), now + timedelta(days=DAYS_AHEAD)


# --- turning rows into entries ---------------------------------------------------------------


class _Labels:
    """Translated labels computed once per build."""

    def __init__(self):
        self.kinds = {k: str(v) for k, v in KIND_LABELS.items()}
        self.audiences = {k: str(v) for k, v in AUDIENCE_LABELS.items()}
        self.open_lab = _("Open lab")
        self.booked = _("Booked")
        self.due = _("Return due")
        self.open_lab_text = _("Open-access hours: trained members use the machines.")
        self.open_lab_path = url_for("machines.index")
        # url_for once: event slugs are made of [a-z0-9-] and need no quoting.
        self.event_path = url_for("events.detail", slug="SLUG").replace("SLUG", "{}")
        self.zones: dict[str, ZoneInfo] = {}

    def zone(self, site: Site) -> ZoneInfo:
        if site.timezone not in self.zones:
            self.zones[site.timezone] = ZoneInfo(site.timezone)
        return self.zones[site.timezone]


def uid_host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "fablab"


def _location(site: Site, room: Resource | None = None) -> str:
    parts = [room.name] if room is not None else []
    parts.append(site.name)
    if site.address:
        parts.append(site.address)
    return ", ".join(parts)


def _latest(*moments: datetime | None) -> datetime:
    return max(m for m in moments + (EPOCH,) if m is not None)


_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_HEADING = re.compile(r"^#{1,6}\s*", re.MULTILINE)


@lru_cache(maxsize=4096)
def plain_text(markdown: str) -> str:
    """The Markdown of a description as plain text for DESCRIPTION: links as
    "text (address)", no HTML tag, no emphasis or heading marks."""
    text = _TAG.sub("", markdown or "")
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(1) else m.group(2),
                     text)
    text = _HEADING.sub("", _EMPHASIS.sub("", text))
    return html.unescape(text).strip()


def event_entry(event: Event, labels: _Labels, host: str) -> Entry:
    zone = labels.zone(event.site)
    description = "\n\n".join(part for part in (event.summary, plain_text(event.description))
                               if part)
    if event.status == "cancelled" and event.cancel_reason:
        description = _("Cancelled: %(reason)s", reason=event.cancel_reason) + (
            "\n\n" + description if description else "")
    return Entry(
        uid=f"event-{event.id}@{host}", source="event", title=event.title,
        starts=event.starts_at.astimezone(zone), ends=event.ends_at.astimezone(zone),
        status="CANCELLED" if event.status == "cancelled" else "CONFIRMED",
        sequence=event.sequence, last_modified=_latest(event.updated_at, event.created_at),
        created=event.created_at, path=labels.event_path.format(event.slug),
        description=description, location=_location(event.site, event.room),
        categories=[labels.kinds.get(event.kind, event.kind),
                    labels.audiences.get(event.audience, event.audience)],
        kind=event.kind, audience=event.audience, site_id=event.site_id)


def slot_entry(slot: OpenSlot, labels: _Labels, host: str) -> Entry:
    zone = labels.zone(slot.site)
    return Entry(
        uid=f"slot-{slot.id}@{host}", source="slot", title=labels.open_lab,
        starts=slot.starts_at.astimezone(zone), ends=slot.ends_at.astimezone(zone),
        status="CANCELLED" if slot.cancelled_at else "CONFIRMED",
        sequence=1 if slot.cancelled_at else 0,
        last_modified=_latest(slot.created_at, slot.cancelled_at), created=slot.created_at,
        path=labels.open_lab_path, description=labels.open_lab_text,
        location=_location(slot.site), categories=[labels.open_lab], kind=OPEN_LAB,
        site_id=slot.site_id)


def _booking_status(booking: Booking) -> str:
    if booking.status in ("cancelled", "rejected"):
        return "CANCELLED"
    return "CONFIRMED" if booking.status == "confirmed" else "TENTATIVE"


def busy_entry(booking: Booking, labels: _Labels, host: str) -> Entry:
    """A machine's booked time for its public feed: no member, purpose or note."""
    zone = labels.zone(booking.resource.site)
    return Entry(
        uid=f"booking-{booking.id}@{host}", source="busy", title=labels.booked,
        starts=booking.starts_at.astimezone(zone), ends=booking.ends_at.astimezone(zone),
        status=_booking_status(booking), sequence=0 if booking.is_live else 1,
        last_modified=_latest(booking.created_at, booking.cancelled_at),
        created=booking.created_at, path=url_for("machines.detail", slug=booking.resource.slug),
        location=_location(booking.resource.site, booking.resource), busy=True,
        site_id=booking.resource.site_id)


def booking_entry(booking: Booking, labels: _Labels, host: str) -> Entry:
    """A member's own booking, for their feed and the "add to my calendar" file."""
    resource = booking.resource
    zone = labels.zone(resource.site)
    return Entry(
        uid=f"booking-{booking.id}@{host}", source="booking",
        title=_("Booking: %(resource)s", resource=resource.name),
        starts=booking.starts_at.astimezone(zone), ends=booking.ends_at.astimezone(zone),
        status=_booking_status(booking), sequence=0 if booking.is_live else 1,
        last_modified=_latest(booking.created_at, booking.cancelled_at),
        created=booking.created_at, path=url_for("booking.my_bookings"),
        description=booking.purpose, location=_location(resource.site, resource),
        categories=[_("Booking")], site_id=resource.site_id)


def registration_entry(registration: Registration, labels: _Labels, host: str) -> Entry:
    event = registration.event
    entry = event_entry(event, labels, host)
    entry.uid = f"registration-{registration.id}@{host}"
    entry.source = "registration"
    if registration.child_id is not None:
        entry.title = _("%(event)s (%(name)s)", event=event.title,
                        name=registration.child.first_name)
    if registration.status == "cancelled" or event.status == "cancelled":
        entry.status = "CANCELLED"
    elif registration.status == "waitlisted":
        entry.status = "TENTATIVE"
        entry.description = _("On the waiting list.") + (
            "\n\n" + entry.description if entry.description else "")
    entry.sequence = event.sequence + (1 if registration.status == "cancelled" else 0)
    entry.last_modified = _latest(entry.last_modified, registration.created_at,
                                  registration.cancelled_at, registration.promoted_at)
    entry.created = registration.created_at
    return entry


def loan_entry(loan: Loan, labels: _Labels, host: str) -> Entry:
    item = loan.item
    return Entry(
        uid=f"loan-{loan.id}@{host}", source="loan",
        title=_("Return due: %(item)s", item=item.name),
        starts=loan.due_on, ends=loan.due_on + timedelta(days=1), status="CONFIRMED",
        sequence=loan.renewals, last_modified=_latest(loan.checked_out_at),
        created=loan.checked_out_at, path=url_for("loans.item", code=item.code),
        description=_("Bring back %(item)s (%(code)s) to the lab.", item=item.name,
                      code=item.code),
        location=_location(item.site), categories=[labels.due], site_id=item.site_id)


# --- what each page and feed holds --------------------------------------------------------


def public_entries(filters: Filters, start: datetime, end: datetime) -> list[Entry]:
    """Published and cancelled events and open slots overlapping [start, end)."""
    labels, host, entries = _Labels(), uid_host(), []
    if filters.wants_events:
        stmt = (select(Event).where(Event.status.in_(("published", "cancelled")),
                                    Event.starts_at < end, Event.ends_at > start)
                .options(joinedload(Event.site), joinedload(Event.room))
                .order_by(Event.starts_at, Event.id))
        if filters.kind:
            stmt = stmt.where(Event.kind == filters.kind)
        if filters.audience:
            stmt = stmt.where(Event.audience == filters.audience)
        if filters.site_id:
            stmt = stmt.where(Event.site_id == filters.site_id)
        entries += [event_entry(e, labels, host) for e in db.session.scalars(stmt).unique()]
    if filters.wants_slots:
        entries += [slot_entry(s, labels, host) for s in _slots(filters.site_id, start, end)]
    entries.sort(key=_order)
    return entries


def _slots(site_id: int | None, start: datetime, end: datetime) -> list[OpenSlot]:
    stmt = (select(OpenSlot).where(OpenSlot.starts_at < end, OpenSlot.ends_at > start)
            .options(joinedload(OpenSlot.site)).order_by(OpenSlot.starts_at, OpenSlot.id))
    if site_id:
        stmt = stmt.where(OpenSlot.site_id == site_id)
    return list(db.session.scalars(stmt))


def _order(entry: Entry):
    starts = entry.starts if isinstance(entry.starts, datetime) else datetime.combine(
        entry.starts, time(0), tzinfo=timezone.utc)
    return (starts.astimezone(timezone.utc), entry.uid)


def machine_entries(resource: Resource, start: datetime, end: datetime) -> list[Entry]:
    labels, host = _Labels(), uid_host()
    entries = [slot_entry(s, labels, host) for s in _slots(resource.site_id, start, end)]
    bookings = db.session.scalars(
        select(Booking).where(Booking.resource_id == resource.id, Booking.starts_at < end,
                              Booking.ends_at > start)
        .options(joinedload(Booking.resource).joinedload(Resource.site))
        .order_by(Booking.starts_at, Booking.id))
    entries += [busy_entry(b, labels, host) for b in bookings.unique()]
    entries.sort(key=_order)
    return entries


def personal_entries(user: User, start: datetime, end: datetime) -> list[Entry]:
    labels, host = _Labels(), uid_host()
    bookings = db.session.scalars(
        select(Booking).where(Booking.member_id == user.id, Booking.starts_at < end,
                              Booking.ends_at > start)
        .options(joinedload(Booking.resource).joinedload(Resource.site)))
    entries = [booking_entry(b, labels, host) for b in bookings.unique()]
    registrations = db.session.scalars(
        select(Registration).join(Event)
        .where(Registration.member_id == user.id, Event.status != "draft",
               Event.starts_at < end, Event.ends_at > start)
        .options(joinedload(Registration.event).joinedload(Event.site),
                 joinedload(Registration.event).joinedload(Event.room),
                 joinedload(Registration.child)))
    entries += [registration_entry(r, labels, host) for r in registrations.unique()]
    first_day, last_day = start.date(), end.date()
    loans = db.session.scalars(
        select(Loan).where(Loan.member_id == user.id, Loan.returned_at.is_(None),
                           Loan.due_on >= first_day, Loan.due_on <= last_day)
        .options(joinedload(Loan.item).joinedload(Item.site)))
    loans = list(loans.unique())
    entries += [loan_entry(loan, labels, host) for loan in loans]
    # Staff, and volunteer members, who animate events.
    animated = db.session.scalars(
        select(Event).join(event_animators, event_animators.c.event_id == Event.id)
        .where(event_animators.c.user_id == user.id,
               Event.status.in_(("published", "cancelled")),
               Event.starts_at < end, Event.ends_at > start)
        .options(joinedload(Event.site), joinedload(Event.room)))
    for event in animated.unique():
        entry = event_entry(event, labels, host)
        entry.categories.append(_("I animate"))
        entries.append(entry)
    entries.sort(key=_order)
    return entries


# --- validators: a cheap aggregate instead of a build ----------------------------------------


@dataclass
class Validator:
    etag: str
    last_modified: datetime
    # the worker's reused row it was computed from (public validator only): a feed poll
    # may be answered before Flask while that row is current (fablab/agenda/polls.py)
    row: tuple | None = field(default=None, compare=False)


def _validator(kind: str, parts: tuple) -> Validator:
    moments = [p for p in parts if isinstance(p, datetime)]
    last = max([_aware(m) for m in moments] + [EPOCH])
    # The window slides every day and the slots' title follows the language.
    from flask_babel import get_locale

    seed = repr((kind, parts, local_today().isoformat(), str(get_locale()),
                 current_app.config["BASE_URL"]))
    return Validator(hashlib.sha256(seed.encode()).hexdigest()[:32], last.replace(microsecond=0))


def _one_row_statement(*statements):
    """Several aggregate SELECTs as one (one scalar subquery per column)."""
    return select(*[stmt.with_only_columns(column).scalar_subquery()
                    for stmt in statements for column in stmt.selected_columns])


def _one_row(*statements) -> tuple:
    """Several aggregate SELECTs in one round trip."""
    return tuple(db.session.execute(_one_row_statement(*statements)).one())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _events_aggregate(*conditions):
    return (select(func.count(Event.id), func.max(Event.updated_at), func.sum(Event.sequence))
            .where(*conditions))


def _validator_row(statement) -> tuple:
    """One aggregate row, read as cheaply as possible: a 304 is mostly this query.

    Core, not the ORM (nothing to map). On PostgreSQL, outside any transaction when
    the request has none open yet: one round trip for the query instead of BEGIN,
    query and ROLLBACK (a single SELECT is consistent on its own)."""
    if db.engine.dialect.name == "postgresql" and not db.session().in_transaction():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return tuple(conn.execute(statement).one())
    return tuple(db.session.connection().execute(statement).one())


@lru_cache(maxsize=1)
def _public_validator_statement():
    """Built once: the public validator runs on every feed poll and every anonymous
    agenda page, where building the statement cost more than running it."""
    events = _events_aggregate(Event.status.in_(("published", "cancelled")))
    slots = select(func.count(OpenSlot.id), func.max(OpenSlot.created_at),
                   func.max(OpenSlot.cancelled_at))
    sites = select(func.count(Site.id), func.max(Site.updated_at))
    return _one_row_statement(events, slots, sites)


def public_validator(filters: Filters) -> Validator:
    """One query: counts and latest changes of events, slots and sites (its row is
    reused for a second by the worker: fablab/agenda/cache.py)."""
    row = cache.public_row().get(lambda: _validator_row(_public_validator_statement()))
    validator = _validator("public", (filters,) + row)
    validator.row = row
    return validator


def machine_validator(resource: Resource) -> Validator:
    slots = select(func.count(OpenSlot.id), func.max(OpenSlot.created_at),
                   func.max(OpenSlot.cancelled_at)).where(
        OpenSlot.site_id == resource.site_id)
    bookings = select(
        func.count(Booking.id), func.max(Booking.created_at), func.max(Booking.cancelled_at),
        func.sum(_live_case(Booking.status.in_(LIVE_STATUSES))),
        func.sum(_live_case(Booking.status == "confirmed"))).where(
        Booking.resource_id == resource.id)
    site = select(Site.updated_at).where(Site.id == resource.site_id)
    return _validator("machine", (resource.id, resource.name, resource.slug)
                      + _one_row(slots, bookings, site))


def _live_case(condition):
    return case((condition, 1), else_=0)


def personal_validator(user: User) -> Validator:
    bookings = select(
        func.count(Booking.id), func.max(Booking.created_at), func.max(Booking.cancelled_at),
        func.sum(_live_case(Booking.status == "confirmed")),
        func.sum(_live_case(Booking.status.in_(LIVE_STATUSES)))).where(
        Booking.member_id == user.id)
    registrations = select(
        func.count(Registration.id), func.max(Registration.created_at),
        func.max(Registration.cancelled_at), func.max(Registration.promoted_at),
        func.max(Event.updated_at), func.sum(Event.sequence),
        func.sum(_live_case(Registration.status == "confirmed"))).join(
        Event, Event.id == Registration.event_id).where(
        Registration.member_id == user.id)
    loans = select(func.count(Loan.id), func.max(Loan.checked_out_at), func.max(Loan.returned_at),
                   func.sum(Loan.renewals), func.max(Loan.due_on)).where(
        Loan.member_id == user.id)
    animated = select(func.count(Event.id), func.max(Event.updated_at),
                      func.sum(Event.sequence)).join(
        event_animators, event_animators.c.event_id == Event.id).where(
        event_animators.c.user_id == user.id)
    return _validator("personal", (user.id, user.role, user.locale)
                      + _one_row(bookings, registrations, loans, animated))


# --- the personal feed's secret address ------------------------------------------------------


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def user_by_token(token: str) -> User | None:
    """The active member whose feed has this token; None for anything else."""
    if not token or len(token) > 64:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token)
                             .options(joinedload(CalendarFeed.user)))
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def regenerate_token(user: User) -> CalendarFeed:
    """A new secret address; the old one stops answering at once (same row)."""
    feed = feed_of(user)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=new_feed_token(), regenerated_at=utcnow())
        db.session.add(feed)
    else:
        feed.token, feed.regenerated_at = new_feed_token(), utcnow()
    db.session.flush()
    audit.record(user, "calendar_feed.regenerate", feed, summary="")
    return feed


def ensure_tokens(users: list[User]) -> int:
    """Give every listed user a feed address (the demo data uses it)."""
    have = set(db.session.scalars(select(CalendarFeed.user_id).where(
        CalendarFeed.user_id.in_([u.id for u in users]))))
    created = 0
    for user in users:
        if user.id not in have:
            db.session.add(CalendarFeed(user_id=user.id, token=new_feed_token()))
            created += 1
    db.session.flush()
    return created
