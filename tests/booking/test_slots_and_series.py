"""Open slots, weekly series (in the site's local time, across daylight-saving
changes), closures, cancelling a slot, and the number of queries of the week
grid and the staff's day view."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import event, func, select

from fablab.booking.models import Booking, OpenSlot, SlotSeries
from fablab.core.models import Closure
from fablab.booking.services import (add_closure, cancel_slot, create_series, day_view,
                                     week_grid)
from fablab.booking.services import create_slot as create_open_slot  # the fixture is create_slot
from fablab.core.errors import DomainError
from fablab.core.models import AuditLog, OutboxMessage, Site
from fablab.machines.models import Resource

from .conftest import PARIS, at, local_day


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(db, model, id_):
    return db.session.get(model, id_, populate_existing=True)


def refused(call, field=None) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    assert str(info.value).strip()
    assert info.value.field
    if field is not None:
        assert info.value.field == field
    return info.value


def next_year() -> int:
    return local_day().year + 1


def wednesdays(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if (first + timedelta(days=n)).isoweekday() == 3]


# --- single slots ---------------------------------------------------------------------


def test_create_slot(lab, run, db):
    day = local_day(4)
    slot = run(lambda site, staff: create_open_slot(
        staff, site, at(day, "14:00"), at(day, "18:00"), 8, staff_id=staff.id,
        note=" Bring wood "), site=lab.site, staff=lab.staff)
    stored = fresh(db, OpenSlot, slot.id)
    assert (stored.starts_at, stored.ends_at, stored.capacity, stored.staff_id, stored.note) == (
        at(day, "14:00"), at(day, "18:00"), 8, lab.staff.id, "Bring wood")
    assert stored.series_id is None and stored.cancelled_at is None
    assert db.session.scalar(select(AuditLog.action)) == "slot.create"


@pytest.mark.parametrize("start, end, capacity, field", [
    ("18:00", "14:00", 8, "ends_at"),
    ("14:00", "14:00", 8, "ends_at"),
    ("14:00", "18:00", 0, "capacity"),
    ("14:00", "18:00", None, "capacity"),
])
def test_create_slot_refuses_bad_input(lab, run, db, start, end, capacity, field):
    day = local_day(4)
    before = count(db, OpenSlot)
    refused(lambda: run(lambda site, staff: create_open_slot(
        staff, site, at(day, start), at(day, end), capacity), site=lab.site, staff=lab.staff),
        field=field)
    assert count(db, OpenSlot) == before
    assert count(db, AuditLog) == 0


def test_create_slot_refuses_a_closed_day(lab, run, db):
    first, last = local_day(20), local_day(22)
    run(lambda site, staff: add_closure(staff, site, first, last, "Summer break"),
        site=lab.site, staff=lab.staff)
    before = count(db, OpenSlot)
    error = refused(lambda: run(lambda site, staff: create_open_slot(
        staff, site, at(local_day(21), "14:00"), at(local_day(21), "18:00"), 8),
        site=lab.site, staff=lab.staff), field="starts_at")
    assert "Summer break" in str(error)
    assert count(db, OpenSlot) == before
    # The day after the closure is open.
    run(lambda site, staff: create_open_slot(
        staff, site, at(local_day(23), "14:00"), at(local_day(23), "18:00"), 8),
        site=lab.site, staff=lab.staff)
    assert count(db, OpenSlot) == before + 1


# --- weekly series --------------------------------------------------------------------


@pytest.mark.parametrize("season, utc_hours", [
    ((3, 15, 4, 15), (13, 12)),   # winter time (UTC+1) then summer time (UTC+2)
    ((10, 15, 11, 15), (12, 13)),  # summer time then winter time
])
def test_a_series_keeps_local_times_across_daylight_saving(lab, run, db, season, utc_hours):
    year = next_year()
    first, last = date(year, season[0], season[1]), date(year, season[2], season[3])
    series, made = run(lambda site, staff: create_series(
        staff, site, [3], time(14, 0), time(18, 0), first, last, 10, staff_id=staff.id,
        note="Open lab"), site=lab.site, staff=lab.staff)
    expected_days = wednesdays(first, last)
    assert made == len(expected_days) >= 4

    slots = db.session.scalars(select(OpenSlot).where(OpenSlot.series_id == series.id)
                               .order_by(OpenSlot.starts_at)).all()
    assert [s.starts_at.astimezone(PARIS).date() for s in slots] == expected_days
    for slot in slots:
        local_start, local_end = slot.starts_at.astimezone(PARIS), slot.ends_at.astimezone(PARIS)
        assert (local_start.time(), local_end.time()) == (time(14, 0), time(18, 0))
        assert local_start.isoweekday() == 3
        assert slot.ends_at - slot.starts_at == timedelta(hours=4)
        assert (slot.capacity, slot.staff_id, slot.note) == (10, lab.staff.id, "Open lab")
    hours = [s.starts_at.hour for s in slots]
    assert hours[0] == utc_hours[0] and hours[-1] == utc_hours[1]
    assert sorted(set(hours)) == [12, 13]
    assert hours == sorted(hours, reverse=utc_hours[0] > utc_hours[1])

    stored = fresh(db, SlotSeries, series.id)
    assert (stored.weekdays, stored.start_time, stored.end_time) == ("3", time(14), time(18))
    assert db.session.scalar(select(AuditLog.action).where(
        AuditLog.object_type == "SlotSeries")) == "slot_series.create"


def test_a_series_makes_one_slot_per_chosen_weekday_and_skips_closures(lab, run, db):
    year = next_year()
    first, last = date(year, 5, 4), date(year, 5, 31)  # 4 weeks
    closed_from = first + timedelta(days=7)
    closed_until = closed_from + timedelta(days=6)  # one whole week
    run(lambda site, staff: add_closure(staff, site, closed_from, closed_until, "Holidays"),
        site=lab.site, staff=lab.staff)
    series, made = run(lambda site, staff: create_series(
        staff, site, [6, 3, 3], time(9, 30), time(12, 0), first, last, 6),
        site=lab.site, staff=lab.staff)
    slots = db.session.scalars(select(OpenSlot).where(OpenSlot.series_id == series.id)).all()
    days = sorted(s.starts_at.astimezone(PARIS).date() for s in slots)
    expected = [first + timedelta(days=n) for n in range((last - first).days + 1)
                if (first + timedelta(days=n)).isoweekday() in (3, 6)
                and not closed_from <= first + timedelta(days=n) <= closed_until]
    assert days == expected and made == len(expected) == len(slots)
    assert len(days) == 2 * 4 - 2
    assert all(s.starts_at.astimezone(PARIS).time() == time(9, 30) for s in slots)
    assert fresh(db, SlotSeries, series.id).weekdays == "3,6"


@pytest.mark.parametrize("weekdays, start, end, first_offset, last_offset, field", [
    ([], time(14), time(18), 0, 30, "weekdays"),
    ([0, 8], time(14), time(18), 0, 30, "weekdays"),
    ([3], time(18), time(14), 0, 30, "end_time"),
    ([3], time(14), time(14), 0, 30, "end_time"),
    ([3], time(14), time(18), 30, 0, "last_day"),
])
def test_a_series_refuses_bad_input(lab, run, db, weekdays, start, end, first_offset,
                                    last_offset, field):
    first, last = local_day(first_offset), local_day(last_offset)
    slots_before = count(db, OpenSlot)
    refused(lambda: run(lambda site, staff: create_series(
        staff, site, weekdays, start, end, first, last, 10), site=lab.site, staff=lab.staff),
        field=field)
    assert count(db, SlotSeries) == 0
    assert count(db, OpenSlot) == slots_before
    assert count(db, AuditLog) == 0


def test_a_series_that_makes_no_slot_is_refused(lab, run, db):
    year = next_year()
    run(lambda site, staff: add_closure(staff, site, date(year, 2, 1), date(year, 2, 28)),
        site=lab.site, staff=lab.staff)
    refused(lambda: run(lambda site, staff: create_series(
        staff, site, [1, 2, 3, 4, 5], time(14), time(18), date(year, 2, 2), date(year, 2, 27),
        10), site=lab.site, staff=lab.staff))
    assert count(db, SlotSeries) == 0


# --- cancelling a slot ----------------------------------------------------------------


def test_cancel_slot_cancels_its_live_bookings_and_tells_each_member(
        lab, trained_member, book_as, insert_booking, run, db, outbox):
    other, third = trained_member(), trained_member()
    mine = book_as(lab.machine, lab.member, at(lab.day, "10:00"), at(lab.day, "11:00"))
    theirs = book_as(lab.other_machine, other, at(lab.day, "10:00"), at(lab.day, "12:00"))
    already = insert_booking(lab.machine, third, at(lab.day, "14:00"), at(lab.day, "15:00"),
                             slot=lab.slot, status="cancelled")

    cancelled = run(lambda slot, staff: cancel_slot(staff, slot, "Power cut"),
                    slot=lab.slot, staff=lab.staff)
    assert cancelled == 2
    slot = fresh(db, OpenSlot, lab.slot.id)
    assert slot.cancelled_at is not None and slot.cancel_reason == "Power cut"
    for booking in (mine, theirs):
        stored = fresh(db, Booking, booking.id)
        assert (stored.status, stored.cancelled_by_id, stored.cancel_reason) == (
            "cancelled", lab.staff.id, "Power cut")
    assert fresh(db, Booking, already.id).cancelled_by_id is None
    messages = outbox("booking.cancelled")
    assert sorted(m.recipient for m in messages) == sorted([lab.member.email, other.email])
    assert all("Power cut" in m.body for m in messages)
    assert db.session.scalar(select(AuditLog.action).where(
        AuditLog.object_type == "OpenSlot")) == "slot.cancel"
    # A cancelled slot takes no booking and cannot be cancelled again.
    with pytest.raises(DomainError):
        book_as(lab.machine, lab.member, at(lab.day, "10:00"), at(lab.day, "11:00"))
    with pytest.raises(DomainError):
        run(lambda slot, staff: cancel_slot(staff, slot), slot=lab.slot, staff=lab.staff)
    assert len(outbox("booking.cancelled")) == 2


def test_cancel_slot_sends_one_email_per_member(lab, book_as, run, outbox):
    book_as(lab.machine, lab.member, at(lab.day, "10:00"), at(lab.day, "11:00"))
    book_as(lab.other_machine, lab.member, at(lab.day, "10:00"), at(lab.day, "11:00"))
    assert run(lambda slot, staff: cancel_slot(staff, slot, "Power cut"),
               slot=lab.slot, staff=lab.staff) == 2
    assert [m.recipient for m in outbox("booking.cancelled")] == [lab.member.email]


# --- closures -------------------------------------------------------------------------


def test_a_closure_cancels_the_slots_of_its_days_and_their_bookings(
        lab, create_slot, book_as, run, db, outbox):
    before = create_slot(lab.site, at(local_day(1), "22:00"), at(local_day(1), "23:30"))
    after = create_slot(lab.site, at(local_day(3), "00:00"), at(local_day(3), "02:00"))
    booking = book_as(lab.machine, lab.member, at(lab.day, "14:00"), at(lab.day, "15:00"))

    closure, cancelled = run(lambda site, staff: add_closure(staff, site, lab.day, lab.day,
                                                             " Strike "),
                             site=lab.site, staff=lab.staff)
    assert cancelled == 1
    stored = fresh(db, Closure, closure.id)
    assert (stored.first_day, stored.last_day, stored.reason) == (lab.day, lab.day, "Strike")
    assert fresh(db, OpenSlot, lab.slot.id).cancelled_at is not None
    assert fresh(db, OpenSlot, before.id).cancelled_at is None
    assert fresh(db, OpenSlot, after.id).cancelled_at is None
    assert fresh(db, Booking, booking.id).status == "cancelled"
    assert [m.recipient for m in outbox("booking.cancelled")] == [lab.member.email]
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert "closure.create" in actions and "slot.cancel" in actions


def test_a_closure_spares_other_sites(lab, create_site, create_slot, run, db):
    elsewhere = create_site()
    other_slot = create_slot(elsewhere, at(lab.day, "10:00"), at(lab.day, "18:00"))
    run(lambda site, staff: add_closure(staff, site, lab.day, lab.day), site=lab.site,
        staff=lab.staff)
    assert fresh(db, OpenSlot, other_slot.id).cancelled_at is None
    assert fresh(db, OpenSlot, lab.slot.id).cancelled_at is not None


def test_a_closure_refuses_an_inverted_range(lab, run, db, outbox):
    refused(lambda: run(lambda site, staff: add_closure(staff, site, local_day(5),
                                                        local_day(2)),
                        site=lab.site, staff=lab.staff), field="last_day")
    refused(lambda: run(lambda site, staff: add_closure(staff, site, None, local_day(2)),
                        site=lab.site, staff=lab.staff), field="last_day")
    assert count(db, Closure) == 0
    assert fresh(db, OpenSlot, lab.slot.id).cancelled_at is None
    assert count(db, OutboxMessage) == 0


# --- queries of the week grid and the day view ----------------------------------------


def _queries(app, model, id_, call) -> list[str]:
    """The statements ``call(obj)`` sends, ``obj`` being loaded first in a fresh app
    context (a transaction's BEGIN is not counted)."""
    from fablab.extensions import db as app_db

    with app.app_context():
        obj = app_db.session.get(model, id_)
        statements = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith("BEGIN"):
                statements.append(statement)

        engine = app_db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            call(obj)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
            app_db.session.rollback()
        return statements


def _add_bookings(app, resource_ids, member_ids, starts, length, number):
    """``number`` bookings, one after the other on each resource in turn."""
    from fablab.extensions import db as app_db

    with app.app_context():
        for n in range(number):
            resource_id = resource_ids[n % len(resource_ids)]
            start = starts[n // len(resource_ids)]
            app_db.session.add(Booking(resource_id=resource_id,
                                       member_id=member_ids[n % len(member_ids)],
                                       starts_at=start, ends_at=start + length,
                                       status="cancelled" if n % 7 == 0 else "confirmed"))
        app_db.session.commit()


def test_week_grid_queries_do_not_grow_with_bookings(lab, app, create_resource, create_slot,
                                                     create_member, db):
    machine = create_resource(lab.site, granularity_minutes=15, min_duration_minutes=15)
    monday = local_day(14 - local_day().weekday())  # a week clear of the lab's slot
    days = [monday + timedelta(days=n) for n in range(7)]
    for day in days:
        create_slot(lab.site, at(day, "08:00"), at(day, "22:00"), staff_id=lab.staff.id)
    members = [create_member().id for _ in range(5)]
    # Consecutive quarter-hours from 08:00 each day: 56 per day.
    starts = [at(day, "08:00") + timedelta(minutes=15 * n) for day in days for n in range(56)]
    step = timedelta(minutes=15)

    def grid(resource):
        week = week_grid(resource, monday)
        states = [cell.state for _, day_slots, cells in week for cell in cells]
        for _, day_slots, _cells in week:
            for slot in day_slots:
                assert slot.staff is None or slot.staff.name
                assert slot.site.name
        grid.states = states

    _add_bookings(app, [machine.id], members, starts[:10], step, 10)
    with_10 = _queries(app, Resource, machine.id, grid)
    assert grid.states.count("booked") == 10 - 2  # two of them are cancelled
    _add_bookings(app, [machine.id], members, starts[10:], step, 190)
    assert count(db, Booking, Booking.resource_id == machine.id) == 200
    with_200 = _queries(app, Resource, machine.id, grid)
    assert grid.states.count("booked") == 200 - 30
    assert len(grid.states) == 7 * 56
    assert len(with_200) == len(with_10), with_200
    # The resource's site, the slots (with their staff and site), the bookings (with
    # their resource).
    assert len(with_10) <= 6, with_10


def test_day_view_queries_do_not_grow_with_bookings(lab, app, create_resource, create_slot,
                                                    create_member, db):
    day = local_day(5)
    create_slot(lab.site, at(day, "08:00"), at(day, "13:00"), staff_id=lab.staff.id)
    create_slot(lab.site, at(day, "14:00"), at(day, "22:00"), cancelled=True)
    machines = [create_resource(lab.site).id for _ in range(20)]
    members = [create_member().id for _ in range(10)]
    starts = [at(day, "08:00") + timedelta(minutes=30 * n) for n in range(11)]
    half_hour = timedelta(minutes=30)

    def view(site):
        slots, bookings = day_view(site, day)
        for slot in slots:
            assert slot.staff is None or slot.staff.name
        for booking in bookings:
            assert booking.member.name and booking.resource.name
            assert booking.organisation is None
        view.sizes = (len(slots), len(bookings))

    _add_bookings(app, machines, members, starts, half_hour, 10)
    with_10 = _queries(app, Site, lab.site.id, view)
    assert view.sizes == (2, 10)
    _add_bookings(app, machines, members, starts[1:], half_hour, 190)
    with_200 = _queries(app, Site, lab.site.id, view)
    assert view.sizes == (2, 200)
    assert len(with_200) == len(with_10), with_200
    # The slots (with their staff and site), the bookings (with their resource and member).
    assert len(with_10) <= 6, with_10
