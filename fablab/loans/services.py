"""Lending rules: the catalogue, check-out and check-in, due dates, renewals,
holds and their queue, overdue notices.

Every state change is a named function that flushes; the view commits once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from fablab.core import audit
from fablab.core.errors import DomainError, ensure_unique
from fablab.core.mail import absolute_url, queue_email
from fablab.core.sites import closure_covering
from fablab.core.sites import zone as site_zone
from fablab.core.timeutil import local_today, utcnow
from fablab.extensions import db
from fablab.loans.models import (ITEM_STATUSES, LENDABLE_TO, Hold, Item, ItemCondition, ItemEvent,
                                 Loan)
from fablab.machines.services import has_valid_training
from fablab.memberships.services import active_membership, is_active_member

STATUS_LABELS = {
    "available": _l("Available"),
    "on_loan": _l("On loan"),
    "held": _l("Reserved"),
    "maintenance": _l("In maintenance"),
    "missing": _l("Missing"),
    "retired": _l("Retired"),
}
LENDABLE_LABELS = {
    "all": _l("Members and organisations"),
    "members": _l("Members only"),
    "organisations": _l("Organisations only"),
}
HOLD_LABELS = {
    "waiting": _l("In the queue"),
    "ready": _l("Ready to collect"),
    "collected": _l("Collected"),
    "cancelled": _l("Cancelled"),
    "expired": _l("Not collected in time"),
}
CONDITION_LABELS = {
    "new": _l("New"),
    "good": _l("Good"),
    "worn": _l("Worn"),
    "damaged": _l("Damaged"),
}
EVENT_LABELS = {
    "created": _l("Added to the library"),
    "edited": _l("Details edited"),
    "checked_out": _l("Checked out"),
    "checked_in": _l("Returned"),
    "renewed": _l("Loan renewed"),
    "status": _l("Status changed"),
    "hold_ready": _l("Kept for a member"),
    "hold_expired": _l("Hold not collected"),
}
# Staff may set these statuses by hand; on loan and reserved follow the loans and holds.
MANUAL_STATUSES = ("available", "maintenance", "missing", "retired")


def condition_label(condition: ItemCondition | None) -> str:
    if condition is None:
        return ""
    label = CONDITION_LABELS.get(condition.code or "")
    return str(label) if label is not None else condition.name


def conditions() -> list[ItemCondition]:
    return db.session.scalars(select(ItemCondition)
                              .order_by(ItemCondition.position, ItemCondition.id)).all()


def add_condition(actor, name: str) -> ItemCondition:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Please give the condition's name."), "name")
    ensure_unique(ItemCondition.name, name, None, _("This condition is already in the list."),
                  "name", ignore_case=True)
    position = db.session.scalar(select(func.coalesce(func.max(ItemCondition.position), 0))) + 1
    condition = ItemCondition(name=name, position=position)
    db.session.add(condition)
    db.session.flush()
    audit.record(actor, "item_condition.create", condition, summary=name)
    return condition


# --- the catalogue ---------------------------------------------------------------------------


def item_by_code(code: str) -> Item | None:
    code = (code or "").strip().upper()
    return db.session.scalar(select(Item).where(Item.code == code)) if code else None


def categories() -> list[str]:
    return db.session.scalars(
        select(Item.category).where(Item.category != "", Item.status != "retired")
        .distinct().order_by(Item.category)).all()


def catalogue(q: str = "", category: str = "", status: str = "", staff: bool = False,
              limit: int = 24, offset: int = 0) -> list[Item]:
    """Items matching a search, in name order; missing and retired ones for staff only."""
    query = select(Item).options(selectinload(Item.condition)).order_by(Item.name, Item.id)
    if not staff:
        query = query.where(Item.status.not_in(("missing", "retired")))
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(Item.name).like(pattern),
                                func.lower(Item.code).like(pattern),
                                func.lower(Item.category).like(pattern),
                                func.lower(Item.description).like(pattern)))
    if category:
        query = query.where(Item.category == category)
    if status in ITEM_STATUSES:
        query = query.where(Item.status == status)
    return db.session.scalars(query.limit(limit).offset(offset)).all()


def open_loans_by_item(item_ids: list[int]) -> dict[int, Loan]:
    if not item_ids:
        return {}
    loans = db.session.scalars(select(Loan).where(Loan.item_id.in_(item_ids),
                                                  Loan.returned_at.is_(None))).all()
    return {loan.item_id: loan for loan in loans}


def open_loan(item: Item) -> Loan | None:
    return db.session.scalar(select(Loan).where(Loan.item_id == item.id,
                                                Loan.returned_at.is_(None)))


def next_code() -> str:
    prefix = current_app.config["ITEM_CODE_PREFIX"]
    codes = db.session.scalars(select(Item.code).where(Item.code.like(f"{prefix}%"))).all()
    numbers = [int(code[len(prefix):]) for code in codes if code[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


ITEM_FIELDS = ("code", "site_id", "name", "category", "description", "value_cents",
               "deposit_cents", "loan_days", "max_renewals", "condition_id", "location",
               "lendable_to", "training_id", "photo")


def save_item(actor, item: Item | None, **fields) -> Item:
    fields["code"] = (fields.get("code") or "").strip().upper() or next_code()
    if not fields.get("name", "").strip():
        raise DomainError(_("Please give the item's name."), "name")
    if fields.get("lendable_to", "all") not in LENDABLE_TO:
        raise DomainError(_("Please choose who may borrow it."), "lendable_to")
    if (fields.get("loan_days") or 0) < 1:
        raise DomainError(_("The loan period is at least one day."), "loan_days")
    ensure_unique(Item.code, fields["code"], item, _("Another item has this code."), "code")
    creating = item is None
    if creating:
        item = Item()
        db.session.add(item)
    for name in ITEM_FIELDS:
        if name in fields and not (name == "photo" and fields[name] is None):
            setattr(item, name, fields[name])
    db.session.flush()
    _history(actor, item, "created" if creating else "edited", condition_id=item.condition_id)
    audit.record(actor, "item.create" if creating else "item.edit", item, summary=item.code)
    return item


def set_status(actor, item: Item, status: str, reason: str = "") -> None:
    """Staff send an item to maintenance, declare it missing, retire it or put it back."""
    if status not in MANUAL_STATUSES:
        raise DomainError(_("This status follows the loans and holds; it cannot be set by hand."),
                          "status")
    if status != "available" and not (reason or "").strip():
        raise DomainError(_("Please give the reason."), "reason")
    if open_loan(item) is not None and status != "missing":
        raise DomainError(_("The item is on loan: check it in first."), "status")
    item.status, item.status_reason = status, (reason or "").strip() if status != "available" else ""
    if status == "available":
        _promote_next_hold(item, actor)
    elif status in ("missing", "retired"):
        for hold in _live_holds(item):
            _end_hold(hold, "cancelled")
    else:
        _requeue_ready_hold(item)
    _history(actor, item, "status", status=item.status, note=item.status_reason)
    audit.record(actor, "item.status", item, summary=f"{item.code} {status}")
    db.session.flush()


def history(item: Item, limit: int = 200) -> list[ItemEvent]:
    return db.session.scalars(
        select(ItemEvent).where(ItemEvent.item_id == item.id)
        .options(selectinload(ItemEvent.actor), selectinload(ItemEvent.condition),
                 selectinload(ItemEvent.loan).selectinload(Loan.member))
        .order_by(ItemEvent.at.desc(), ItemEvent.id.desc()).limit(limit)).all()


def _history(actor, item: Item, kind: str, loan: Loan | None = None, **fields) -> None:
    db.session.add(ItemEvent(item_id=item.id, actor_id=getattr(actor, "id", None), kind=kind,
                             loan_id=loan.id if loan else None, **fields))


# --- check-out ----------------------------------------------------------------------------------


def due_date(item: Item, start: date) -> date:
    """Start plus the loan period, moved to the next day the site is open."""
    day = start + timedelta(days=item.loan_days)
    for _guard in range(60):
        closure = closure_covering(item.site_id, day)
        if closure is None:
            break
        day = closure.last_day + timedelta(days=1)
    return day


def item_limit(member) -> int:
    config = current_app.config
    membership = active_membership(member)
    code = membership.tariff.code if membership and membership.tariff else None
    return int(config["LOAN_LIMIT_BY_TARIFF"].get(code, config["LOAN_ITEM_LIMIT"]))


def overdue_loans_of(member, today: date | None = None) -> list[Loan]:
    today = today or local_today()
    return db.session.scalars(
        select(Loan).where(Loan.member_id == member.id, Loan.returned_at.is_(None),
                           Loan.due_on < today).options(selectinload(Loan.item))).all()


def open_loan_count(member) -> int:
    return db.session.scalar(select(func.count(Loan.id)).where(
        Loan.member_id == member.id, Loan.returned_at.is_(None)))


def check_can_borrow(member, item: Item, organisation=None) -> None:
    """Refuse with the reason staff read out at the desk; nothing is written."""
    if not member.is_active:
        raise DomainError(_("This account is deactivated."))
    if item.status in ("retired", "missing"):
        raise DomainError(_("%(code)s is %(status)s: it cannot be lent.",
                            code=item.code, status=STATUS_LABELS[item.status].lower()))
    if item.status == "maintenance":
        raise DomainError(_("%(code)s is in maintenance.", code=item.code))
    if item.status == "on_loan":
        raise DomainError(_("%(code)s is already on loan.", code=item.code))
    if item.status == "held":
        hold = ready_hold(item)
        if hold is not None and hold.member_id != member.id:
            raise DomainError(_("%(code)s is kept for another member until %(date)s.",
                                code=item.code, date=_day(hold.expires_on)))
    if organisation is None and item.lendable_to == "organisations":
        raise DomainError(_("%(code)s is lent to organisations only.", code=item.code))
    if organisation is not None:
        if item.lendable_to == "members":
            raise DomainError(_("%(code)s is lent to members only.", code=item.code))
        if organisation not in member.organisations:
            raise DomainError(_("%(name)s does not belong to %(organisation)s.",
                                name=member.name, organisation=organisation.name))
    if not is_active_member(member):
        raise DomainError(_("%(name)s has no active membership.", name=member.name))
    overdue = overdue_loans_of(member)
    if overdue:
        raise DomainError(_("%(name)s has an overdue item to bring back first: %(items)s.",
                            name=member.name,
                            items=", ".join(loan.item.code for loan in overdue)))
    limit = item_limit(member)
    if open_loan_count(member) >= limit:
        raise DomainError(_("%(name)s already borrows %(num)d items, the limit.",
                            name=member.name, num=limit))
    if item.training_id and not has_valid_training(member, item.training_id):
        raise DomainError(_("%(name)s needs the training “%(training)s” to borrow this item.",
                            name=member.name, training=item.training.name))


def _locked(item: Item) -> Item:
    """Reload the item's row under a lock (PostgreSQL), so that two desks serialise.
    SQLite writers are serialised already (BEGIN IMMEDIATE)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(Item.id).where(Item.id == item.id).with_for_update())
        db.session.refresh(item)
    return item


def check_out(staff, member, item: Item, organisation=None, now: datetime | None = None) -> Loan:
    now = now or utcnow()
    item = _locked(item)
    check_can_borrow(member, item, organisation)
    today = local_today(site_zone(item.site))
    loan = Loan(item_id=item.id, member_id=member.id, checked_out_at=now,
                organisation_id=organisation.id if organisation else None,
                checked_out_by_id=staff.id, due_on=due_date(item, today),
                deposit_cents=item.deposit_cents, condition_out_id=item.condition_id)
    try:
        with db.session.begin_nested():
            db.session.add(loan)
            db.session.flush()
    except IntegrityError as error:
        raise DomainError(_("%(code)s is already on loan.", code=item.code)) from error
    hold = ready_hold(item)
    if hold is not None and hold.member_id == member.id:
        _end_hold(hold, "collected")
    else:  # a member who was waiting in the queue and borrows it another way
        for waiting in _live_holds(item):
            if waiting.member_id == member.id:
                _end_hold(waiting, "collected")
    item.status = "on_loan"
    _history(staff, item, "checked_out", loan, status="on_loan", condition_id=item.condition_id)
    audit.record(staff, "loan.check_out", loan, summary=f"{item.code} → {member.id}")
    db.session.flush()
    return loan


def send_receipt(member, loans: list[Loan]) -> None:
    """One e-mail listing what the member took and when it is due."""
    if not loans or not member.email:
        return
    queue_email(member.email, "loan_receipt", locale=member.locale, kind="loan.receipt",
                user=member, loans=loans, link=absolute_url("loans.my_loans"))


# --- check-in ------------------------------------------------------------------------------------


def check_in(staff, item: Item, now: datetime | None = None) -> tuple[Loan, Hold | None]:
    """Close the open loan; the deposit is given back; the next hold, if any, starts."""
    now = now or utcnow()
    item = _locked(item)
    loan = open_loan(item)
    if loan is None:
        raise DomainError(_("%(code)s is not on loan.", code=item.code))
    loan.returned_at, loan.checked_in_by_id = now, staff.id
    loan.condition_in_id = item.condition_id
    if loan.deposit_cents:
        loan.deposit_returned_at = now
    item.status = "available"
    _history(staff, item, "checked_in", loan, status="available", condition_id=item.condition_id)
    audit.record(staff, "loan.check_in", loan, summary=item.code)
    hold = _promote_next_hold(item, staff)
    db.session.flush()
    return loan, hold


def record_return(staff, loan: Loan, condition_id: int | None, damaged: bool,
                  note: str = "") -> None:
    """What staff saw on return: the condition, damage (sends it to maintenance), a note."""
    if loan.returned_at is None:
        raise DomainError(_("This loan is still open."))
    item = _locked(loan.item)
    if condition_id is not None:
        if db.session.get(ItemCondition, condition_id) is None:
            raise DomainError(_("Please choose a condition from the list."), "condition_id")
        item.condition_id = loan.condition_in_id = condition_id
    loan.return_note = (note or "").strip()
    if damaged and item.status in ("available", "held"):
        _requeue_ready_hold(item)
        item.status = "maintenance"
        item.status_reason = loan.return_note or str(_("Damaged on return"))
    _history(staff, item, "status" if damaged else "edited", loan, status=item.status,
             condition_id=item.condition_id, note=loan.return_note)
    audit.record(staff, "loan.return_note", loan, summary=item.code, damaged=damaged)
    db.session.flush()


# --- renewals ---------------------------------------------------------------------------------


def renewal_refusal(loan: Loan, today: date | None = None,
                    awaited: bool | None = None) -> str | None:
    """Why the member cannot renew this loan themself, or None. ``awaited``: whether
    someone holds the item, when already known (``renewal_refusals``)."""
    today = today or local_today(site_zone(loan.item.site))
    if loan.returned_at is not None:
        return _("This item is back already.")
    if loan.renewals >= loan.item.max_renewals:
        return _("This loan cannot be renewed any more.")
    if loan.due_on < today:
        return _("This item is overdue: please bring it back to the desk.")
    if awaited if awaited is not None else _live_holds(loan.item):
        return _("Another member is waiting for this item.")
    return None


def renewal_refusals(loans: list[Loan]):
    """``renewal_refusal`` for a page of loans, as the function the template calls:
    whether each item is awaited comes from one query for them all, not one per loan
    (run even for no loan, so that the page's query count does not depend on it)."""
    awaited = set(db.session.scalars(
        select(Hold.item_id).where(Hold.item_id.in_({loan.item_id for loan in loans}),
                                   Hold.status.in_(("waiting", "ready")))))
    return lambda loan: renewal_refusal(loan, awaited=loan.item_id in awaited)


def renew(member, loan: Loan, by=None) -> date:
    by = by or member
    if loan.member_id != member.id and not by.is_staff:
        raise DomainError(_("This loan is not yours."))
    _locked(loan.item)
    refusal = renewal_refusal(loan)
    if refusal:
        raise DomainError(refusal)
    start = max(loan.due_on, local_today(site_zone(loan.item.site)))
    loan.due_on, loan.renewals, loan.notices_sent = due_date(loan.item, start), loan.renewals + 1, 0
    _history(by, loan.item, "renewed", loan, note=loan.due_on.isoformat())
    if by.id != loan.member_id:
        audit.record(by, "loan.renew", loan, summary=f"{loan.item.code} → {loan.due_on.isoformat()}")
    db.session.flush()
    return loan.due_on


# --- holds -----------------------------------------------------------------------------------


def _live_holds(item: Item) -> list[Hold]:
    return db.session.scalars(
        select(Hold).where(Hold.item_id == item.id, Hold.status.in_(("waiting", "ready")))
        .order_by(Hold.created_at, Hold.id)).all()


def ready_hold(item: Item) -> Hold | None:
    return db.session.scalar(select(Hold).where(Hold.item_id == item.id, Hold.status == "ready"))


def place_hold(member, item: Item) -> Hold:
    item = _locked(item)
    if not item.is_public:
        raise DomainError(_("This item cannot be reserved."))
    if not is_active_member(member):
        raise DomainError(_("Holds are for members with an active membership."))
    if item.lendable_to == "organisations":
        raise DomainError(_("This item is lent to organisations only: ask the desk."))
    loan = open_loan(item)
    if loan is not None and loan.member_id == member.id:
        raise DomainError(_("You are borrowing this item already."))
    if any(hold.member_id == member.id for hold in _live_holds(item)):
        raise DomainError(_("You are in this item's queue already."))
    hold = Hold(item_id=item.id, member_id=member.id, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(hold)
            db.session.flush()
    except IntegrityError as error:
        raise DomainError(_("You are in this item's queue already.")) from error
    if item.status == "available":
        _make_ready(hold, None)
    db.session.flush()
    return hold


def queue_position(hold: Hold) -> int:
    """1 for the first in the queue."""
    return 1 + db.session.scalar(select(func.count(Hold.id)).where(
        Hold.item_id == hold.item_id, Hold.status.in_(("waiting", "ready")),
        or_(Hold.created_at < hold.created_at,
            (Hold.created_at == hold.created_at) & (Hold.id < hold.id))))


def cancel_hold(member, hold: Hold) -> None:
    if hold.member_id != member.id and not member.is_staff:
        raise DomainError(_("This hold is not yours."))
    if not hold.is_live:
        raise DomainError(_("This hold is over already."))
    item = _locked(hold.item)
    was_ready = hold.status == "ready"
    _end_hold(hold, "cancelled")
    if member.id != hold.member_id:
        audit.record(member, "hold.cancel", hold, summary=item.code)
    if was_ready:
        item.status = "available"
        _promote_next_hold(item, member)
    db.session.flush()


def _requeue_ready_hold(item: Item) -> None:
    """An item kept for a member goes to maintenance: they wait again, first in line."""
    hold = ready_hold(item)
    if hold is not None:
        hold.status, hold.ready_at, hold.expires_on = "waiting", None, None
        db.session.flush()


def _end_hold(hold: Hold, status: str) -> None:
    hold.status, hold.ended_at = status, utcnow()
    db.session.flush()


def _make_ready(hold: Hold, actor) -> None:
    item = hold.item
    expires_on = local_today(site_zone(item.site)) + timedelta(
        days=current_app.config["HOLD_KEEP_DAYS"])
    # All three at once: the CHECK wants a ready hold to have its expiry.
    hold.status, hold.ready_at, hold.expires_on = "ready", utcnow(), expires_on
    item.status = "held"
    _history(actor, item, "hold_ready", status="held")
    db.session.flush()
    member = hold.member
    if member is not None and member.email:
        queue_email(member.email, "hold_ready", locale=member.locale, kind="loan.hold_ready",
                    user=member, item=item, until=hold.expires_on, site=item.site,
                    link=absolute_url("loans.item", code=item.code))


def _promote_next_hold(item: Item, actor) -> Hold | None:
    """When an item comes back, keep it for the first member waiting."""
    if item.status != "available":
        return None
    waiting = [hold for hold in _live_holds(item) if hold.status == "waiting"]
    if not waiting:
        return None
    _make_ready(waiting[0], actor)
    return waiting[0]


def expire_holds(today: date | None = None) -> int:
    """Holds not collected in time end; the next member in the queue gets the item."""
    count = 0
    for hold in db.session.scalars(select(Hold).where(Hold.status == "ready")
                                   .options(selectinload(Hold.item))).all():
        if hold.expires_on >= (today or local_today(site_zone(hold.item.site))):
            continue
        item = _locked(hold.item)
        _end_hold(hold, "expired")
        item.status = "available"
        _history(None, item, "hold_expired")
        _promote_next_hold(item, None)
        count += 1
    db.session.flush()
    return count


# --- overdue notices -----------------------------------------------------------------------------


def notice_stage(loan: Loan, today: date) -> int:
    """The notice due today: 1 the day before, 2 from the day after, 3 from a week after."""
    days_late = (today - loan.due_on).days
    if days_late >= 7:
        return 3
    if days_late >= 1:
        return 2
    if days_late == -1 or days_late == 0:
        return 1
    return 0


def send_overdue_notices(today: date | None = None) -> int:
    """Queue each loan's next notice once; a worker that missed days sends only the latest."""
    today = today or local_today()
    loans = db.session.scalars(
        select(Loan).where(Loan.returned_at.is_(None), Loan.notices_sent < 3,
                           Loan.due_on <= today + timedelta(days=1))
        .options(selectinload(Loan.item), selectinload(Loan.member))).all()
    sent = 0
    for loan in loans:
        stage = notice_stage(loan, today)
        if stage <= loan.notices_sent:
            continue
        loan.notices_sent = stage
        member = loan.member
        if member is None or not member.email:
            continue
        queue_email(member.email, "loan_due_soon" if stage == 1 else "loan_overdue",
                    locale=member.locale, kind=f"loan.notice{stage}", user=member, loan=loan,
                    item=loan.item, days_late=(today - loan.due_on).days,
                    link=absolute_url("loans.my_loans"))
        sent += 1
    db.session.flush()
    return sent


# --- what a member and staff see -----------------------------------------------------------------


def loans_of_member(member, open_only: bool = True, limit: int = 100) -> list[Loan]:
    # joined, not selectin: one query whether the loans have an organisation or not
    query = (select(Loan).where(Loan.member_id == member.id)
             .options(joinedload(Loan.item).joinedload(Item.site),
                      joinedload(Loan.organisation)))
    if open_only:
        query = query.where(Loan.returned_at.is_(None)).order_by(Loan.due_on)
    else:
        query = query.where(Loan.returned_at.is_not(None)).order_by(Loan.returned_at.desc())
    return db.session.scalars(query.limit(limit)).all()


def holds_of_member(member) -> list[tuple[Hold, int]]:
    """The member's live holds with their place in their item's queue, in one query (the
    same order as ``queue_position``: by creation, then id), not one query per hold."""
    live = Hold.status.in_(("waiting", "ready"))
    items = select(Hold.item_id).where(Hold.member_id == member.id, live)
    ranked = (select(Hold.id.label("hold_id"),
                     func.row_number().over(partition_by=Hold.item_id,
                                            order_by=(Hold.created_at, Hold.id))
                     .label("position"))
              .where(live, Hold.item_id.in_(items)).subquery())
    rows = db.session.execute(
        select(Hold, ranked.c.position).join(ranked, ranked.c.hold_id == Hold.id)
        .where(Hold.member_id == member.id, live)
        .options(joinedload(Hold.item)).order_by(Hold.created_at, Hold.id)).all()
    return [(hold, int(position)) for hold, position in rows]


def queue_of(item: Item) -> list[Hold]:
    return db.session.scalars(
        select(Hold).where(Hold.item_id == item.id, Hold.status.in_(("waiting", "ready")))
        .options(selectinload(Hold.member)).order_by(Hold.created_at, Hold.id)).all()


def desk_overview(today: date | None = None) -> dict[str, list]:
    """Open loans by due date, and the holds waiting to be collected."""
    today = today or local_today()
    open_loans = db.session.scalars(
        select(Loan).where(Loan.returned_at.is_(None))
        .options(selectinload(Loan.item), selectinload(Loan.member),
                 selectinload(Loan.organisation))
        .order_by(Loan.due_on, Loan.id)).all()
    ready = db.session.scalars(
        select(Hold).where(Hold.status == "ready")
        .options(selectinload(Hold.item), selectinload(Hold.member))
        .order_by(Hold.expires_on)).all()
    return {"overdue": [loan for loan in open_loans if loan.due_on < today],
            "current": [loan for loan in open_loans if loan.due_on >= today],
            "ready_holds": ready}


def _day(value: date | None) -> str:
    from flask_babel import format_date

    return format_date(value, "long") if value else ""


def export_loans(member) -> list[dict]:
    loans = db.session.scalars(select(Loan).where(Loan.member_id == member.id)
                               .options(selectinload(Loan.item))
                               .order_by(Loan.checked_out_at)).all()
    return [{"item": loan.item.code, "name": loan.item.name,
             "checked_out_at": loan.checked_out_at.isoformat(),
             "due_on": loan.due_on.isoformat(),
             "returned_at": loan.returned_at.isoformat() if loan.returned_at else None,
             "deposit_cents": loan.deposit_cents} for loan in loans]
