"""Membership rules: recording an adhésion at the desk, who is active today,
expiry reminders, and the tariffs admins edit."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from fablab.core import audit
from fablab.core.errors import DomainError, ensure_unique
from fablab.core.mail import queue_email
from fablab.core.timeutil import local_today, utcnow
from fablab.extensions import db
from fablab.memberships.models import PAYMENT_METHODS, Membership, Tariff

# The seeded tariffs' names, translated; a tariff an admin adds shows its own name.
TARIFF_LABELS = {
    "standard": _l("Standard"),
    "solidarity": _l("Solidarity"),
    "student": _l("Student"),
    "child": _l("Child"),
}

PAYMENT_LABELS = {
    "cash": _l("Cash"),
    "card": _l("Card"),
    "cheque": _l("Cheque"),
    "transfer": _l("Bank transfer"),
    "free": _l("Free"),
}


def tariff_label(tariff: Tariff) -> str:
    label = TARIFF_LABELS.get(tariff.code)
    return str(label) if label is not None else tariff.name


def active_membership(member, day: date | None = None) -> Membership | None:
    day = day or local_today()
    return db.session.scalar(
        select(Membership)
        .where(Membership.member_id == member.id,
               Membership.starts_on <= day, Membership.ends_on >= day)
        .options(joinedload(Membership.tariff))
        .order_by(Membership.ends_on.desc())
        .limit(1)
    )


def is_active_member(member, day: date | None = None) -> bool:
    return active_membership(member, day) is not None


def memberships_of(member) -> list[Membership]:
    return db.session.scalars(
        select(Membership).where(Membership.member_id == member.id)
        .options(joinedload(Membership.tariff))  # not one query per tariff on the page
        .order_by(Membership.starts_on.desc())
    ).all()


def default_period(member, today: date | None = None) -> tuple[date, date]:
    """A year from today, or from the day after the current membership ends."""
    today = today or local_today()
    last_end = db.session.scalar(
        select(Membership.ends_on).where(Membership.member_id == member.id,
                                         Membership.ends_on >= today)
        .order_by(Membership.ends_on.desc()).limit(1)
    )
    start = last_end + timedelta(days=1) if last_end else today
    return start, one_year_from(start)


def one_year_from(start: date) -> date:
    try:
        return start.replace(year=start.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def record_membership(actor, member, tariff: Tariff | None, starts_on: date | None,
                      ends_on: date | None, amount_cents: int | None,
                      payment_method: str, note: str = "") -> Membership:
    """Staff record a membership paid (or granted) at the desk."""
    if member is None or member.anonymised_at:
        raise DomainError(_("This member does not exist."))
    if tariff is None or not tariff.active:
        raise DomainError(_("Please choose a tariff."), "tariff")
    if starts_on is None:
        raise DomainError(_("Please give the first day."), "starts_on")
    if ends_on is None or ends_on < starts_on:
        raise DomainError(_("The last day must be on or after the first day."), "ends_on")
    if (ends_on - starts_on).days > 2 * 366:
        raise DomainError(_("A membership lasts two years at most."), "ends_on")
    if payment_method not in PAYMENT_METHODS:
        raise DomainError(_("Please choose a payment method."), "payment_method")
    if amount_cents is None or amount_cents < 0:
        raise DomainError(_("The amount cannot be negative."), "amount")
    if payment_method == "free" and amount_cents != 0:
        raise DomainError(_("A free membership has an amount of zero."), "amount")
    if payment_method != "free" and amount_cents == 0:
        raise DomainError(_("Choose “free” for a membership with no payment."),
                          "payment_method")
    _refuse_overlap(member, starts_on, ends_on)
    membership = Membership(
        member_id=member.id, tariff=tariff, starts_on=starts_on, ends_on=ends_on,
        amount_cents=amount_cents, payment_method=payment_method,
        note=(note or "").strip(), recorded_by_id=getattr(actor, "id", None),
    )
    try:
        # Added inside the savepoint: a desk that loses a race to another (both
        # checked before either wrote) rolls back the savepoint only.
        with db.session.begin_nested():
            db.session.add(membership)
            db.session.flush()
    except IntegrityError as error:
        if "ex_memberships_no_overlap" not in str(error.orig):
            raise
        # The other desk's row is committed now: the same sentence as the check.
        _refuse_overlap(member, starts_on, ends_on)
        raise DomainError(_("This period overlaps another membership of this member."),
                          "starts_on") from error
    audit.record(actor, "membership.create", membership,
                 summary=f"{member.name}: {starts_on} → {ends_on}",
                 member_id=member.id, amount_cents=amount_cents, payment_method=payment_method)
    if member.email:
        queue_email(member.email, "membership_recorded", locale=member.locale,
                    kind="membership.recorded", user=member, membership=membership,
                    tariff_name=tariff_label(tariff))
    return membership


def _refuse_overlap(member, starts_on: date, ends_on: date) -> None:
    """Refuse a period that meets another of the member's (both days inclusive, as
    the database's guard: a renewal starts the day after)."""
    overlapping = db.session.scalar(
        select(Membership).where(
            Membership.member_id == member.id,
            Membership.starts_on <= ends_on,
            Membership.ends_on >= starts_on,
        ).limit(1)
    )
    if overlapping is not None:
        raise DomainError(
            _("This period overlaps a membership from %(start)s to %(end)s.",
              start=overlapping.starts_on.isoformat(), end=overlapping.ends_on.isoformat()),
            "starts_on",
        )


def send_expiry_reminders(today: date | None = None) -> int:
    """Remind members whose membership ends within the configured number of days
    and who have not renewed yet. Each membership is reminded once."""
    today = today or local_today()
    horizon = today + timedelta(days=current_app.config["MEMBERSHIP_REMINDER_DAYS"])
    later = aliased(Membership)
    renewed = exists().where(and_(later.member_id == Membership.member_id,
                                  later.ends_on > Membership.ends_on))
    due = db.session.scalars(
        select(Membership).where(
            Membership.ends_on >= today,
            Membership.ends_on <= horizon,
            Membership.reminder_sent_at.is_(None),
            ~renewed,
        )
    ).all()
    count = 0
    for membership in due:
        member = membership.member
        if member.email and member.is_active:
            queue_email(member.email, "membership_expiring", locale=member.locale,
                        kind="membership.reminder", user=member, membership=membership)
            count += 1
        membership.reminder_sent_at = utcnow()
    return count


def save_tariff(actor, tariff: Tariff | None, code: str, name: str, price_cents: int | None,
                description: str = "", position: int = 0, active: bool = True) -> Tariff:
    code = (code or "").strip().lower()
    name = (name or "").strip()
    if not code or not code.replace("-", "").replace("_", "").isalnum():
        raise DomainError(_("The code is made of letters, digits, - and _."), "code")
    if not name:
        raise DomainError(_("Please give the tariff's name."), "name")
    if price_cents is None or price_cents < 0:
        raise DomainError(_("The price cannot be negative."), "price")
    ensure_unique(Tariff.code, code, tariff, _("Another tariff has this code."), "code")
    creating = tariff is None
    if creating:
        tariff = Tariff(code=code)
        db.session.add(tariff)
    tariff.code, tariff.name, tariff.price_cents = code, name, price_cents
    tariff.description, tariff.position, tariff.active = (description or "").strip(), position, active
    db.session.flush()
    audit.record(actor, "tariff.create" if creating else "tariff.update", tariff,
                 summary=f"{code}: {price_cents / 100:.2f}")
    return tariff


def list_tariffs(only_active: bool = False) -> list[Tariff]:
    stmt = select(Tariff).order_by(Tariff.position, Tariff.name)
    if only_active:
        stmt = stmt.where(Tariff.active.is_(True))
    return db.session.scalars(stmt).all()


def expiring_memberships(days: int = 30, today: date | None = None) -> list[Membership]:
    today = today or local_today()
    return db.session.scalars(
        select(Membership).where(Membership.ends_on >= today,
                                 Membership.ends_on <= today + timedelta(days=days))
        .order_by(Membership.ends_on)
    ).all()


def export_memberships(member) -> list[dict]:
    return [
        {
            "starts_on": m.starts_on.isoformat(), "ends_on": m.ends_on.isoformat(),
            "tariff": tariff_label(m.tariff), "amount": m.amount_cents / 100,
            "payment_method": m.payment_method,
        }
        for m in memberships_of(member)
    ]


def erase_notes(member) -> None:
    """GDPR erasure: the staff's notes about the member's memberships (the periods stay,
    anonymous, for the figures)."""
    db.session.execute(update(Membership).where(Membership.member_id == member.id,
                                                Membership.note != "").values(note=""))
