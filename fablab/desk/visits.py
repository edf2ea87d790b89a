"""Counting visits: every arrival of a member, and the walk-in visitors.

``record_member_visit`` is called by the scan station (a member card), and on the
signals of a booking's check-in and of an event's attendance (connected at setup). It
inserts with ON CONFLICT DO NOTHING on the partial unique index, so that two arrivals of
one person on one day at one site, even at the same instant from two desks, make one
visit and no error.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from fablab.core import audit
from fablab.core.errors import DomainError
from fablab.core.models import Site
from fablab.core.timeutil import utcnow
from fablab.desk.models import AGE_GROUPS, VISIT_REASONS, Visit
from fablab.extensions import db

REASON_LABELS = {
    "open_lab": _l("Open lab"),
    "workshop": _l("Workshop"),
    "repair_cafe": _l("Repair café"),
    "coworking": _l("Coworking"),
    "other": _l("Other"),
}
AGE_GROUP_LABELS = {
    "0-11": _l("Under 12"),
    "12-17": _l("12 to 17"),
    "18-25": _l("18 to 25"),
    "26-59": _l("26 to 59"),
    "60+": _l("60 and over"),
}
EVENT_KIND_REASONS = {"repair_cafe": "repair_cafe"}


def site_day(site_id: int) -> date:
    site = db.session.get(Site, site_id)
    zone = ZoneInfo(site.timezone if site is not None else "Europe/Paris")
    return utcnow().astimezone(zone).date()


def _insert():
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Visit.__table__)


def record_member_visit(site_id: int, member_id: int | None = None, child_id: int | None = None,
                        source: str = "scan", reason: str | None = None,
                        recorded_by=None, day: date | None = None) -> bool:
    """One visit per person, site and day; True when this arrival is the first."""
    if member_id is None and child_id is None:
        return False
    column = "member_id" if member_id is not None else "child_id"
    values = {"site_id": site_id, "day": day or site_day(site_id), "at": utcnow(),
              "member_id": member_id, "child_id": child_id, "source": source,
              "reason": reason, "commune": "", "created_at": utcnow(),
              "recorded_by_id": getattr(recorded_by, "id", None)}
    stmt = _insert().values(**values).on_conflict_do_nothing(
        index_elements=["site_id", "day", column],
        index_where=text(f"{column} IS NOT NULL")).returning(Visit.__table__.c.id)
    return db.session.execute(stmt).scalar() is not None


def record_walk_in(staff, site: Site | None, reason: str = "", age_group: str = "",
                   commune: str = "") -> Visit:
    """A "+1 visitor": someone without an account, with optional anonymous details."""
    if site is None:
        raise DomainError(_("Unknown site."), "site_id")
    reason = reason or None
    age_group = age_group or None
    if reason is not None and reason not in VISIT_REASONS:
        raise DomainError(_("Unknown reason for the visit."), "reason")
    if age_group is not None and age_group not in AGE_GROUPS:
        raise DomainError(_("Unknown age group."), "age_group")
    commune = " ".join((commune or "").split())[:120]
    visit = Visit(site_id=site.id, day=site_day(site.id), at=utcnow(), source="walk_in",
                  reason=reason, age_group=age_group, commune=commune,
                  recorded_by_id=getattr(staff, "id", None))
    db.session.add(visit)
    db.session.flush()
    audit.record(staff, "visit.walk_in", visit, summary=site.name)
    return visit


def today_counts(site_id: int, day: date) -> dict[str, int]:
    """Today's visits at a site: members (and children) and walk-in visitors, one query."""
    walk_in = Visit.source == "walk_in"
    row = db.session.execute(
        select(func.count(Visit.id),
               func.coalesce(func.sum(case((walk_in, 1), else_=0)), 0))
        .where(Visit.site_id == site_id, Visit.day == day)).one()
    total, walk_ins = int(row[0] or 0), int(row[1] or 0)
    return {"total": total, "walk_ins": walk_ins, "members": total - walk_ins}


def reason_for_event(kind: str) -> str:
    return EVENT_KIND_REASONS.get(kind, "workshop")


def on_booking_checked_in(booking, staff) -> None:
    """Receiver of ``booking.signals.booking_checked_in``."""
    record_member_visit(booking.resource.site_id, member_id=booking.member_id, source="booking",
                        reason="open_lab", recorded_by=staff)


def on_attendance_marked(registration, actor) -> None:
    """Receiver of ``events.signals.attendance_marked`` (a child's attendance is the
    child's visit)."""
    child_id = registration.child_id
    record_member_visit(registration.event.site_id,
                        member_id=None if child_id else registration.member_id,
                        child_id=child_id, source="event",
                        reason=reason_for_event(registration.event.kind), recorded_by=actor)
