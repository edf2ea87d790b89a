"""Holds and their queue, renewals, and the overdue notices through the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fablab.core.errors import DomainError
from tests.loans.conftest import local_day


@pytest.fixture
def desk(create_member):
    return create_member(name="Dana Desk", email="dana@example.org", role="staff", locale="en")


@pytest.fixture
def hold_on(run):
    from fablab.loans.services import place_hold

    def place(member, item):
        return run(lambda member, item: place_hold(member, item), member=member, item=item)

    return place


@pytest.fixture
def check_in_as(run):
    from fablab.loans.services import check_in

    def back(staff, item):
        return run(lambda staff, item: check_in(staff, item), staff=staff, item=item)

    return back


@pytest.fixture
def queue(create_borrower, create_item, insert_loan, hold_on, borrower):
    """An item on loan to ``borrower`` with two members waiting, in order."""
    item = create_item(code="Q-1", name="Appareil photo")
    insert_loan(item, borrower)
    first = create_borrower(name="Fanny First", email="fanny@example.org")
    second = create_borrower(name="Simon Second", email="simon@example.org")
    hold_on(first, item)
    hold_on(second, item)
    return item, first, second


# --- holds -----------------------------------------------------------------------------------


def test_holds_on_an_item_on_loan_wait_in_order(queue, holds_of, outbox):
    item, first, second = queue
    holds = holds_of(item)
    assert [(h.member_id, h.status) for h in holds] == [(first.id, "waiting"),
                                                        (second.id, "waiting")]
    assert outbox("loan.hold_ready") == []


def test_check_in_keeps_the_item_for_the_first_in_the_queue(app, queue, desk, check_in_as,
                                                            holds_of, item_row, outbox):
    item, first, second = queue
    check_in_as(desk, item)

    first_hold, second_hold = holds_of(item)
    assert first_hold.status == "ready"
    assert first_hold.expires_on == local_day(app.config["HOLD_KEEP_DAYS"])
    assert second_hold.status == "waiting"
    assert item_row(item).status == "held"
    [mail] = outbox("loan.hold_ready")
    assert mail.recipient == "fanny@example.org"
    assert "Appareil photo" in mail.subject + mail.body and "Q-1" in mail.body


def test_hold_keep_days_is_configurable(app, queue, desk, check_in_as, holds_of):
    app.config["HOLD_KEEP_DAYS"] = 5
    item, _first, _second = queue
    check_in_as(desk, item)
    assert holds_of(item)[0].expires_on == local_day(5)


def test_an_uncollected_hold_passes_to_the_next_member(app, run, queue, desk, check_in_as,
                                                       holds_of, item_row, outbox):
    from fablab.loans.services import expire_holds

    item, first, second = queue
    check_in_as(desk, item)
    expires_on = holds_of(item)[0].expires_on

    assert run(lambda: expire_holds(today=expires_on)) == 0  # the last day: still kept
    assert [h.status for h in holds_of(item)] == ["ready", "waiting"]

    assert run(lambda: expire_holds(today=expires_on + timedelta(days=1))) == 1
    first_hold, second_hold = holds_of(item)
    assert first_hold.status == "expired"
    assert second_hold.status == "ready" and second_hold.expires_on is not None
    assert item_row(item).status == "held"
    assert [m.recipient for m in outbox("loan.hold_ready")] == ["fanny@example.org",
                                                                "simon@example.org"]


def test_the_last_hold_expiring_frees_the_item(app, run, create_item, create_borrower, hold_on,
                                               holds_of, item_row):
    from fablab.loans.services import expire_holds

    item = create_item()
    hold_on(create_borrower(), item)  # available: kept at once
    [hold] = holds_of(item)
    assert hold.status == "ready" and item_row(item).status == "held"
    run(lambda: expire_holds(today=hold.expires_on + timedelta(days=1)))
    assert [h.status for h in holds_of(item)] == ["expired"]
    assert item_row(item).status == "available"


def test_cancelling_a_ready_hold_passes_it_on(run, queue, desk, check_in_as, holds_of,
                                              item_row, outbox):
    from fablab.loans.services import cancel_hold

    item, first, second = queue
    check_in_as(desk, item)
    ready = holds_of(item)[0]
    run(lambda member, hold: cancel_hold(member, hold), member=first, hold=ready)

    first_hold, second_hold = holds_of(item)
    assert first_hold.status == "cancelled"
    assert second_hold.status == "ready"
    assert item_row(item).status == "held"
    assert [m.recipient for m in outbox("loan.hold_ready")][-1] == "simon@example.org"


def test_cancel_a_hold_over_http(app, login_as, queue, holds_of):
    item, first, second = queue
    hold = holds_of(item)[0]
    # Another member is not told the hold exists, and nothing changes.
    assert login_as(second).post(f"/holds/{hold.id}/cancel").status_code == 404
    assert holds_of(item)[0].status == "waiting"
    response = login_as(first).post(f"/holds/{hold.id}/cancel")
    assert response.status_code == 302
    assert holds_of(item)[0].status == "cancelled"


def test_place_a_hold_over_http(app, login_as, create_item, insert_loan, borrower,
                                create_borrower, holds_of):
    item = create_item(code="H-1")
    insert_loan(item, borrower)
    member = create_borrower(name="Hugo Hold")
    client = login_as(member)
    response = client.post("/items/H-1/hold", follow_redirects=True)
    assert "You are number 1 in the queue" in response.get_data(as_text=True)
    again = client.post("/items/H-1/hold", follow_redirects=True)
    assert "You are in this item&#39;s queue already." in again.get_data(as_text=True)
    assert [(h.member_id, h.status) for h in holds_of(item)] == [(member.id, "waiting")]


def test_holds_need_an_active_membership(hold_on, create_member, create_item, db_state):
    lapsed = create_member(locale="en")
    item = create_item()
    before = db_state()
    with pytest.raises(DomainError) as error:
        hold_on(lapsed, item)
    assert error.value.message == "Holds are for members with an active membership."
    assert db_state() == before


def test_damaged_return_puts_the_ready_hold_back_in_the_queue(app, run, queue, desk,
                                                              check_in_as, holds_of, item_row):
    from fablab.loans.models import ItemCondition
    from fablab.loans.services import record_return
    from tests.support.db_helpers import save

    with app.app_context():
        broken = save(ItemCondition(name="Cassé", position=1))
    item, first, second = queue
    loan, hold = check_in_as(desk, item)
    assert hold.member_id == first.id
    run(lambda staff, loan: record_return(staff, loan, broken.id, True, "Objectif rayé"),
        staff=desk, loan=loan)
    assert item_row(item).status == "maintenance"
    assert [h.status for h in holds_of(item)] == ["waiting", "waiting"]


# --- renewals ---------------------------------------------------------------------------------


@pytest.fixture
def renew_as(run):
    from fablab.loans.services import renew

    def again(member, loan, by=None):
        return run(lambda member, loan, by: renew(member, loan, by=by), member=member, loan=loan,
                   by=by)

    return again


def test_a_member_renews_their_loan(insert_loan, renew_as, loans_of, borrower, create_item):
    item = create_item(loan_days=14, max_renewals=1)
    insert_loan(item, borrower, due_on=local_day(3), notices_sent=1)
    assert renew_as(borrower, loans_of(item)[0]) == local_day(17)
    [loan] = loans_of(item)
    assert loan.due_on == local_day(17) and loan.renewals == 1 and loan.notices_sent == 0


def test_renewal_limit(insert_loan, renew_as, loans_of, db_state, borrower, create_item):
    item = create_item(max_renewals=1)
    insert_loan(item, borrower, due_on=local_day(3), renewals=1)
    before = db_state()
    with pytest.raises(DomainError) as error:
        renew_as(borrower, loans_of(item)[0])
    assert error.value.message == "This loan cannot be renewed any more."
    assert db_state() == before and loans_of(item)[0].due_on == local_day(3)


def test_no_renewal_when_someone_waits(insert_loan, renew_as, loans_of, hold_on, borrower,
                                       create_borrower, create_item):
    item = create_item(max_renewals=3)
    insert_loan(item, borrower, due_on=local_day(3))
    hold_on(create_borrower(), item)
    with pytest.raises(DomainError) as error:
        renew_as(borrower, loans_of(item)[0])
    assert error.value.message == "Another member is waiting for this item."
    assert loans_of(item)[0].due_on == local_day(3)


def test_no_renewal_of_an_overdue_item(insert_loan, renew_as, loans_of, borrower, create_item):
    item = create_item(max_renewals=3)
    insert_loan(item, borrower, due_on=local_day(-1))
    with pytest.raises(DomainError) as error:
        renew_as(borrower, loans_of(item)[0])
    assert error.value.message == "This item is overdue: please bring it back to the desk."
    assert loans_of(item)[0].due_on == local_day(-1)


def test_renew_over_http_only_ones_own_loan(login_as, insert_loan, loans_of, borrower,
                                           create_borrower, create_item):
    item = create_item(loan_days=7)
    insert_loan(item, borrower, due_on=local_day(2))
    loan = loans_of(item)[0]
    assert login_as(create_borrower()).post(f"/loans/{loan.id}/renew").status_code == 404
    assert loans_of(item)[0].due_on == local_day(2)
    response = login_as(borrower).post(f"/loans/{loan.id}/renew", follow_redirects=True)
    assert response.status_code == 200
    assert loans_of(item)[0].due_on == local_day(9)


# --- overdue notices ---------------------------------------------------------------------------


def test_each_notice_is_sent_once_on_its_day(run, insert_loan, borrower, create_item, outbox):
    from fablab.loans.services import send_overdue_notices

    due = local_day(10)
    insert_loan(create_item(name="Scie sabre"), borrower, due_on=due)
    counts = []
    for offset in (-3, -1, -1, 0, 1, 1, 2, 6, 7, 7, 8):
        counts.append((offset, run(lambda: send_overdue_notices(today=due + timedelta(
            days=offset)))))
    assert counts == [(-3, 0), (-1, 1), (-1, 0), (0, 0), (1, 1), (1, 0), (2, 0), (6, 0),
                      (7, 1), (7, 0), (8, 0)]
    notices = [m for m in outbox() if m.kind.startswith("loan.notice")]
    assert [m.kind for m in notices] == ["loan.notice1", "loan.notice2", "loan.notice3"]
    assert all("Scie sabre" in m.subject + m.body for m in notices)


def test_no_notice_for_a_returned_loan(run, insert_loan, borrower, create_item, outbox):
    from fablab.core.timeutil import utcnow
    from fablab.loans.services import send_overdue_notices

    due = local_day(-1)
    insert_loan(create_item(), borrower, due_on=due, returned_at=utcnow())
    for offset in (-1, 1, 7):
        assert run(lambda: send_overdue_notices(today=due + timedelta(days=offset))) == 0
    assert [m for m in outbox() if m.kind.startswith("loan.notice")] == []


def test_a_renewal_starts_the_notices_again(run, insert_loan, loans_of, borrower, create_item,
                                            outbox):
    from fablab.loans.services import renew, send_overdue_notices

    item = create_item(loan_days=14, max_renewals=1)
    insert_loan(item, borrower, due_on=local_day(1))
    assert run(lambda: send_overdue_notices(today=local_day(0))) == 1
    run(lambda member, loan: renew(member, loan), member=borrower, loan=loans_of(item)[0])
    assert run(lambda: send_overdue_notices(today=local_day(1))) == 0
    assert run(lambda: send_overdue_notices(today=local_day(14))) == 1


# --- staff acting on a member's loan or hold is audited -----------------------------------------


def _audit_actions(app):
    from sqlalchemy import select

    from fablab.core.models import AuditLog
    from fablab.extensions import db as _db

    with app.app_context():
        return _db.session.execute(
            select(AuditLog.action, AuditLog.actor_id).order_by(AuditLog.id)).all()


def test_staff_renewing_a_members_loan_is_audited(app, insert_loan, renew_as, loans_of, borrower,
                                                  desk, create_item):
    item = create_item(loan_days=7, max_renewals=2)
    insert_loan(item, borrower, due_on=local_day(2))
    renew_as(borrower, loans_of(item)[0])
    assert [a for a, _ in _audit_actions(app)] == []
    renew_as(borrower, loans_of(item)[0], by=desk)
    assert _audit_actions(app) == [("loan.renew", desk.id)]


def test_staff_cancelling_a_members_hold_is_audited(app, run, queue, holds_of, desk):
    from fablab.loans.services import cancel_hold

    item, first, second = queue
    run(lambda member, hold: cancel_hold(member, hold), member=first, hold=holds_of(item)[0])
    assert _audit_actions(app) == []
    run(lambda member, hold: cancel_hold(member, hold), member=desk, hold=holds_of(item)[1])
    assert _audit_actions(app) == [("hold.cancel", desk.id)]
