"""Event rules: registrations, the waiting list and its automatic promotion,
cancellations, attendance (which grants the trainings of a training session),
series and season enrolments.

Every rule is checked here, so a hand-made request gets the refusal the page
gives. Seats are counted under a lock (the event row on PostgreSQL, the write
lock on SQLite), and a freed seat is given to the first person waiting in the
same transaction as the cancellation that frees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from fablab.accounts.models import Child, User
from fablab.core import audit
from fablab.core.errors import DomainError
from fablab.core.mail import absolute_url, queue_email
from fablab.core.sites import slugify
from fablab.core.timeutil import utcnow
from fablab.events import signals
from fablab.events.models import (AUDIENCES, EVENT_KINDS, LIVE_REGISTRATION, Event, EventPrice,
                                  EventSeries, Registration)
from fablab.extensions import db
from fablab.machines.models import Training
from fablab.machines.services import grant_training
from fablab.memberships.services import active_membership

KIND_LABELS = {
    "workshop": _l("Workshop"), "repair_cafe": _l("Repair café"), "club": _l("Club session"),
    "training": _l("Training session"), "talk": _l("Talk"), "other": _l("Other"),
}
AUDIENCE_LABELS = {
    "children": _l("Children"), "teens": _l("Teens"), "adults": _l("Adults"),
    "families": _l("Families"), "everyone": _l("Everyone"),
}
REGISTRATION_LABELS = {
    "confirmed": _l("Confirmed"), "waitlisted": _l("Waiting list"), "cancelled": _l("Cancelled"),
}


def zone_of(event: Event) -> ZoneInfo:
    return ZoneInfo(event.site.timezone)


# --- what pages list -----------------------------------------------------------------------


def upcoming_events(kind: str | None = None, audience: str | None = None,
                    site_id: int | None = None, include_drafts: bool = False,
                    limit: int = 200, offset: int = 0) -> list[Event]:
    stmt = (select(Event).where(Event.ends_at > utcnow())
            .options(selectinload(Event.site), selectinload(Event.prices))
            .order_by(Event.starts_at, Event.id).limit(limit).offset(offset))
    if not include_drafts:
        stmt = stmt.where(Event.status != "draft")
    if kind in EVENT_KINDS:
        stmt = stmt.where(Event.kind == kind)
    if audience in AUDIENCES:
        stmt = stmt.where(Event.audience == audience)
    if site_id:
        stmt = stmt.where(Event.site_id == site_id)
    return db.session.scalars(stmt).all()


def seat_counts(event_ids: list[int]) -> dict[int, dict[str, int]]:
    """Confirmed and waitlisted counts of many events, in one query."""
    counts: dict[int, dict[str, int]] = {i: {"confirmed": 0, "waitlisted": 0} for i in event_ids}
    if not event_ids:
        return counts
    rows = db.session.execute(
        select(Registration.event_id, Registration.status, func.count(Registration.id))
        .where(Registration.event_id.in_(event_ids),
               Registration.status.in_(LIVE_REGISTRATION))
        .group_by(Registration.event_id, Registration.status))
    for event_id, status, count in rows:
        counts[event_id][status] = count
    return counts


def event_by_slug(slug: str) -> Event | None:
    """The event with what its page shows, in a fixed number of queries whatever the
    event has (site, room and series joined; animators, trainings and prices with their
    tariffs loaded in one query each) — no query per price."""
    return db.session.scalar(
        select(Event).where(Event.slug == slug)
        .options(joinedload(Event.site), joinedload(Event.room), joinedload(Event.series),
                 selectinload(Event.animators).joinedload(User.public_profile),
                 selectinload(Event.trainings),
                 selectinload(Event.prices).joinedload(EventPrice.tariff)))


def public_animator_names(event: Event) -> list[str]:
    """The names the animators chose to show the public (their public profile). An
    animator without one is not named: a public page never carries a member's own name."""
    return [animator.public_profile.display_name for animator in event.animators
            if animator.public_profile is not None and animator.anonymised_at is None]


def registrations_of(event: Event, live_only: bool = True) -> list[Registration]:
    stmt = (select(Registration).where(Registration.event_id == event.id)
            .options(selectinload(Registration.member), selectinload(Registration.child))
            .order_by(Registration.status, Registration.id))
    if live_only:
        stmt = stmt.where(Registration.status.in_(LIVE_REGISTRATION))
    return db.session.scalars(stmt).all()


def registrations_of_member(member, upcoming: bool = True) -> list[Registration]:
    stmt = (select(Registration).join(Event).where(Registration.member_id == member.id)
            # joined, not selectin: the same queries whether the list is empty or not
            .options(contains_eager(Registration.event).joinedload(Event.site),
                     joinedload(Registration.child), joinedload(Registration.member)))
    if upcoming:
        stmt = stmt.where(Event.ends_at > utcnow()).order_by(Event.starts_at)
    else:
        stmt = stmt.where(Event.ends_at <= utcnow()).order_by(Event.starts_at.desc()).limit(50)
    return db.session.scalars(stmt).all()


# --- registering ---------------------------------------------------------------------------


@dataclass
class Participant:
    member: User
    child: Child | None = None

    @property
    def key(self) -> str:
        return f"c:{self.child.id}" if self.child else f"m:{self.member.id}"

    @property
    def name(self) -> str:
        return self.child.first_name if self.child else self.member.name

    def age_on(self, day: date) -> int | None:
        year = self.child.birth_year if self.child else self.member.birth_year
        return day.year - year if year else None


def registration_window(event: Event) -> tuple[datetime | None, datetime]:
    return event.registration_opens_at, event.registration_closes_at or event.starts_at


def _lock_event(event: Event) -> None:
    """Registrations of one event queue here on PostgreSQL (SQLite serialises writers)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(Event.id).where(Event.id == event.id)
                           .with_for_update(key_share=True))


def register(event: Event, participant: Participant, by: User | None = None) -> Registration:
    """Register a member or their child: a seat if one is left, else the waiting list."""
    now = utcnow()
    check_can_register(event, participant, now)
    _lock_event(event)
    confirmed = _count(event, "confirmed")
    registration = Registration(
        event_id=event.id, member_id=participant.member.id,
        child_id=participant.child.id if participant.child else None,
        participant_key=participant.key,
        status="confirmed" if confirmed < event.capacity else "waitlisted")
    name = participant.name
    try:
        # Added inside the savepoint: a lost race rolls back the savepoint only.
        with db.session.begin_nested():
            db.session.add(registration)
            db.session.flush()
    except IntegrityError as error:
        raise DomainError(_("%(name)s is already registered for this event.",
                            name=name)) from error
    if by is not None and by.id != participant.member.id:
        audit.record(by, "registration.create", registration, summary=participant.name)
    _notify(registration, "registration_confirmed" if registration.status == "confirmed"
            else "registration_waitlisted")
    return registration


def check_can_register(event: Event, participant: Participant, now: datetime | None = None) -> None:
    now = now or utcnow()
    member = participant.member
    if event.status == "cancelled":
        raise DomainError(_("This event is cancelled."))
    if event.status != "published":
        raise DomainError(_("Registrations are not open for this event."))
    if event.starts_at <= now:
        raise DomainError(_("This event has already started."))
    opens, closes = registration_window(event)
    if opens is not None and now < opens:
        raise DomainError(_("Registrations open on %(date)s.", date=_local_text(event, opens)))
    if now > closes:
        raise DomainError(_("Registrations are closed."))
    if member is None or not member.is_active:
        raise DomainError(_("This account is not active."))
    if participant.child is not None and participant.child.guardian_id != member.id:
        raise DomainError(_("This child is not on your account."))
    if event.requires_membership and active_membership(member) is None:
        raise DomainError(_("This event is for members: an active membership is needed."))
    _check_age(event, participant)
    existing = db.session.scalar(select(Registration.id).where(
        Registration.event_id == event.id, Registration.participant_key == participant.key,
        Registration.status.in_(LIVE_REGISTRATION)))
    if existing is not None:
        raise DomainError(_("%(name)s is already registered for this event.",
                            name=participant.name))


def _check_age(event: Event, participant: Participant) -> None:
    if event.min_age is None and event.max_age is None:
        return
    day = event.starts_at.astimezone(zone_of(event)).date()
    age = participant.age_on(day)
    if age is None:
        if participant.child is None and event.max_age is not None and event.max_age < 18:
            raise DomainError(_("This workshop is for young people: register your child."))
        return  # an adult who did not give a birth year
    if (event.min_age is not None and age < event.min_age) or \
            (event.max_age is not None and age > event.max_age):
        raise DomainError(_("%(name)s is %(age)d: this event is for ages %(min)s to %(max)s.",
                            name=participant.name, age=age, min=event.min_age or 0,
                            max=event.max_age or "99"))


def _count(event: Event, status: str) -> int:
    return db.session.scalar(select(func.count(Registration.id)).where(
        Registration.event_id == event.id, Registration.status == status))


def _local_text(event: Event, moment: datetime) -> str:
    from flask_babel import format_datetime

    return format_datetime(moment, "d MMMM HH:mm")


# --- cancelling and the waiting list -------------------------------------------------------


def can_cancel(registration: Registration, user, now: datetime | None = None) -> bool:
    if not registration.is_live or registration.event.ends_at <= (now or utcnow()):
        return False
    if user.is_staff:
        return True
    cutoff = registration.event.starts_at - timedelta(
        hours=current_app.config["EVENT_CANCEL_CUTOFF_HOURS"])
    return registration.member_id == user.id and (now or utcnow()) <= cutoff


def cancel_registration(registration: Registration, by: User) -> None:
    """Cancel a registration; a freed seat goes to the first person waiting, now."""
    if registration.member_id != by.id and not by.is_staff:
        raise DomainError(_("This registration is not yours."))
    if not registration.is_live:
        raise DomainError(_("This registration is already cancelled."))
    if not can_cancel(registration, by):
        raise DomainError(_("Registrations can no longer be cancelled online: please call the lab."))
    event = registration.event
    _lock_event(event)
    registration.status, registration.cancelled_at = "cancelled", utcnow()
    registration.cancelled_by_id = by.id
    if by.id != registration.member_id:
        audit.record(by, "registration.cancel", registration,
                     summary=registration.participant_name)
    db.session.flush()
    promote_waiting(event)


def promote_waiting(event: Event) -> list[Registration]:
    """Fill the free seats from the waiting list, in order, telling each person."""
    if event.status != "published" or event.starts_at <= utcnow():
        return []
    free = event.capacity - _count(event, "confirmed")
    if free <= 0:
        return []
    waiting = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id,
                                   Registration.status == "waitlisted")
        .order_by(Registration.id).limit(free)).all()
    for registration in waiting:
        registration.status, registration.promoted_at = "confirmed", utcnow()
        _notify(registration, "registration_promoted")
    db.session.flush()
    return waiting


# --- staff -----------------------------------------------------------------------------------


EVENT_FIELDS = ("site_id", "room_id", "kind", "audience", "min_age", "max_age", "title", "summary",
                "description", "image", "starts_at", "ends_at", "capacity", "requires_membership",
                "registration_opens_at", "registration_closes_at")


def save_event(actor, event: Event | None, animator_ids: list[int] | None = None,
               training_ids: list[int] | None = None, **fields) -> Event:
    """Create or edit an event; changing the time or place bumps its sequence and
    tells the registered people; more seats promote people waiting."""
    title = (fields.get("title") or "").strip()
    if not title:
        raise DomainError(_("Please give the title."), "title")
    starts_at, ends_at = fields.get("starts_at"), fields.get("ends_at")
    if starts_at is None or ends_at is None:
        raise DomainError(_("Please give the start and the end."), "starts_at")
    if ends_at <= starts_at:
        raise DomainError(_("The end must be after the start."), "ends_at")
    if not fields.get("capacity") or fields["capacity"] <= 0:
        raise DomainError(_("The capacity is at least one person."), "capacity")
    if fields.get("kind") not in EVENT_KINDS:
        raise DomainError(_("Please choose a kind."), "kind")
    if fields.get("audience") not in AUDIENCES:
        raise DomainError(_("Please choose an audience."), "audience")
    low, high = fields.get("min_age"), fields.get("max_age")
    if low is not None and high is not None and low > high:
        raise DomainError(_("The youngest age cannot be above the oldest."), "max_age")
    opens, closes = fields.get("registration_opens_at"), fields.get("registration_closes_at")
    if opens and closes and closes <= opens:
        raise DomainError(_("Registrations must close after they open."), "registration_closes_at")
    if closes and closes > starts_at:
        raise DomainError(_("Registrations close at the start at the latest."),
                          "registration_closes_at")
    creating = event is None
    if creating:
        event = Event(slug=_free_slug(slugify(title)), status="draft")
        db.session.add(event)
        moved = False
    else:
        moved = (event.starts_at != starts_at or event.ends_at != ends_at
                 or event.site_id != fields.get("site_id") or event.room_id != fields.get("room_id"))
    for key in EVENT_FIELDS:
        if key in fields and not (key == "image" and not fields[key]):
            value = fields[key]
            setattr(event, key, value.strip() if isinstance(value, str) else value)
    if animator_ids is not None:
        event.animators = db.session.scalars(select(User).where(User.id.in_(animator_ids))).all()
    if training_ids is not None:
        event.trainings = db.session.scalars(
            select(Training).where(Training.id.in_(training_ids))).all()
    db.session.flush()
    if moved:
        event.sequence += 1
        for registration in registrations_of(event):
            _notify(registration, "event_changed")
    promote_waiting(event)
    audit.record(actor, "event.create" if creating else "event.update", event, summary=title)
    return event


def _free_slug(base: str) -> str:
    """``base``, or ``base-2``, ``base-3``…: the first one free (read in one query, so
    that a series of forty sessions does not probe forty times each)."""
    base = base[:100] or "evenement"
    taken = set(db.session.scalars(select(Event.slug).where(
        or_(Event.slug == base, Event.slug.like(f"{base}-%")))))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def publish(actor, event: Event) -> None:
    if event.status == "cancelled":
        raise DomainError(_("A cancelled event cannot be published again."))
    event.status = "published"
    audit.record(actor, "event.publish", event, summary=event.title)
    promote_waiting(event)


def cancel_event(actor, event: Event, reason: str = "") -> int:
    """Cancel an event and every registration, telling each person."""
    if event.status == "cancelled":
        raise DomainError(_("This event is already cancelled."))
    event.status, event.cancel_reason = "cancelled", (reason or "").strip()[:300]
    event.sequence += 1
    registrations = registrations_of(event)
    for registration in registrations:
        registration.status, registration.cancelled_at = "cancelled", utcnow()
        registration.cancelled_by_id = actor.id
        _notify(registration, "event_cancelled")
    audit.record(actor, "event.cancel", event, summary=reason, registrations=len(registrations))
    return len(registrations)


def set_attendance(actor, registration: Registration, attended: bool = True) -> None:
    """Mark who came. At a training session, attending grants its trainings."""
    if registration.status != "confirmed":
        raise DomainError(_("Only a confirmed registration can be marked as attended."))
    if attended and utcnow() < registration.event.starts_at - timedelta(hours=1):
        raise DomainError(_("Attendance is recorded from an hour before the event starts."))
    registration.attended_at = utcnow() if attended else None
    event = registration.event
    if attended and event.kind == "training" and registration.child_id is None:
        for training in event.trainings:
            grant_training(actor, registration.member, training,
                           note=_("Training session: %(title)s", title=event.title))
    audit.record(actor, "registration.attend" if attended else "registration.absent",
                 registration, summary=registration.participant_name)
    if attended:
        signals.attendance_marked.send(registration, actor=actor)  # the desk counts the visit


def check_in_participant(actor, event: Event, member_id: int | None = None,
                         registration_id: int | None = None) -> Registration:
    """For the scan station: mark a member (or a registration) as arrived."""
    stmt = select(Registration).where(Registration.event_id == event.id,
                                      Registration.status == "confirmed")
    if registration_id is not None:
        stmt = stmt.where(Registration.id == registration_id)
    elif member_id is not None:
        stmt = stmt.where(Registration.member_id == member_id, Registration.child_id.is_(None))
    else:
        raise DomainError(_("Nobody to check in."))
    registration = db.session.scalar(stmt)
    if registration is None:
        raise DomainError(_("This person has no confirmed seat at this event."))
    set_attendance(actor, registration, True)
    return registration


# --- series ----------------------------------------------------------------------------------


def occurrence_days(rule: str, weekday: int, nth: int | None, first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.isoweekday() == weekday and (rule == "weekly" or (day.day - 1) // 7 + 1 == nth):
            days.append(day)
        day += timedelta(days=1)
    return days


def create_series(actor, site, template: dict, rule: str, weekday: int | None, nth: int | None,
                  start_time: time | None, end_time: time | None, first_day: date | None,
                  last_day: date | None, allows_enrolment: bool = False,
                  publish_now: bool = False) -> tuple[EventSeries, int]:
    """A club or workshop every week (or every nth weekday of the month) over a season."""
    if rule not in ("weekly", "monthly"):
        raise DomainError(_("Please choose weekly or monthly."), "rule")
    if weekday is None or not 1 <= weekday <= 7:
        raise DomainError(_("Please choose a weekday."), "weekday")
    if rule == "monthly" and (nth is None or not 1 <= nth <= 5):
        raise DomainError(_("Please choose which week of the month."), "nth")
    if start_time is None or end_time is None or end_time <= start_time:
        raise DomainError(_("The end must be after the start."), "end_time")
    if first_day is None or last_day is None or last_day < first_day:
        raise DomainError(_("The last day must be on or after the first day."), "last_day")
    if (last_day - first_day).days > 400:
        raise DomainError(_("A series covers one season: 400 days at most."), "last_day")
    days = occurrence_days(rule, weekday, nth, first_day, last_day)
    if not days:
        raise DomainError(_("This series makes no event: check the days."), "weekday")
    series = EventSeries(title=template["title"], rule=rule, weekday=weekday, nth=nth,
                         start_time=start_time, end_time=end_time, first_day=first_day,
                         last_day=last_day, allows_enrolment=allows_enrolment)
    db.session.add(series)
    db.session.flush()
    zone = ZoneInfo(site.timezone)
    for day in days:
        fields = dict(template, site_id=site.id,
                      starts_at=datetime.combine(day, start_time, tzinfo=zone),
                      ends_at=datetime.combine(day, end_time, tzinfo=zone))
        event = save_event(actor, None, **fields)
        event.series_id = series.id
        if publish_now:
            event.status = "published"
    db.session.flush()
    audit.record(actor, "event_series.create", series, summary=f"{series.title}: {len(days)}")
    return series, len(days)


def update_following(actor, event: Event, **fields) -> int:
    """Edit this event and the following ones of its series (same change of text,
    capacity and audience; each keeps its own date). Returns how many changed."""
    if event.series_id is None:
        save_event(actor, event, **fields)
        return 1
    following = db.session.scalars(select(Event).where(
        Event.series_id == event.series_id, Event.starts_at >= event.starts_at,
        Event.status != "cancelled").order_by(Event.starts_at)).all()
    zone = zone_of(event)

    def wall(moment: datetime) -> datetime:
        return moment.astimezone(zone).replace(tzinfo=None)

    # Shift by wall-clock time: 14:00 stays 14:00 across a daylight-saving change.
    shift_start = wall(fields["starts_at"]) - wall(event.starts_at)
    shift_end = wall(fields["ends_at"]) - wall(event.ends_at)
    for other in following:
        other_fields = dict(fields,
                            starts_at=(wall(other.starts_at) + shift_start).replace(tzinfo=zone),
                            ends_at=(wall(other.ends_at) + shift_end).replace(tzinfo=zone))
        save_event(actor, other, **other_fields)
    return len(following)


def enrol(series: EventSeries, participant: Participant) -> tuple[int, int]:
    """Season enrolment: register to every future published session. Returns
    (seats, waiting lists); sessions where the participant is already registered
    are skipped."""
    if not series.allows_enrolment:
        raise DomainError(_("This series does not take season enrolments."))
    events = db.session.scalars(select(Event).where(
        Event.series_id == series.id, Event.status == "published",
        Event.starts_at > utcnow()).order_by(Event.starts_at)).all()
    seats = waiting = 0
    for event in events:
        try:
            with db.session.begin_nested():
                registration = register(event, participant)
                registration.via_enrolment = True
        except DomainError:
            continue
        if registration.status == "confirmed":
            seats += 1
        else:
            waiting += 1
    if seats + waiting == 0:
        raise DomainError(_("No session left to enrol in."))
    return seats, waiting


def send_reminders(now: datetime | None = None) -> int:
    """E-mail the people with a seat at an event starting within 24 hours (run hourly)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Registration).join(Event).where(
            Registration.status == "confirmed", Registration.reminder_sent_at.is_(None),
            Event.status == "published", Event.starts_at > now,
            Event.starts_at <= now + timedelta(hours=24))
        .options(selectinload(Registration.event), selectinload(Registration.member),
                 selectinload(Registration.child))).all()
    for registration in due:
        _notify(registration, "registration_reminder")
        registration.reminder_sent_at = now
    return len(due)


def set_prices(event: Event, prices: dict[int, int | None]) -> None:
    """Price per tariff (None or absent: free for that tariff)."""
    current = {price.tariff_id: price for price in event.prices}
    for tariff_id, cents in prices.items():
        if cents is None:
            if tariff_id in current:
                event.prices.remove(current[tariff_id])
        elif cents < 0:
            raise DomainError(_("A price cannot be negative."))
        elif tariff_id in current:
            current[tariff_id].price_cents = cents
        else:
            event.prices.append(EventPrice(tariff_id=tariff_id, price_cents=cents))


# --- e-mails ---------------------------------------------------------------------------------


CALENDAR_TEMPLATES = ("registration_confirmed", "registration_promoted", "event_changed")


def _notify(registration: Registration, template: str) -> None:
    member, event = registration.member, registration.event
    if not member or not member.email:
        return
    zone = zone_of(event)
    link = absolute_url("events.detail", slug=event.slug)
    attachments = None
    if template in CALENDAR_TEMPLATES:  # the seat as a file to add to a calendar
        attachments = [file for _receiver, files in signals.calendar_attachments.send(
            registration, locale=member.locale) for file in files or ()]
    queue_email(member.email, template, locale=member.locale, attachments=attachments,
                kind=f"event.{template.split('_', 1)[1]}", user=member, event=event,
                participant=registration.participant_name, link=link,
                starts=event.starts_at.astimezone(zone), ends=event.ends_at.astimezone(zone))


def export_registrations(member) -> list[dict]:
    rows = db.session.scalars(select(Registration).where(Registration.member_id == member.id)
                              .options(selectinload(Registration.event),
                                       selectinload(Registration.child))).all()
    return [{"event": r.event.title, "starts_at": r.event.starts_at.isoformat(),
             "participant": r.participant_name, "status": r.status,
             "attended": r.attended_at is not None} for r in rows]
