"""``flask --app fablab events remind`` (cron, hourly): a seat is reminded once, 24 real
hours ahead, also on the night the clocks go forward."""

from __future__ import annotations

from datetime import date

import pytest

from tests.events.conftest import at


def remind(runner) -> str:
    result = runner.invoke(args=["events", "remind"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.frozen("2027-03-27 08:30")  # Saturday; the clocks go forward tonight
def test_remind_counts_real_hours_across_the_spring_change(runner, frozen_clock, create_event,
                                                          insert_registration, member,
                                                          outbox):
    sunday = date(2027, 3, 28)
    event = create_event(starts_at=at(sunday, "10:00"), ends_at=at(sunday, "12:00"))
    insert_registration(event, member)
    assert remind(runner) == "0 reminder(s) queued.\n"  # 24.5 real hours ahead
    frozen_clock.move_to(at(date(2027, 3, 27), "09:30"))
    assert remind(runner) == "1 reminder(s) queued.\n"  # 23.5 (24.5 on the wall clock)
    frozen_clock.move_to(at(date(2027, 3, 27), "10:30"))
    assert remind(runner) == "0 reminder(s) queued.\n"
    assert [m.recipient for m in outbox("event.reminder")] == [member.email]
