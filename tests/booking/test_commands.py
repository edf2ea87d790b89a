"""The hourly cron commands of bookings, on the nights the clocks change:
``flask --app fablab booking close-slots`` and ``booking remind``."""

from __future__ import annotations

from datetime import date

import pytest

from .conftest import at


def run_command(runner, *args) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.frozen("2027-03-28 03:30")  # clocks went forward at 02:00, an hour ago
def test_close_slots_waits_for_the_end_of_a_slot_across_the_spring_change(
        runner, frozen_clock, create_site, create_resource, create_slot, insert_booking,
        member, db):
    from fablab.booking.models import Booking

    site = create_site()
    machine = create_resource(site)
    saturday, sunday = date(2027, 3, 27), date(2027, 3, 28)
    slot = create_slot(site, at(saturday, "22:00"), at(sunday, "04:00"))  # five real hours
    booking = insert_booking(machine, member, at(sunday, "01:00"), at(sunday, "01:30"),
                             slot=slot)
    assert run_command(runner, "booking", "close-slots") == "0 no-show(s) recorded.\n"
    frozen_clock.move_to(at(sunday, "04:00"))
    assert run_command(runner, "booking", "close-slots") == "1 no-show(s) recorded.\n"
    assert db.session.get(Booking, booking.id).no_show is True
    assert run_command(runner, "booking", "close-slots") == "0 no-show(s) recorded.\n"


@pytest.mark.frozen("2026-10-25 02:30+02:00")  # the first 02:30 of the night clocks go back
def test_remind_run_in_both_repeated_hours_reminds_each_booking_once(
        runner, frozen_clock, create_site, create_resource, insert_booking, create_member,
        outbox):
    site = create_site()
    machine = create_resource(site)
    sunday, monday = date(2026, 10, 25), date(2026, 10, 26)
    morning = create_member(email="morning@example.org")
    night = create_member(email="night@example.org")
    insert_booking(machine, morning, at(sunday, "10:00"), at(sunday, "11:00"))
    insert_booking(machine, night, at(monday, "02:00"), at(monday, "03:00"))
    # 24 real hours from the first 02:30: Monday 01:30, before the night booking
    assert run_command(runner, "booking", "remind") == "1 reminder(s) queued.\n"
    frozen_clock.move_to("2026-10-25 02:30+01:00")  # an hour later, the same wall-clock time
    assert run_command(runner, "booking", "remind") == "1 reminder(s) queued.\n"
    assert [m.recipient for m in outbox("booking.reminder")] == ["morning@example.org",
                                                                  "night@example.org"]
