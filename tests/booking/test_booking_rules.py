"""The booking rules of ``fablab.booking.services``, called as the views do, and
the database guard against overlapping live bookings.

Each refusal is checked twice: the DomainError names a field and says something,
and the database holds nothing new afterwards (no booking, no e-mail)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fablab.booking.models import Booking
from fablab.booking.services import cancel, check_in, decide, mark_no_shows
from fablab.core.errors import DomainError
from fablab.core.models import AuditLog, OutboxMessage
from fablab.core.timeutil import utcnow
from fablab.machines.models import Resource

from .conftest import at, local_day


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(db, model, id_):
    return db.session.get(model, id_, populate_existing=True)


def refused(call, field=None, contains=None) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    error = info.value
    assert str(error).strip(), "a refusal says why"
    assert error.field, "a refusal names the field at fault"
    if field is not None:
        assert error.field == field
    if contains is not None:
        assert contains in str(error)
    return error


def nothing_written(db):
    assert count(db, Booking) == 0
    assert count(db, OutboxMessage) == 0


# --- booking --------------------------------------------------------------------------


def test_a_trained_member_books_inside_a_slot(lab, book_as, db, outbox):
    booking = book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:30"))
    stored = fresh(db, Booking, booking.id)
    assert (stored.status, stored.resource_id, stored.member_id, stored.slot_id) == (
        "confirmed", lab.machine.id, lab.member.id, lab.slot.id)
    assert (stored.starts_at, stored.ends_at) == (at(lab.day, "14:00"), at(lab.day, "15:30"))
    assert stored.created_by_id == lab.member.id
    assert not stored.quota_override and not stored.no_show
    assert count(db, Booking) == 1
    assert [m.recipient for m in outbox()] == [lab.member.email]
    assert [m.recipient for m in outbox("booking.confirmed")] == [lab.member.email]
    assert count(db, AuditLog) == 0  # a member's own booking is not a staff action


def test_no_active_membership_is_refused(lab, create_member, grant, book_as, db):
    stranger = create_member()
    grant(stranger, lab.training)
    refused(lambda: book_as(lab.machine, stranger, at(lab.day, "14:00"), at(lab.day, "15:00")),
            field="member")
    nothing_written(db)


def test_an_expired_membership_on_the_booking_day_is_refused(lab, create_member,
                                                             create_membership, grant,
                                                             book_as, db):
    leaving = create_member()
    create_membership(leaving, starts_on=local_day(-300), ends_on=local_day(1))
    grant(leaving, lab.training)
    refused(lambda: book_as(lab.machine, leaving, at(lab.day, "14:00"), at(lab.day, "15:00")),
            field="member")
    nothing_written(db)


def test_no_training_is_refused(lab, create_member, create_membership, book_as, db):
    untrained = create_member()
    create_membership(untrained)
    error = refused(lambda: book_as(lab.machine, untrained, at(lab.day, "14:00"),
                                    at(lab.day, "15:00")), field="resource")
    assert "Laser cutter" in str(error)
    nothing_written(db)


def test_an_expired_training_is_refused(lab, create_member, create_membership,
                                        create_training, create_resource, grant, book_as, db):
    training = create_training(validity_months=1)
    machine = create_resource(lab.site, training)
    someone = create_member()
    create_membership(someone)
    grant(someone, training, granted_at=utcnow() - timedelta(days=400))
    refused(lambda: book_as(machine, someone, at(lab.day, "14:00"), at(lab.day, "15:00")),
            field="resource")
    nothing_written(db)


def test_a_revoked_training_is_refused(lab, create_member, create_membership, grant,
                                       book_as, db):
    someone = create_member()
    create_membership(someone)
    grant(someone, lab.training, revoked=True)
    refused(lambda: book_as(lab.machine, someone, at(lab.day, "14:00"), at(lab.day, "15:00")),
            field="resource")
    nothing_written(db)


@pytest.mark.parametrize("status", ["maintenance", "out_of_order"])
def test_an_unavailable_resource_is_refused(lab, app, book_as, db, status):
    from fablab.extensions import db as app_db

    with app.app_context():
        resource = app_db.session.get(Resource, lab.machine.id)
        resource.status, resource.status_reason = status, "the laser tube is broken"
        app_db.session.commit()
    error = refused(lambda: book_as(lab.machine, lab.member, at(lab.day, "14:00"),
                                    at(lab.day, "15:00")), field="resource")
    assert "the laser tube is broken" in str(error)
    nothing_written(db)


def test_an_inactive_resource_is_refused(lab, create_resource, book_as, db):
    retired = create_resource(lab.site, lab.training, active=False)
    refused(lambda: book_as(retired, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00")),
            field="resource")
    nothing_written(db)


@pytest.mark.parametrize("start, end", [
    ("18:00", "19:00"),  # after the slot
    ("08:00", "09:00"),  # before the slot
    ("17:30", "18:30"),  # partly outside
    ("09:30", "10:30"),  # partly outside
])
def test_outside_the_open_slot_is_refused(lab, book_as, db, start, end):
    refused(lambda: book_as(lab.machine, lab.member, at(lab.day, start), at(lab.day, end)),
            field="starts_at", contains="open")
    nothing_written(db)


def test_a_day_without_any_slot_is_refused(lab, book_as, db):
    day = local_day(3)
    refused(lambda: book_as(lab.machine, lab.member, at(day, "14:00"), at(day, "15:00")),
            field="starts_at")
    nothing_written(db)


def test_a_cancelled_slot_is_refused(lab, create_slot, book_as, db):
    day = local_day(3)
    create_slot(lab.site, at(day, "10:00"), at(day, "18:00"), cancelled=True)
    refused(lambda: book_as(lab.machine, lab.member, at(day, "14:00"), at(day, "15:00")),
            field="starts_at")
    nothing_written(db)


def test_a_slot_of_another_site_is_refused(lab, create_site, create_slot, book_as, db):
    elsewhere = create_site()
    day = local_day(3)
    create_slot(elsewhere, at(day, "10:00"), at(day, "18:00"))
    refused(lambda: book_as(lab.machine, lab.member, at(day, "14:00"), at(day, "15:00")),
            field="starts_at")
    nothing_written(db)


def test_the_past_is_refused(lab, create_slot, book_as, db):
    yesterday = local_day(-1)
    create_slot(lab.site, at(yesterday, "10:00"), at(yesterday, "18:00"))
    refused(lambda: book_as(lab.machine, lab.member, at(yesterday, "14:00"),
                            at(yesterday, "15:00")), field="starts_at", contains="past")
    nothing_written(db)


@pytest.mark.parametrize("start, end", [
    ("14:10", "15:10"),  # misaligned start with a 30-minute step
    ("14:00", "14:45"),  # 45 minutes: not a multiple of the step
    ("14:15", "15:15"),
])
def test_times_off_the_step_are_refused(lab, book_as, db, start, end):
    refused(lambda: book_as(lab.machine, lab.member, at(lab.day, start), at(lab.day, end)),
            contains="30 minutes")
    nothing_written(db)


def test_the_end_before_the_start_is_refused(lab, book_as, db):
    refused(lambda: book_as(lab.machine, lab.member, at(lab.day, "15:00"), at(lab.day, "14:00")),
            field="ends_at")
    nothing_written(db)


def test_durations_outside_the_resource_bounds_are_refused(lab, create_resource, book_as, db):
    machine = create_resource(lab.site, lab.training, min_duration_minutes=60,
                              max_duration_minutes=180)
    refused(lambda: book_as(machine, lab.member, at(lab.day, "14:00"), at(lab.day, "14:30")),
            field="ends_at", contains="at least 60")
    refused(lambda: book_as(machine, lab.member, at(lab.day, "10:00"), at(lab.day, "13:30")),
            field="ends_at", contains="at most 180")
    nothing_written(db)
    # The bounds themselves are fine.
    book_as(machine, lab.member, at(lab.day, "10:00"), at(lab.day, "11:00"))
    book_as(machine, lab.member, at(lab.day, "12:00"), at(lab.day, "15:00"))
    assert count(db, Booking, Booking.status == "confirmed") == 2


def test_more_than_the_days_ahead_is_refused(lab, app, create_slot, book_as, db):
    assert app.config["BOOKING_MAX_DAYS_AHEAD"] == 14
    too_far, last = local_day(15), local_day(13)
    create_slot(lab.site, at(too_far, "10:00"), at(too_far, "18:00"))
    create_slot(lab.site, at(last, "10:00"), at(last, "18:00"))
    refused(lambda: book_as(lab.machine, lab.member, at(too_far, "14:00"),
                            at(too_far, "15:00")), field="starts_at", contains="14 days")
    nothing_written(db)
    book_as(lab.machine, lab.member, at(last, "14:00"), at(last, "15:00"))
    assert count(db, Booking) == 1


def test_the_weekly_quota_is_refused(lab, app, book_as, db, outbox):
    app.config["BOOKING_WEEKLY_QUOTA_HOURS"] = 2
    book_as(lab.machine, lab.member, at(lab.day, "10:00"), at(lab.day, "11:30"))
    refused(lambda: book_as(lab.other_machine, lab.member, at(lab.day, "14:00"),
                            at(lab.day, "15:30")), field="ends_at", contains="2 hours")
    assert count(db, Booking) == 1
    assert len(outbox("booking.confirmed")) == 1
    # What is left of the quota may still be booked.
    book_as(lab.other_machine, lab.member, at(lab.day, "14:00"), at(lab.day, "14:30"))
    assert count(db, Booking) == 2


def test_a_cancelled_booking_does_not_count_in_the_quota(lab, app, run, book_as, db):
    app.config["BOOKING_WEEKLY_QUOTA_HOURS"] = 2
    first = book_as(lab.machine, lab.member, at(lab.day, "10:00"), at(lab.day, "11:30"))
    run(lambda booking, by: cancel(booking, by), booking=first, by=lab.member)
    book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:30"))
    assert count(db, Booking, Booking.status == "confirmed") == 1


def test_the_quota_follows_the_tariff(lab, app, create_member, create_membership,
                                      create_tariff, grant, book_as, db):
    app.config["BOOKING_WEEKLY_QUOTA_HOURS"] = 2
    app.config["BOOKING_WEEKLY_QUOTA_BY_TARIFF"] = {"student": 1, "pro": 4}
    student, pro = create_member(), create_member()
    create_membership(student, tariff=create_tariff(code="student"))
    create_membership(pro, tariff=create_tariff(code="pro"))
    grant(student, lab.training)
    grant(pro, lab.training)
    refused(lambda: book_as(lab.machine, student, at(lab.day, "10:00"), at(lab.day, "11:30")),
            field="ends_at", contains="1 hours")
    nothing_written(db)
    # 3 hours: over the default 2 hours, within the "pro" tariff's 4.
    book_as(lab.machine, pro, at(lab.day, "10:00"), at(lab.day, "13:00"))
    # lab.member's tariff is not listed: the default 2 hours apply.
    refused(lambda: book_as(lab.other_machine, lab.member, at(lab.day, "10:00"),
                            at(lab.day, "12:30")), field="ends_at")
    assert count(db, Booking) == 1


def test_the_slot_capacity_counts_people_not_bookings(lab, create_slot, trained_member,
                                                      book_as, db):
    day = local_day(3)
    slot = create_slot(lab.site, at(day, "10:00"), at(day, "18:00"), capacity=1)
    second = trained_member()
    book_as(lab.machine, lab.member, at(day, "14:00"), at(day, "15:00"))
    refused(lambda: book_as(lab.other_machine, second, at(day, "14:00"), at(day, "15:00")),
            field="starts_at", contains="full")
    assert count(db, Booking, Booking.member_id == second.id) == 0
    # The same member's second booking in the slot takes no extra place.
    book_as(lab.other_machine, lab.member, at(day, "14:00"), at(day, "15:00"))
    assert count(db, Booking, Booking.slot_id == slot.id, Booking.member_id == lab.member.id) == 2


def test_an_overlapping_booking_of_the_resource_is_refused(lab, trained_member, book_as, db,
                                                           outbox):
    other = trained_member()
    book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))
    refused(lambda: book_as(lab.machine, other, at(lab.day, "14:30"), at(lab.day, "15:30")),
            field="starts_at", contains="already booked")
    refused(lambda: book_as(lab.machine, other, at(lab.day, "13:00"), at(lab.day, "16:00")),
            field="starts_at", contains="already booked")
    assert count(db, Booking) == 1
    assert len(outbox()) == 1
    # Another machine at the same time, and the same machine right after, are fine.
    book_as(lab.other_machine, other, at(lab.day, "14:30"), at(lab.day, "15:30"))
    book_as(lab.machine, other, at(lab.day, "15:00"), at(lab.day, "16:00"))
    assert count(db, Booking, Booking.status == "confirmed") == 3


def test_a_member_cannot_double_book_the_resource_either(lab, book_as, db):
    book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))
    refused(lambda: book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00")),
            contains="already booked")
    assert count(db, Booking) == 1


def test_no_shows_block_booking_unless_staff_override(lab, insert_booking, book_as, db):
    now = utcnow().replace(second=0, microsecond=0)
    for days in (10, 6, 2):
        insert_booking(lab.machine, lab.member, now - timedelta(days=days, hours=2),
                       now - timedelta(days=days, hours=1), no_show=True)
    refused(lambda: book_as(lab.machine, lab.member, at(lab.day, "14:00"),
                            at(lab.day, "15:00")), field="member")
    # A staff booking without the override obeys the same block.
    refused(lambda: book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"),
                            by=lab.staff), field="member")
    assert count(db, Booking) == 3
    assert count(db, AuditLog) == 0

    booking = book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"),
                      by=lab.staff, override=True)
    stored = fresh(db, Booking, booking.id)
    assert (stored.status, stored.quota_override, stored.created_by_id) == (
        "confirmed", True, lab.staff.id)
    entry = db.session.scalar(select(AuditLog))
    assert (entry.action, entry.actor_id, entry.object_type, entry.object_id) == (
        "booking.create", lab.staff.id, "Booking", booking.id)
    assert entry.details["override"] is True


def test_old_no_shows_do_not_block(lab, insert_booking, book_as, db):
    now = utcnow().replace(second=0, microsecond=0)
    for days in (70, 60, 50):  # three no-shows, but the block is over
        insert_booking(lab.machine, lab.member, now - timedelta(days=days, hours=2),
                       now - timedelta(days=days, hours=1), no_show=True)
    book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))
    assert count(db, Booking, Booking.status == "confirmed", Booking.no_show.is_(False)) == 1


def test_the_no_show_block_holds_without_the_hourly_job(lab, insert_booking, book_as, db):
    """Past confirmed bookings nobody checked in count as missed even if
    ``flask booking close-slots`` never ran; the refusal still writes nothing."""
    now = utcnow().replace(second=0, microsecond=0)
    for days in (10, 6, 2):
        insert_booking(lab.machine, lab.member, now - timedelta(days=days, hours=2),
                       now - timedelta(days=days, hours=1))
    refused(lambda: book_as(lab.machine, lab.member, at(lab.day, "14:00"),
                            at(lab.day, "15:00")), field="member")
    assert count(db, Booking) == 3
    assert count(db, Booking, Booking.no_show.is_(True)) == 0
    assert count(db, OutboxMessage) == 0


def test_the_override_is_ignored_for_a_member(lab, app, book_as, db):
    app.config["BOOKING_WEEKLY_QUOTA_HOURS"] = 1
    refused(lambda: book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "16:00"),
                            override=True), field="ends_at")
    nothing_written(db)


# --- the database guard -----------------------------------------------------------------


def test_the_database_refuses_overlapping_live_bookings(lab, trained_member, insert_booking, db):
    other = trained_member()
    insert_booking(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))
    with pytest.raises(IntegrityError):
        insert_booking(lab.machine, other, at(lab.day, "14:30"), at(lab.day, "15:30"))
    with pytest.raises(IntegrityError):  # a pending request is live too
        insert_booking(lab.machine, other, at(lab.day, "13:00"), at(lab.day, "16:00"),
                       status="pending")
    assert count(db, Booking) == 1


def test_the_database_allows_cancelled_adjacent_and_other_resources(lab, trained_member,
                                                                    insert_booking, db):
    other = trained_member()
    insert_booking(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))
    insert_booking(lab.machine, other, at(lab.day, "14:00"), at(lab.day, "15:00"),
                   status="cancelled")
    insert_booking(lab.machine, other, at(lab.day, "14:30"), at(lab.day, "15:30"),
                   status="rejected")
    insert_booking(lab.machine, other, at(lab.day, "15:00"), at(lab.day, "16:00"))  # adjacent
    insert_booking(lab.machine, other, at(lab.day, "13:00"), at(lab.day, "14:00"))  # adjacent
    insert_booking(lab.other_machine, other, at(lab.day, "14:00"), at(lab.day, "15:00"))
    assert count(db, Booking) == 6
    assert count(db, Booking, Booking.status == "confirmed") == 4


def test_the_database_refuses_reviving_a_cancelled_booking_over_a_live_one(
        lab, app, trained_member, insert_booking, db):
    from fablab.extensions import db as app_db

    other = trained_member()
    insert_booking(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))
    cancelled = insert_booking(lab.machine, other, at(lab.day, "14:30"), at(lab.day, "15:30"),
                               status="cancelled")
    moved = insert_booking(lab.machine, other, at(lab.day, "16:00"), at(lab.day, "17:00"))
    with app.app_context():
        app_db.session.get(Booking, cancelled.id).status = "confirmed"
        with pytest.raises(IntegrityError):
            app_db.session.commit()
        app_db.session.rollback()
        # Moving a live booking over another one is refused as well.
        app_db.session.get(Booking, moved.id).starts_at = at(lab.day, "14:30")
        with pytest.raises(IntegrityError):
            app_db.session.commit()
        app_db.session.rollback()
    assert fresh(db, Booking, cancelled.id).status == "cancelled"
    assert fresh(db, Booking, moved.id).starts_at == at(lab.day, "16:00")
    assert count(db, Booking, Booking.status == "confirmed") == 2


# --- cancelling -----------------------------------------------------------------------


def test_a_member_cancels_before_the_deadline(lab, book_as, run, db, outbox):
    booking = book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))
    run(lambda booking, by: cancel(booking, by, "changed my mind"), booking=booking,
        by=lab.member)
    stored = fresh(db, Booking, booking.id)
    assert (stored.status, stored.cancelled_by_id, stored.cancel_reason) == (
        "cancelled", lab.member.id, "changed my mind")
    assert stored.cancelled_at is not None
    assert [m.recipient for m in outbox("booking.cancelled")] == [lab.member.email]
    assert count(db, AuditLog) == 0
    # The time is free again.
    book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))
    assert count(db, Booking, Booking.status == "confirmed") == 1


def test_after_the_deadline_only_staff_cancel(lab, app, book_as, run, db, outbox):
    booking = book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))
    app.config["BOOKING_CANCEL_DEADLINE_HOURS"] = 24 * 7  # the booking is now too close
    with pytest.raises(DomainError) as info:
        run(lambda booking, by: cancel(booking, by), booking=booking, by=lab.member)
    assert "168 hours" in str(info.value)
    assert fresh(db, Booking, booking.id).status == "confirmed"
    assert outbox("booking.cancelled") == []

    run(lambda booking, by: cancel(booking, by, "machine needed for a class"),
        booking=booking, by=lab.staff)
    stored = fresh(db, Booking, booking.id)
    assert (stored.status, stored.cancelled_by_id) == ("cancelled", lab.staff.id)
    messages = outbox("booking.cancelled")
    assert [m.recipient for m in messages] == [lab.member.email]
    assert "machine needed for a class" in messages[0].body
    assert db.session.scalar(select(AuditLog.action)) == "booking.cancel"


def test_a_member_cannot_cancel_someone_elses_booking(lab, trained_member, book_as, run, db,
                                                      outbox):
    other = trained_member()
    booking = book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))
    with pytest.raises(DomainError) as info:
        run(lambda booking, by: cancel(booking, by), booking=booking, by=other)
    assert str(info.value).strip()
    assert fresh(db, Booking, booking.id).status == "confirmed"
    assert outbox("booking.cancelled") == []


def test_a_cancelled_booking_cannot_be_cancelled_again(lab, book_as, run, db, outbox):
    booking = book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))
    run(lambda booking, by: cancel(booking, by), booking=booking, by=lab.member)
    with pytest.raises(DomainError):
        run(lambda booking, by: cancel(booking, by), booking=booking, by=lab.staff)
    assert len(outbox("booking.cancelled")) == 1


# --- rooms that need approval ---------------------------------------------------------


@pytest.fixture
def room(lab, create_resource):
    return create_resource(lab.site, kind="room", name="Meeting room", slug="meeting-room",
                           requires_approval=True, capacity=10)


def test_a_room_request_waits_for_approval_then_is_accepted(lab, room, book_as, run, db,
                                                            outbox):
    booking = book_as(room, lab.member, at(lab.day, "14:00"), at(lab.day, "16:00"))
    assert fresh(db, Booking, booking.id).status == "pending"
    assert [m.recipient for m in outbox("booking.requested")] == [lab.member.email]
    assert outbox("booking.confirmed") == []

    run(lambda booking, staff: decide(booking, staff, accept=True), booking=booking,
        staff=lab.staff)
    stored = fresh(db, Booking, booking.id)
    assert (stored.status, stored.decided_by_id) == ("confirmed", lab.staff.id)
    assert [m.recipient for m in outbox("booking.accepted")] == [lab.member.email]
    assert db.session.scalar(select(AuditLog.action)) == "booking.accept"
    # Answered once only.
    with pytest.raises(DomainError):
        run(lambda booking, staff: decide(booking, staff, accept=False, reason="no"),
            booking=booking, staff=lab.staff)
    assert fresh(db, Booking, booking.id).status == "confirmed"


def test_a_refusal_needs_a_reason_and_tells_it(lab, room, book_as, run, db, outbox):
    booking = book_as(room, lab.member, at(lab.day, "14:00"), at(lab.day, "16:00"))
    with pytest.raises(DomainError) as info:
        run(lambda booking, staff: decide(booking, staff, accept=False, reason="  "),
            booking=booking, staff=lab.staff)
    assert info.value.field == "reason" and str(info.value).strip()
    assert fresh(db, Booking, booking.id).status == "pending"
    assert outbox("booking.rejected") == []
    assert count(db, AuditLog) == 0

    run(lambda booking, staff: decide(booking, staff, accept=False,
                                      reason="The room is taken by the council"),
        booking=booking, staff=lab.staff)
    stored = fresh(db, Booking, booking.id)
    assert (stored.status, stored.decision_reason, stored.decided_by_id) == (
        "rejected", "The room is taken by the council", lab.staff.id)
    messages = outbox("booking.rejected")
    assert [m.recipient for m in messages] == [lab.member.email]
    assert "The room is taken by the council" in messages[0].body


def test_a_pending_request_blocks_the_time_until_refused(lab, room, trained_member, book_as,
                                                         run, db):
    other = trained_member()
    booking = book_as(room, lab.member, at(lab.day, "14:00"), at(lab.day, "16:00"))
    refused(lambda: book_as(room, other, at(lab.day, "15:00"), at(lab.day, "17:00")),
            contains="already booked")
    assert count(db, Booking) == 1
    run(lambda booking, staff: decide(booking, staff, accept=False, reason="Closed for works"),
        booking=booking, staff=lab.staff)
    book_as(room, other, at(lab.day, "15:00"), at(lab.day, "17:00"))
    assert count(db, Booking, Booking.status == "pending") == 1


# --- checking in and no-shows -----------------------------------------------------------


def test_check_in_and_no_shows(lab, create_slot, trained_member, insert_booking, run, db):
    other, third = trained_member(), trained_member()
    yesterday = local_day(-1)
    past = create_slot(lab.site, at(yesterday, "10:00"), at(yesterday, "18:00"))
    came = insert_booking(lab.machine, lab.member, at(yesterday, "14:00"),
                          at(yesterday, "15:00"), slot=past)
    missed = insert_booking(lab.other_machine, other, at(yesterday, "14:00"),
                            at(yesterday, "15:00"), slot=past)
    cancelled = insert_booking(lab.machine, third, at(yesterday, "16:00"),
                               at(yesterday, "17:00"), slot=past, status="cancelled")
    upcoming = insert_booking(lab.machine, third, at(lab.day, "14:00"), at(lab.day, "15:00"),
                              slot=lab.slot)

    run(lambda booking, staff: check_in(booking, staff), booking=came, staff=lab.staff)
    stored = fresh(db, Booking, came.id)
    assert stored.checked_in_at is not None and stored.no_show is False
    assert db.session.scalar(select(AuditLog.action)) == "booking.check_in"
    with pytest.raises(DomainError):
        run(lambda booking, staff: check_in(booking, staff), booking=came, staff=lab.staff)
    with pytest.raises(DomainError):
        run(lambda booking, staff: check_in(booking, staff), booking=cancelled, staff=lab.staff)

    assert run(lambda: mark_no_shows()) == 1
    assert fresh(db, Booking, missed.id).no_show is True
    assert fresh(db, Booking, came.id).no_show is False
    assert fresh(db, Booking, cancelled.id).no_show is False
    assert fresh(db, Booking, upcoming.id).no_show is False
    assert run(lambda: mark_no_shows()) == 0  # idempotent


def test_no_show_waits_for_the_end_of_the_slot(lab, create_slot, insert_booking, run, db):
    now = utcnow().replace(second=0, microsecond=0)
    slot = create_slot(lab.site, now - timedelta(hours=3), now + timedelta(hours=2))
    booking = insert_booking(lab.machine, lab.member, now - timedelta(hours=3),
                             now - timedelta(hours=2), slot=slot)
    assert run(lambda: mark_no_shows()) == 0
    assert fresh(db, Booking, booking.id).no_show is False
    assert run(lambda: mark_no_shows(now + timedelta(hours=2))) == 1
    assert fresh(db, Booking, booking.id).no_show is True
