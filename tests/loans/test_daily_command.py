"""``flask --app fablab loans daily`` (cron, once a day): its "today" is the lab's day,
whatever hour cron runs it, even when that day is not yet the UTC day."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.mark.frozen("2027-01-01 00:30")  # still 31 December in UTC
def test_just_after_midnight_the_days_are_the_labs(runner, create_item, create_borrower,
                                                   insert_loan, insert_hold, holds_of,
                                                   item_row, outbox):
    first, second = create_borrower(), create_borrower()
    uncollected = create_item(name="Scie", status="held")
    insert_hold(uncollected, first, status="ready", expires_on=date(2026, 12, 31))
    kept = create_item(name="Niveau", status="held")
    insert_hold(kept, first, status="ready", expires_on=date(2027, 1, 1))
    insert_loan(create_item(name="Ponceuse"), second, due_on=date(2026, 12, 31))
    insert_loan(create_item(name="Perceuse"), second, due_on=date(2027, 1, 2))

    result = runner.invoke(args=["loans", "daily"])

    assert result.exit_code == 0
    assert "1 hold(s) expired, 2 notice(s) queued." in result.output
    assert [h.status for h in holds_of(uncollected)] == ["expired"]
    assert item_row(uncollected).status == "available"
    assert [h.status for h in holds_of(kept)] == ["ready"]  # its last day is today
    # due yesterday: overdue (not "due tomorrow"); due tomorrow: the reminder
    assert sorted(m.kind for m in outbox() if m.kind.startswith("loan.notice")) == [
        "loan.notice1", "loan.notice2"]
