"""Services of machines: the status (out of order cancels future bookings),
training grants (renewal, expiry, revocation) and ``has_valid_training``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from fablab.booking.models import Booking
from fablab.core.errors import DomainError
from fablab.core.models import AuditLog, OutboxMessage
from fablab.core.timeutil import utcnow
from fablab.machines.models import Resource, TrainingGrant
from fablab.machines.services import (grant_training, has_valid_training, revoke_training,
                                      set_status)

# The factories of the booking tests (see tests/booking/conftest.py).
from tests.booking.conftest import (at, book_as, create_resource, create_slot,  # noqa: F401
                                    create_training, grant, insert_booking, lab, local_day,
                                    run, trained_member)


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(db, model, id_):
    return db.session.get(model, id_, populate_existing=True)


# --- status ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["out_of_order", "maintenance"])
def test_an_unavailable_machine_cancels_its_future_bookings(lab, trained_member, book_as,
                                                            create_slot, insert_booking, run,
                                                            db, outbox, status):
    other = trained_member()
    mine = book_as(lab.machine, lab.member, at(lab.day, "10:00"), at(lab.day, "11:00"))
    theirs = book_as(lab.machine, other, at(lab.day, "14:00"), at(lab.day, "16:00"))
    untouched = book_as(lab.other_machine, other, at(lab.day, "10:00"), at(lab.day, "11:00"))
    yesterday = local_day(-1)
    past = insert_booking(lab.machine, lab.member, at(yesterday, "14:00"),
                          at(yesterday, "15:00"))

    cancelled = run(lambda resource, staff: set_status(staff, resource, status,
                                                       " Laser tube broken "),
                    resource=lab.machine, staff=lab.staff)
    assert cancelled == 2
    resource = fresh(db, Resource, lab.machine.id)
    assert (resource.status, resource.status_reason) == (status, "Laser tube broken")
    for booking in (mine, theirs):
        stored = fresh(db, Booking, booking.id)
        assert (stored.status, stored.cancel_reason, stored.cancelled_by_id) == (
            "cancelled", "Laser tube broken", lab.staff.id)
    assert fresh(db, Booking, untouched.id).status == "confirmed"
    assert fresh(db, Booking, past.id).status == "confirmed"
    messages = outbox("booking.cancelled")
    assert sorted(m.recipient for m in messages) == sorted([lab.member.email, other.email])
    assert all("Laser tube broken" in m.body for m in messages)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "resource.status"))
    assert entry.actor_id == lab.staff.id and entry.details["cancelled"] == 2
    # Nobody can book it now.
    with pytest.raises(DomainError) as info:
        book_as(lab.machine, lab.member, at(lab.day, "10:00"), at(lab.day, "11:00"))
    assert info.value.field == "resource"

    # Back to available: the reason goes, booking works again.
    assert run(lambda resource, staff: set_status(staff, resource, "available"),
               resource=lab.machine, staff=lab.staff) == 0
    resource = fresh(db, Resource, lab.machine.id)
    assert (resource.status, resource.status_reason) == ("available", "")
    book_as(lab.machine, lab.member, at(lab.day, "10:00"), at(lab.day, "11:00"))


@pytest.mark.parametrize("status, reason, field", [
    ("out_of_order", "", "reason"),
    ("out_of_order", "   ", "reason"),
    ("maintenance", None, "reason"),
    ("broken", "whatever", "status"),
])
def test_set_status_refusals_change_nothing(lab, book_as, run, db, outbox, status, reason,
                                            field):
    booking = book_as(lab.machine, lab.member, at(lab.day, "10:00"), at(lab.day, "11:00"))
    with pytest.raises(DomainError) as info:
        run(lambda resource, staff: set_status(staff, resource, status, reason),
            resource=lab.machine, staff=lab.staff)
    assert info.value.field == field and str(info.value).strip()
    assert fresh(db, Resource, lab.machine.id).status == "available"
    assert fresh(db, Booking, booking.id).status == "confirmed"
    assert outbox("booking.cancelled") == []
    assert count(db, AuditLog) == 0


# --- trainings ------------------------------------------------------------------------


def test_granting_twice_renews_the_standing_grant(app, member, staff, create_training, run,
                                                  db):
    training = create_training(validity_months=6)
    first_at = utcnow().replace(microsecond=0) - timedelta(days=100)
    first = run(lambda member, training, staff: grant_training(
        staff, member, training, note=" first ", granted_at=first_at),
        member=member, training=training, staff=staff)
    stored = fresh(db, TrainingGrant, first.id)
    assert stored.granted_at == first_at
    assert stored.expires_at == first_at + relativedelta(months=6)
    assert (stored.granted_by_id, stored.note, stored.revoked_at) == (staff.id, "first", None)

    second = run(lambda member, training, staff: grant_training(staff, member, training),
                 member=member, training=training, staff=staff)
    assert second.id == first.id
    assert count(db, TrainingGrant) == 1
    stored = fresh(db, TrainingGrant, first.id)
    assert stored.granted_at > first_at + timedelta(days=99)
    assert stored.expires_at == stored.granted_at + relativedelta(months=6)
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert actions == ["training.grant", "training.grant"]


def test_validity_counts_calendar_months(member, staff, create_training, run, db):
    training = create_training(validity_months=1)
    granted_at = datetime(utcnow().year - 1, 1, 31, 9, 0, tzinfo=timezone.utc)
    record = run(lambda member, training, staff: grant_training(staff, member, training,
                                                                granted_at=granted_at),
                 member=member, training=training, staff=staff)
    expires = fresh(db, TrainingGrant, record.id).expires_at
    assert (expires.month, expires.day in (28, 29), expires.time()) == (2, True,
                                                                      granted_at.time())


def test_a_training_without_validity_never_expires(member, staff, create_training, run, db):
    training = create_training(validity_months=None)
    record = run(lambda member, training, staff: grant_training(staff, member, training),
                 member=member, training=training, staff=staff)
    assert fresh(db, TrainingGrant, record.id).expires_at is None
    valid_in_ten_years = run(lambda member: has_valid_training(member, training.id,
                                                     utcnow() + timedelta(days=3650)),
                   member=member)
    assert valid_in_ten_years is True


def test_revoke_then_grant_again(member, staff, create_training, run, db):
    training = create_training(validity_months=12)
    record = run(lambda member, training, staff: grant_training(staff, member, training),
                 member=member, training=training, staff=staff)
    assert run(lambda member: has_valid_training(member, training.id), member=member) is True

    run(lambda grant, staff: revoke_training(staff, grant), grant=record, staff=staff)
    stored = fresh(db, TrainingGrant, record.id)
    assert stored.revoked_at is not None and stored.revoked_by_id == staff.id
    assert run(lambda member: has_valid_training(member, training.id), member=member) is False
    with pytest.raises(DomainError) as info:
        run(lambda grant, staff: revoke_training(staff, grant), grant=record, staff=staff)
    assert str(info.value).strip()

    again = run(lambda member, training, staff: grant_training(staff, member, training),
                member=member, training=training, staff=staff)
    assert again.id != record.id
    assert count(db, TrainingGrant) == 2
    assert count(db, TrainingGrant, TrainingGrant.revoked_at.is_(None)) == 1
    assert run(lambda member: has_valid_training(member, training.id), member=member) is True
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["training.grant", "training.revoke", "training.grant"]


def test_has_valid_training(member, create_member, create_training, grant, run):
    lasting = create_training(validity_months=3)
    lapsed = create_training(validity_months=1)
    untrained = create_training()
    now = utcnow()
    grant(member, lasting, granted_at=now - timedelta(days=10))
    grant(member, lapsed, granted_at=now - timedelta(days=90))

    def check(member, training_id, at=None):
        return has_valid_training(member, training_id, at)

    assert run(lambda member: check(member, None), member=member) is True  # none required
    assert run(lambda member: check(member, lasting.id), member=member) is True
    assert run(lambda member: check(member, lapsed.id), member=member) is False
    assert run(lambda member: check(member, untrained.id), member=member) is False
    # Valid now, but not any more in four months.
    assert run(lambda member: check(member, lasting.id, now + timedelta(days=120)),
               member=member) is False
    other = create_member()
    assert run(lambda member: check(member, lasting.id), member=other) is False


def test_an_inactive_member_cannot_be_trained(create_member, staff, create_training, run, db):
    gone = create_member(active=False)
    training = create_training()
    with pytest.raises(DomainError) as info:
        run(lambda member, training, staff: grant_training(staff, member, training),
            member=gone, training=training, staff=staff)
    assert info.value.field == "member" and str(info.value).strip()
    assert count(db, TrainingGrant) == 0
    assert count(db, AuditLog) == 0
    assert count(db, OutboxMessage) == 0
