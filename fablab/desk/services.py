"""What a scanned code is, and what a scan at the desk does with it.

A code comes from a USB or Bluetooth scanner (it types the text, then Enter), from
the camera, or by hand: an item code (``OBJ-0042``), a member card code
(``M-AB12CD``), a machine's slug, or any of them inside a ``.../q/<code>`` URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from fablab.accounts.models import Organisation, User
from fablab.core.errors import DomainError
from fablab.core.templating import money
from fablab.desk.visits import record_member_visit
from fablab.extensions import db
from fablab.loans import services as loans
from fablab.loans.models import Hold, Item, Loan
from fablab.machines.models import Resource
from fablab.memberships.services import active_membership

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,79}$")


@dataclass
class Resolved:
    kind: str  # "item", "member" or "resource"
    obj: object


def parse_code(raw: str) -> str:
    """The code in what was scanned or typed; a malformed input is refused."""
    text = (raw or "").strip()
    if not text:
        raise DomainError(_("Nothing was scanned."))
    if "/" in text or ":" in text:
        path = urlsplit(text if "://" in text else "http://" + text).path
        if "/q/" not in path:
            raise DomainError(_("This link is not one of the lab's codes."))
        text = path.rsplit("/q/", 1)[1].strip("/")
    if not CODE_PATTERN.match(text):
        raise DomainError(_("“%(code)s” is not a code of the lab.", code=text[:40]))
    return text


def parse_as_of(value: str | None) -> datetime | None:
    """The station's last answer time, as the page sent it back (None if absent or bad)."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def resolve(code: str) -> Resolved | None:
    item = loans.item_by_code(code)
    if item is not None:
        return Resolved("item", item)
    member = db.session.scalar(select(User).where(User.card_code == code.upper(),
                                                  User.anonymised_at.is_(None)))
    if member is not None:
        return Resolved("member", member)
    resource = db.session.scalar(select(Resource).where(Resource.slug == code.lower(),
                                                        Resource.active.is_(True)))
    if resource is not None:
        return Resolved("resource", resource)
    return None


@dataclass
class ScanResult:
    """What the station shows after a scan; ``ok`` False means nothing changed."""

    ok: bool
    message: str
    action: str = "error"  # member, check_out, check_in, error
    borrower: User | None = None
    organisation: Organisation | None = None
    loan: Loan | None = None
    hold: Hold | None = None
    notes: list[str] = field(default_factory=list)


def scan(staff, raw: str, borrower: User | None = None,
         organisation: Organisation | None = None, as_of: datetime | None = None,
         site_id: int | None = None) -> ScanResult:
    """Interpret one scan. Raises DomainError (nothing changed) with the message to show.

    ``as_of`` is when the station last answered: an item lent since then by another
    desk was available when this one was scanned, so it is refused, not checked in.
    """
    code = parse_code(raw)
    found = resolve(code)
    if found is None:
        raise DomainError(_("Unknown code: %(code)s.", code=code))
    if found.kind == "member":
        result = _start_member(found.obj)
        if site_id is not None:  # a card scanned at the desk: the member has come
            record_member_visit(site_id, member_id=found.obj.id, source="scan",
                                recorded_by=staff)
        return result
    if found.kind == "resource":
        raise DomainError(_("%(name)s is a machine, not an item of the lending library.",
                            name=found.obj.name))
    item: Item = found.obj
    loan = loans.open_loan(item)
    if loan is not None and as_of is not None and loan.checked_out_at > as_of:
        raise DomainError(_("%(code)s is already on loan.", code=item.code))
    if loan is not None:  # on loan, or declared missing and found again
        return _check_in(staff, item, borrower, organisation)
    if item.status == "retired":
        raise DomainError(_("%(code)s is retired: it cannot be lent.", code=item.code))
    if borrower is None:
        raise DomainError(_("Scan a member card first, then the items to lend."))
    loan = loans.check_out(staff, borrower, item, organisation)
    notes = []
    if loan.deposit_cents:
        notes.append(_("Take a deposit of %(amount)s.", amount=_money(loan.deposit_cents)))
    return ScanResult(True, _("%(code)s — %(name)s lent until %(date)s.", code=item.code,
                              name=item.name, date=loans._day(loan.due_on)),
                      "check_out", borrower, organisation, loan, notes=notes)


def _start_member(member: User) -> ScanResult:
    if not member.is_active:
        raise DomainError(_("The account of %(name)s is deactivated.", name=member.name))
    membership = active_membership(member)
    notes = []
    if membership is None:
        notes.append(_("No active membership: record one before lending."))
    else:
        notes.append(_("Member until %(date)s.", date=loans._day(membership.ends_on)))
    overdue = loans.overdue_loans_of(member)
    if overdue:
        notes.append(_("Overdue: %(items)s.", items=", ".join(l.item.code for l in overdue)))
    count = loans.open_loan_count(member)
    if count:
        notes.append(_("Borrowing %(num)d item(s) now.", num=count))
    ready = db.session.scalars(select(Hold).where(Hold.member_id == member.id,
                                                  Hold.status == "ready")).all()
    if ready:
        notes.append(_("Kept for them: %(items)s.", items=", ".join(h.item.code for h in ready)))
    return ScanResult(True, _("Lending to %(name)s (%(card)s). Now scan the items.",
                              name=member.name, card=member.card_code),
                      "member", member, notes=notes)


def _check_in(staff, item: Item, borrower, organisation) -> ScanResult:
    loan, hold = loans.check_in(staff, item)
    notes = []
    if loan.deposit_cents:
        notes.append(_("Give back the deposit of %(amount)s.", amount=_money(loan.deposit_cents)))
    if loan.due_on < loans.local_today():
        notes.append(_("It came back late (due on %(date)s).", date=loans._day(loan.due_on)))
    if hold is not None:
        notes.append(_("Put it aside: it is kept for %(name)s until %(date)s.",
                       name=hold.member.name, date=loans._day(hold.expires_on)))
    return ScanResult(True, _("%(code)s — %(name)s is back.", code=item.code, name=item.name),
                      "check_in", borrower, organisation, loan, hold, notes)


def _money(cents: int) -> str:
    return money(cents)
