"""The database itself refuses two overlapping memberships of one member, on every
test database (an exclusion constraint on PostgreSQL, triggers on SQLite), and the
service turns that refusal into the form's sentence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from fablab.core.errors import DomainError
from fablab.core.models import AuditLog, OutboxMessage
from fablab.core.timeutil import utcnow
from fablab.memberships import services
from fablab.memberships.models import Membership
from tests.support.db_helpers import call_in_request

START, END = date(2026, 1, 1), date(2026, 12, 31)


@pytest.fixture
def insert_row(db, create_tariff):
    """Insert a membership with plain SQL (no service, no ORM unit of work)."""
    tariff = create_tariff()

    def run(member, starts_on: date, ends_on: date) -> int:
        return db.session.execute(insert(Membership.__table__).values(
            member_id=member.id, tariff_id=tariff.id, starts_on=starts_on, ends_on=ends_on,
            amount_cents=3000, payment_method="card", note="", created_at=utcnow(),
        ).returning(Membership.__table__.c.id)).scalar_one()

    return run


def _count(db, member) -> int:
    return db.session.scalar(select(func.count(Membership.id))
                             .where(Membership.member_id == member.id))


@pytest.mark.parametrize("starts_on, ends_on", [
    (START, END),  # the same period
    (END, END + timedelta(days=364)),  # starts on the last day: days are inclusive
    (START - timedelta(days=30), START),  # ends on the first day
    (date(2026, 3, 1), date(2026, 3, 31)),  # inside
    (START - timedelta(days=1), END + timedelta(days=1)),  # around
])
def test_the_database_refuses_an_overlapping_row(db, member, insert_row, starts_on, ends_on):
    insert_row(member, START, END)
    with pytest.raises(IntegrityError, match="ex_memberships_no_overlap"):
        insert_row(member, starts_on, ends_on)
    db.session.rollback()
    assert _count(db, member) == 1


def test_the_database_accepts_adjacent_periods_and_other_members(db, member, create_member,
                                                                insert_row):
    insert_row(member, START, END)
    insert_row(member, END + timedelta(days=1), END + timedelta(days=365))  # the renewal
    insert_row(member, START - timedelta(days=365), START - timedelta(days=1))  # the year before
    insert_row(create_member(), START, END)  # another member, the same days
    assert _count(db, member) == 3


def test_the_database_refuses_an_update_into_an_overlap(db, member, insert_row):
    insert_row(member, START, END)
    renewal = insert_row(member, END + timedelta(days=1), END + timedelta(days=365))
    with pytest.raises(IntegrityError, match="ex_memberships_no_overlap"):
        db.session.execute(update(Membership.__table__)
                           .where(Membership.__table__.c.id == renewal)
                           .values(starts_on=END))
    db.session.rollback()
    # A change that keeps the periods apart is accepted (its own row is not a conflict).
    db.session.execute(update(Membership.__table__).where(Membership.__table__.c.id == renewal)
                       .values(starts_on=END + timedelta(days=2)))
    assert db.session.scalar(select(Membership.starts_on).where(Membership.id == renewal)) == (
        END + timedelta(days=2))


def test_a_desk_whose_check_came_too_early_gets_the_same_sentence(
        app, db, staff, member, create_tariff, create_membership, monkeypatch):
    """The other desk's membership was committed after this desk checked: the
    constraint refuses the insert, the service says why, and nothing is written."""
    tariff = create_tariff()
    create_membership(member, starts_on=START, ends_on=END, tariff=tariff)
    check = services._refuse_overlap
    calls = []

    def too_early(*args):  # the first check saw nothing yet
        calls.append(args)
        if len(calls) > 1:
            check(*args)

    monkeypatch.setattr(services, "_refuse_overlap", too_early)
    with pytest.raises(DomainError) as refusal:
        call_in_request(app, lambda actor, member, tariff: services.record_membership(
            actor, member, tariff, date(2026, 6, 1), date(2027, 5, 31), 3000, "card"),
            actor=staff, member=member, tariff=tariff)
    assert str(refusal.value) == "This period overlaps a membership from 2026-01-01 to 2026-12-31."
    assert refusal.value.field == "starts_on"
    assert len(calls) == 2
    assert _count(db, member) == 1
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
