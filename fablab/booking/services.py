"""Booking rules, all checked here so that a hand-made request that skips the
form gets the same refusal as the page.

A booking of a resource must: be made by an active member with an active
membership and a valid training; fall inside an open slot of the resource's
site, aligned on the resource's step, between its shortest and longest
duration; respect the notice, how far ahead one may book, the weekly quota,
the slot's capacity in people and the no-show block. Staff may book for a member
and override the quotas (written to the audit log). The database itself refuses
two live bookings of one resource that overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from fablab.accounts.models import User
from fablab.booking import signals
from fablab.booking.models import LIVE_STATUSES, Booking, OpenSlot, SlotSeries
from fablab.core import audit
from fablab.core.errors import DomainError
from fablab.core.mail import absolute_url, queue_email
from fablab.core.models import Closure
from fablab.core.sites import closure_covering
from fablab.core.timeutil import local_today, utcnow
from fablab.extensions import db
from fablab.machines.models import Resource
from fablab.machines.services import has_valid_training
from fablab.memberships.services import active_membership

STATUS_LABELS = {
    "pending": _l("Waiting for approval"),
    "confirmed": _l("Confirmed"),
    "rejected": _l("Refused"),
    "cancelled": _l("Cancelled"),
}


def site_zone(site) -> ZoneInfo:
    return ZoneInfo(site.timezone)


def local_to_utc(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time of the site, as an aware UTC datetime (DST-safe)."""
    return datetime.combine(day, moment, tzinfo=zone).astimezone(ZoneInfo("UTC"))


# --- slots, series and closures -----------------------------------------------------------

PLANNING_HORIZON_DAYS = 5 * 366


def check_planning_day(day: date | None, field: str) -> None:
    """Slots, series and closures are planned within a few years of today."""
    if day is not None and abs((day - local_today()).days) > PLANNING_HORIZON_DAYS:
        raise DomainError(_("Please choose a date within five years of today."), field)


def create_slot(actor, site, starts_at: datetime | None, ends_at: datetime | None,
                capacity: int | None, staff_id: int | None = None, note: str = "") -> OpenSlot:
    if starts_at is None or ends_at is None:
        raise DomainError(_("Please give the start and the end."), "starts_at")
    check_planning_day(starts_at.date(), "starts_at")
    if ends_at <= starts_at:
        raise DomainError(_("The end must be after the start."), "ends_at")
    if ends_at - starts_at > timedelta(hours=24):
        raise DomainError(_("A slot lasts 24 hours at most."), "ends_at")
    if capacity is None or capacity <= 0:
        raise DomainError(_("The capacity is at least one person."), "capacity")
    local_day = starts_at.astimezone(site_zone(site)).date()
    closure = closure_covering(site.id, local_day)
    if closure is not None:
        raise DomainError(_("The site is closed that day (%(reason)s).",
                            reason=closure.reason or _("closure")), "starts_at")
    slot = OpenSlot(site_id=site.id, starts_at=starts_at, ends_at=ends_at, capacity=capacity,
                    staff_id=staff_id, note=(note or "").strip())
    db.session.add(slot)
    db.session.flush()
    audit.record(actor, "slot.create", slot, summary=f"{site.name} {starts_at.isoformat()}")
    return slot


def create_series(actor, site, weekdays: list[int], start_time: time | None,
                  end_time: time | None, first_day: date | None, last_day: date | None,
                  capacity: int | None, staff_id: int | None = None,
                  note: str = "") -> tuple[SlotSeries, int]:
    """A weekly series over a season, skipping closures. Returns (series, slots made)."""
    weekdays = sorted({int(d) for d in weekdays or [] if 1 <= int(d) <= 7})
    if not weekdays:
        raise DomainError(_("Please choose at least one weekday."), "weekdays")
    if start_time is None or end_time is None or end_time <= start_time:
        raise DomainError(_("The end must be after the start."), "end_time")
    if first_day is None or last_day is None or last_day < first_day:
        raise DomainError(_("The last day must be on or after the first day."), "last_day")
    check_planning_day(first_day, "first_day")
    check_planning_day(last_day, "last_day")
    if (last_day - first_day).days > 400:
        raise DomainError(_("A series covers one season: 400 days at most."), "last_day")
    if capacity is None or capacity <= 0:
        raise DomainError(_("The capacity is at least one person."), "capacity")
    series = SlotSeries(site_id=site.id, weekdays=",".join(map(str, weekdays)),
                        start_time=start_time, end_time=end_time, first_day=first_day,
                        last_day=last_day, capacity=capacity, staff_id=staff_id,
                        note=(note or "").strip())
    db.session.add(series)
    db.session.flush()
    closures = db.session.scalars(select(Closure).where(
        Closure.site_id == site.id, Closure.last_day >= first_day,
        Closure.first_day <= last_day)).all()
    zone, count, day = site_zone(site), 0, first_day
    while day <= last_day:
        closed = any(c.first_day <= day <= c.last_day for c in closures)
        if day.isoweekday() in weekdays and not closed:
            db.session.add(OpenSlot(
                site_id=site.id, series_id=series.id, capacity=capacity, staff_id=staff_id,
                note=series.note, starts_at=local_to_utc(day, start_time, zone),
                ends_at=local_to_utc(day, end_time, zone)))
            count += 1
        day += timedelta(days=1)
    if count == 0:
        raise DomainError(_("This series makes no slot: check the days and the closures."),
                          "weekdays")
    db.session.flush()
    audit.record(actor, "slot_series.create", series, summary=f"{site.name}: {count} slots")
    return series, count


def cancel_slot(actor, slot: OpenSlot, reason: str = "") -> int:
    """Cancel a slot and every live booking in it, telling each member."""
    if slot.cancelled_at is not None:
        raise DomainError(_("This slot is already cancelled."))
    slot.cancelled_at, slot.cancel_reason = utcnow(), (reason or "").strip()
    bookings = db.session.scalars(select(Booking).where(
        Booking.slot_id == slot.id, Booking.status.in_(LIVE_STATUSES))).all()
    _cancel_many(bookings, actor, reason or _("the open slot is cancelled"), "slot")
    audit.record(actor, "slot.cancel", slot, summary=reason, cancelled=len(bookings))
    return len(bookings)


def add_closure(actor, site, first_day: date | None, last_day: date | None,
                reason: str = "") -> tuple[Closure, int]:
    """Close a site for some days; the slots of those days are cancelled."""
    if first_day is None or last_day is None or last_day < first_day:
        raise DomainError(_("The last day must be on or after the first day."), "last_day")
    check_planning_day(first_day, "first_day")
    check_planning_day(last_day, "last_day")
    if (last_day - first_day).days > 366:
        raise DomainError(_("A closure lasts a year at most."), "last_day")
    closure = Closure(site_id=site.id, first_day=first_day, last_day=last_day,
                      reason=(reason or "").strip())
    db.session.add(closure)
    db.session.flush()
    zone = site_zone(site)
    start = local_to_utc(first_day, time.min, zone)
    end = local_to_utc(last_day + timedelta(days=1), time.min, zone)
    slots = db.session.scalars(select(OpenSlot).where(
        OpenSlot.site_id == site.id, OpenSlot.cancelled_at.is_(None),
        OpenSlot.starts_at >= start, OpenSlot.starts_at < end)).all()
    for slot in slots:
        cancel_slot(actor, slot, reason or _("the lab is closed"))
    audit.record(actor, "closure.create", closure, summary=f"{first_day} → {last_day}",
                 slots_cancelled=len(slots))
    return closure, len(slots)


def slots_between(site_ids: list[int] | None, start: datetime, end: datetime,
                  include_cancelled: bool = False) -> list[OpenSlot]:
    stmt = (select(OpenSlot).where(OpenSlot.starts_at < end, OpenSlot.ends_at > start)
            .options(joinedload(OpenSlot.staff), joinedload(OpenSlot.site))
            .order_by(OpenSlot.starts_at))
    if site_ids is not None:
        stmt = stmt.where(OpenSlot.site_id.in_(site_ids))
    if not include_cancelled:
        stmt = stmt.where(OpenSlot.cancelled_at.is_(None))
    return db.session.scalars(stmt).all()


# --- booking ---------------------------------------------------------------------------


@dataclass
class BookingRequest:
    resource: Resource
    member: object
    starts_at: datetime | None
    ends_at: datetime | None
    by: object | None = None  # staff booking on behalf of the member
    organisation_id: int | None = None
    purpose: str = ""
    override: bool = False  # staff only: skip quotas and the no-show block


def book(request: BookingRequest) -> Booking:
    """Check every rule, then insert; the database settles races."""
    config = current_app.config
    resource, member = request.resource, request.member
    by_staff = request.by is not None and request.by.is_staff
    override = request.override and by_staff
    now = utcnow()
    _check_resource_and_member(resource, member, request.starts_at)
    if db.engine.dialect.name == "postgresql":
        # One member's bookings queue here (then on the slot): the weekly quota
        # holds when they book several times at once. SQLite serialises writers.
        # FOR NO KEY UPDATE: foreign-key checks of other inserts (a booking made
        # *by* this user for someone else) do not wait for it, so no deadlock.
        db.session.execute(select(User.id).where(User.id == member.id)
                           .with_for_update(key_share=True))
    starts_at, ends_at = request.starts_at, request.ends_at
    _check_times(resource, starts_at, ends_at, now, by_staff)
    slot = _slot_containing(resource, starts_at, ends_at)
    if request.organisation_id is not None and not any(
            link.organisation_id == request.organisation_id for link in member.organisation_links):
        raise DomainError(_("You do not belong to this organisation."), "organisation")
    if resource.kind == "room" and request.organisation_id is not None and not request.purpose.strip():
        raise DomainError(_("Please give the purpose of the booking."), "purpose")
    if not override:
        mark_no_shows(now, member.id)
        _check_no_show_block(member, now)
        _check_weekly_quota(member, starts_at, ends_at, config)
    _check_capacity(slot, member)
    booking = Booking(
        resource_id=resource.id, member_id=member.id, slot_id=slot.id,
        organisation_id=request.organisation_id, starts_at=starts_at, ends_at=ends_at,
        status="pending" if resource.requires_approval else "confirmed",
        purpose=(request.purpose or "").strip()[:300],
        created_by_id=getattr(request.by, "id", member.id), quota_override=override)
    try:
        # Added inside the savepoint: a lost race rolls back the savepoint only.
        with db.session.begin_nested():
            db.session.add(booking)
            db.session.flush()
    except IntegrityError as error:
        if "no_overlap" not in str(error.orig):
            raise
        raise DomainError(_("This time is already booked. Please choose another time."),
                          "starts_at") from error
    if by_staff:
        audit.record(request.by, "booking.create", booking,
                     summary=f"{resource.name} for {member.name}", override=override)
    _notify(booking, "booking_requested" if booking.status == "pending" else "booking_confirmed")
    return booking


def _check_resource_and_member(resource: Resource, member, starts_at) -> None:
    if resource is None or not resource.active:
        raise DomainError(_("This machine or room does not exist."), "resource")
    if resource.status != "available":
        raise DomainError(_("%(name)s cannot be booked: %(reason)s", name=resource.name,
                            reason=resource.status_reason or _("it is unavailable")), "resource")
    if member is None or not member.is_active:
        raise DomainError(_("This account is not active."), "member")
    day = starts_at.astimezone(site_zone(resource.site)).date() if starts_at else None
    if active_membership(member, day) is None:
        raise DomainError(_("An active membership is needed to book: come and join at the desk."),
                          "member")
    if not has_valid_training(member, resource.training_id, starts_at):
        raise DomainError(_("You need the training “%(training)s” to book %(name)s. "
                            "Ask the staff for a training session.",
                            training=resource.training.name, name=resource.name), "resource")


def _check_times(resource: Resource, starts_at, ends_at, now: datetime, by_staff: bool) -> None:
    config = current_app.config
    if starts_at is None or ends_at is None:
        raise DomainError(_("Please give the start and the end."), "starts_at")
    if ends_at <= starts_at:
        raise DomainError(_("The end must be after the start."), "ends_at")
    if starts_at < now:
        raise DomainError(_("This time is in the past."), "starts_at")
    notice = timedelta(minutes=config["BOOKING_MIN_NOTICE_MINUTES"])
    if not by_staff and starts_at < now + notice:
        raise DomainError(_("Bookings are made at least %(minutes)d minutes ahead.",
                            minutes=config["BOOKING_MIN_NOTICE_MINUTES"]), "starts_at")
    horizon = now + timedelta(days=config["BOOKING_MAX_DAYS_AHEAD"])
    if not by_staff and starts_at > horizon:
        raise DomainError(_("Bookings open %(days)d days ahead at most.",
                            days=config["BOOKING_MAX_DAYS_AHEAD"]), "starts_at")
    step = resource.granularity_minutes
    local = starts_at.astimezone(site_zone(resource.site))
    minutes = (ends_at - starts_at).total_seconds() / 60
    if (local.hour * 60 + local.minute) % step or local.second or local.microsecond \
            or minutes % step:
        raise DomainError(_("Bookings of %(name)s start and end on steps of %(step)d minutes.",
                            name=resource.name, step=step), "starts_at")
    if minutes < resource.min_duration_minutes:
        raise DomainError(_("A booking lasts at least %(minutes)d minutes.",
                            minutes=resource.min_duration_minutes), "ends_at")
    if minutes > resource.max_duration_minutes:
        raise DomainError(_("A booking lasts at most %(minutes)d minutes.",
                            minutes=resource.max_duration_minutes), "ends_at")


def _slot_containing(resource: Resource, starts_at: datetime, ends_at: datetime) -> OpenSlot:
    stmt = select(OpenSlot).where(
        OpenSlot.site_id == resource.site_id, OpenSlot.cancelled_at.is_(None),
        OpenSlot.starts_at <= starts_at, OpenSlot.ends_at >= ends_at).limit(1)
    if db.engine.dialect.name == "postgresql":
        # Bookings of one slot queue here, so that its capacity holds under races.
        stmt = stmt.with_for_update()
    slot = db.session.scalar(stmt)
    if slot is None:
        raise DomainError(_("This time is outside the open-lab hours: choose a time inside "
                            "an open slot."), "starts_at")
    return slot


def _check_capacity(slot: OpenSlot, member) -> None:
    people = db.session.scalars(select(Booking.member_id).where(
        Booking.slot_id == slot.id, Booking.status.in_(LIVE_STATUSES)).distinct()).all()
    if member.id not in people and len(people) >= slot.capacity:
        raise DomainError(_("This open slot is full (%(n)d people).", n=slot.capacity),
                          "starts_at")


def _check_no_show_block(member, now: datetime) -> None:
    blocked_until = no_show_block_until(member, now)
    if blocked_until is not None:
        from flask_babel import format_date

        raise DomainError(_("After %(n)d missed bookings, booking is paused until %(date)s.",
                            n=current_app.config["NO_SHOW_LIMIT"],
                            date=format_date(blocked_until, "long")), "member")


def no_show_block_until(member, now: datetime | None = None) -> datetime | None:
    """The end of the block if the member missed too many bookings lately."""
    config = current_app.config
    now = now or utcnow()
    window = timedelta(days=config["NO_SHOW_WINDOW_DAYS"])
    misses = db.session.scalars(select(Booking.starts_at).where(
        Booking.member_id == member.id, Booking.no_show.is_(True),
        Booking.starts_at >= now - window - timedelta(days=config["NO_SHOW_BLOCK_DAYS"]))
        .order_by(Booking.starts_at)).all()
    limit = config["NO_SHOW_LIMIT"]
    # Any run of `limit` no-shows within the window starts a block from the last one.
    for i in range(len(misses) - limit, -1, -1):
        run = misses[i:i + limit]
        if len(run) == limit and run[-1] - run[0] <= window:
            until = run[-1] + timedelta(days=config["NO_SHOW_BLOCK_DAYS"])
            return until if until > now else None
    return None


def weekly_quota_hours(member, config) -> float:
    membership = active_membership(member)
    by_tariff = config.get("BOOKING_WEEKLY_QUOTA_BY_TARIFF") or {}
    if membership is not None and membership.tariff.code in by_tariff:
        return float(by_tariff[membership.tariff.code])
    return float(config["BOOKING_WEEKLY_QUOTA_HOURS"])


def _check_weekly_quota(member, starts_at: datetime, ends_at: datetime, config) -> None:
    zone = ZoneInfo(config["TIMEZONE"])
    local = starts_at.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    week_start = local_to_utc(monday, time.min, zone)
    week_end = local_to_utc(monday + timedelta(days=7), time.min, zone)
    booked = db.session.scalars(select(Booking).where(
        Booking.member_id == member.id, Booking.status.in_(LIVE_STATUSES),
        Booking.starts_at >= week_start, Booking.starts_at < week_end)).all()
    used = sum(b.duration_hours for b in booked)
    quota = weekly_quota_hours(member, config)
    if used + (ends_at - starts_at).total_seconds() / 3600 > quota + 1e-9:
        raise DomainError(_("This booking would go over your %(quota)s hours a week "
                            "(%(used)s already booked).", quota=format_decimal(quota),
                            used=format_decimal(used)),
                          "ends_at")


# --- cancelling, deciding, checking in ------------------------------------------------------


def can_cancel(booking: Booking, user, now: datetime | None = None) -> bool:
    if not booking.is_live or booking.ends_at <= (now or utcnow()):
        return False
    if user.is_staff:
        return True
    deadline = booking.starts_at - timedelta(
        hours=current_app.config["BOOKING_CANCEL_DEADLINE_HOURS"])
    return booking.member_id == user.id and (now or utcnow()) <= deadline


def cancel(booking: Booking, by, reason: str = "") -> None:
    if booking.member_id != by.id and not by.is_staff:
        raise DomainError(_("This booking is not yours."))
    if not booking.is_live:
        raise DomainError(_("This booking is already cancelled."))
    if not can_cancel(booking, by):
        raise DomainError(_("Bookings can be cancelled up to %(hours)d hours before they "
                            "start; after that, please call the lab.",
                            hours=current_app.config["BOOKING_CANCEL_DEADLINE_HOURS"]))
    who = "member" if booking.member_id == by.id else "staff"
    _cancel(booking, by, reason, who)
    if by.is_staff and booking.member_id != by.id:
        audit.record(by, "booking.cancel", booking, summary=reason)


def _cancel(booking: Booking, by, reason: str, cause: str, notify: bool = True) -> None:
    booking.status = "cancelled"
    booking.cancelled_at, booking.cancelled_by_id = utcnow(), getattr(by, "id", None)
    booking.cancel_reason = (reason or "").strip()[:300]
    if notify:
        _notify(booking, "booking_cancelled", cause=cause)


def _cancel_many(bookings: list[Booking], by, reason: str, cause: str) -> None:
    """Cancel bookings and send each member one e-mail, however many they had."""
    by_member: dict[int, list[Booking]] = {}
    for booking in bookings:
        _cancel(booking, by, reason, cause, notify=False)
        by_member.setdefault(booking.member_id, []).append(booking)
    for member_bookings in by_member.values():
        if len(member_bookings) == 1:
            _notify(member_bookings[0], "booking_cancelled", cause=cause)
        else:
            _notify_many(member_bookings, reason)


def _notify_many(bookings: list[Booking], reason: str) -> None:
    member = bookings[0].member
    if not member or not member.email:
        return
    lines = [(b.resource.name, b.starts_at.astimezone(site_zone(b.resource.site)),
              b.ends_at.astimezone(site_zone(b.resource.site))) for b in bookings]
    link = absolute_url("booking.my_bookings")
    queue_email(member.email, "bookings_cancelled", locale=member.locale,
                kind="booking.cancelled", user=member, lines=lines, reason=reason, link=link)


def cancel_future_bookings_of_resource(actor, resource: Resource, reason: str) -> int:
    bookings = db.session.scalars(select(Booking).where(
        Booking.resource_id == resource.id, Booking.status.in_(LIVE_STATUSES),
        Booking.starts_at > utcnow())).all()
    _cancel_many(bookings, actor, reason, "resource")
    return len(bookings)


def on_resource_unavailable(resource: Resource, actor, reason: str) -> int:
    """Receiver of ``machines.signals.resource_unavailable``."""
    return cancel_future_bookings_of_resource(actor, resource, reason)


def decide(booking: Booking, staff, accept: bool, reason: str = "") -> None:
    """Accept or reject a room request; the member is told, with the reason."""
    if booking.status != "pending":
        raise DomainError(_("This request has already been answered."))
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError(_("Please give the reason for the refusal."), "reason")
    booking.status = "confirmed" if accept else "rejected"
    booking.decided_by_id, booking.decision_reason = staff.id, reason[:300]
    audit.record(staff, "booking.accept" if accept else "booking.reject", booking, summary=reason)
    _notify(booking, "booking_accepted" if accept else "booking_rejected")


CHECK_IN_EARLY = timedelta(hours=1)


def can_check_in(booking: Booking, now: datetime | None = None) -> bool:
    """From an hour before the start; late is fine (staff may be busy)."""
    return (booking.status == "confirmed" and booking.checked_in_at is None
            and (now or utcnow()) >= booking.starts_at - CHECK_IN_EARLY)


def check_in(booking: Booking, staff) -> None:
    if booking.status != "confirmed":
        raise DomainError(_("Only a confirmed booking can be checked in."))
    if booking.checked_in_at is not None:
        raise DomainError(_("Already checked in."))
    if not can_check_in(booking):
        raise DomainError(_("Arrivals are recorded from an hour before the booking starts."))
    booking.checked_in_at, booking.no_show = utcnow(), False
    audit.record(staff, "booking.check_in", booking, summary=booking.member.name)
    signals.booking_checked_in.send(booking, staff=staff)  # the desk counts the visit


def mark_no_shows(now: datetime | None = None, member_id: int | None = None) -> int:
    """Confirmed bookings whose slot is over and that nobody checked in.

    Run hourly by ``flask booking close-slots``, and for the member at each of
    their bookings, so that the no-show block holds even without the cron job.
    """
    now = now or utcnow()
    ended_slots = select(OpenSlot.id).where(OpenSlot.ends_at <= now)
    stmt = update(Booking).where(
        Booking.status == "confirmed", Booking.checked_in_at.is_(None),
        Booking.no_show.is_(False), Booking.ends_at <= now,
        or_(Booking.slot_id.is_(None), Booking.slot_id.in_(ended_slots)))
    if member_id is not None:
        stmt = stmt.where(Booking.member_id == member_id)
    result = db.session.execute(stmt.values(no_show=True)
                                .execution_options(synchronize_session=False))
    return result.rowcount or 0


def send_reminders(now: datetime | None = None) -> int:
    """E-mail members the day before their booking (run hourly)."""
    now = now or utcnow()
    due = db.session.scalars(select(Booking).where(
        Booking.status == "confirmed", Booking.reminder_sent_at.is_(None),
        Booking.starts_at > now, Booking.starts_at <= now + timedelta(hours=24))).all()
    for booking in due:
        _notify(booking, "booking_reminder")
        booking.reminder_sent_at = now
    return len(due)


# --- what pages show ------------------------------------------------------------------------


def bookings_of_member(member, upcoming: bool = True) -> list[Booking]:
    now = utcnow()
    # joined, not selectin: one query per list, whether it is empty or not
    stmt = (select(Booking).where(Booking.member_id == member.id)
            .options(joinedload(Booking.resource).joinedload(Resource.site)))
    if upcoming:
        stmt = stmt.where(Booking.ends_at > now).order_by(Booking.starts_at)
    else:
        stmt = stmt.where(Booking.ends_at <= now).order_by(Booking.starts_at.desc()).limit(50)
    return db.session.scalars(stmt).all()


def live_bookings_between(resource_ids: list[int] | None, start: datetime, end: datetime,
                          with_members: bool = False, site_id: int | None = None,
                          include_cancelled: bool = False) -> list[Booking]:
    stmt = (select(Booking).where(Booking.starts_at < end, Booking.ends_at > start)
            .order_by(Booking.starts_at))
    if not include_cancelled:
        stmt = stmt.where(Booking.status.in_(LIVE_STATUSES))
    if resource_ids is not None:
        stmt = stmt.where(Booking.resource_id.in_(resource_ids))
    if site_id is not None:
        stmt = stmt.join(Resource).where(Resource.site_id == site_id)
    options = [selectinload(Booking.resource)]
    if with_members:
        options += [selectinload(Booking.member), selectinload(Booking.organisation)]
    return db.session.scalars(stmt.options(*options)).all()


@dataclass
class Cell:
    starts_at: datetime
    ends_at: datetime
    state: str  # "closed", "free", "booked", "past"


def week_grid(resource: Resource, monday: date, now: datetime | None = None):
    """Seven days of the resource from ``monday`` (any first day) as steps:
    free, booked or past; a day without slot is closed.

    Two queries whatever the number of bookings: the slots and the bookings.
    """
    now = now or utcnow()
    zone = site_zone(resource.site)
    start = local_to_utc(monday, time.min, zone)
    end = local_to_utc(monday + timedelta(days=7), time.min, zone)
    slots = slots_between([resource.site_id], start, end)
    bookings = live_bookings_between([resource.id], start, end)
    step = timedelta(minutes=resource.granularity_minutes)
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        day_slots = [s for s in slots if s.starts_at.astimezone(zone).date() == day]
        cells = []
        for slot in day_slots:
            moment = slot.starts_at
            while moment + step <= slot.ends_at:
                taken = any(b.starts_at < moment + step and b.ends_at > moment for b in bookings)
                state = "past" if moment < now else ("booked" if taken else "free")
                cells.append(Cell(moment, moment + step, state))
                moment += step
        days.append((day, day_slots, cells))
    return days


def day_view(site, day: date):
    """Staff's day at a site: slots with their bookings and members."""
    zone = site_zone(site)
    start = local_to_utc(day, time.min, zone)
    end = local_to_utc(day + timedelta(days=1), time.min, zone)
    slots = slots_between([site.id], start, end, include_cancelled=True)
    bookings = live_bookings_between(None, start, end, with_members=True, site_id=site.id,
                                     include_cancelled=True)
    return slots, bookings


def pending_requests(site_id: int | None = None) -> list[Booking]:
    stmt = (select(Booking).where(Booking.status == "pending", Booking.ends_at > utcnow())
            .options(joinedload(Booking.resource), joinedload(Booking.member),
                     joinedload(Booking.organisation))
            .order_by(Booking.starts_at))
    if site_id is not None:
        stmt = stmt.join(Resource).where(Resource.site_id == site_id)
    return db.session.scalars(stmt).all()


# --- e-mails --------------------------------------------------------------------------------


def _notify(booking: Booking, template: str, **extra) -> None:
    member, resource = booking.member, booking.resource  # loaded after the flush
    if not member or not member.email:
        return
    zone = site_zone(resource.site)
    link = absolute_url("booking.my_bookings")
    attachments = None
    if template in ("booking_confirmed", "booking_accepted"):  # to add to a calendar
        attachments = [file for _receiver, files in signals.calendar_attachments.send(
            booking, locale=member.locale) for file in files or ()]
    queue_email(member.email, template, locale=member.locale, kind=f"booking.{template[8:]}",
                attachments=attachments,
                user=member, booking=booking, resource=resource, link=link,
                starts=booking.starts_at.astimezone(zone), ends=booking.ends_at.astimezone(zone),
                **extra)


def export_bookings(member) -> list[dict]:
    rows = db.session.scalars(select(Booking).where(Booking.member_id == member.id)
                              .options(selectinload(Booking.resource))
                              .order_by(Booking.starts_at)).all()
    return [{"resource": b.resource.name, "starts_at": b.starts_at.isoformat(),
             "ends_at": b.ends_at.isoformat(), "status": b.status,
             "checked_in": b.checked_in_at is not None, "no_show": b.no_show} for b in rows]



def erase_purposes(member) -> None:
    """GDPR erasure: what the member wrote about their bookings (the bookings stay,
    anonymous, for the figures)."""
    db.session.execute(update(Booking).where(Booking.member_id == member.id,
                                             Booking.purpose != "").values(purpose=""))
