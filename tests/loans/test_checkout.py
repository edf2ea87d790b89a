"""Check-out and check-in through the services: every refusal with its reason and
nothing written, the due date moved past a closure, the deposit taken and given
back, the history of the item."""

from __future__ import annotations

import pytest

from fablab.core.errors import DomainError
from tests.loans.conftest import local_day


@pytest.fixture
def desk(create_member):
    return create_member(name="Dana Desk", email="dana@example.org", role="staff", locale="en")


def refused(check_out_as, db_state, item_row, desk, member, item, organisation=None) -> str:
    """Check out, expect a refusal that writes nothing; the message."""
    before, status = db_state(), item_row(item).status
    with pytest.raises(DomainError) as error:
        check_out_as(desk, member, item, organisation)
    assert db_state() == before
    assert item_row(item).status == status
    return error.value.message


def test_check_out_opens_a_loan_due_after_the_loan_period(check_out_as, loans_of, item_row,
                                                          desk, borrower, create_item, db):
    from fablab.loans.models import ItemEvent

    item = create_item(loan_days=21)
    loan = check_out_as(desk, borrower, item)

    [row] = loans_of(item)
    assert row.id == loan.id and row.member_id == borrower.id and row.returned_at is None
    assert row.checked_out_by_id == desk.id
    assert row.due_on == local_day(21)
    assert item_row(item).status == "on_loan"
    kinds = db.session.scalars(db.select(ItemEvent.kind).where(ItemEvent.item_id == item.id)).all()
    assert "checked_out" in kinds


def test_no_active_membership(check_out_as, db_state, item_row, desk, create_member,
                              create_membership, create_item):
    lapsed = create_member(name="Lou Lapsed", locale="en")
    create_membership(lapsed, starts_on=local_day(-400), ends_on=local_day(-35))
    message = refused(check_out_as, db_state, item_row, desk, lapsed, create_item())
    assert message == "Lou Lapsed has no active membership."


def test_member_with_an_overdue_item(check_out_as, db_state, item_row, insert_loan, desk,
                                     borrower, create_item):
    late = create_item(code="LATE-1")
    insert_loan(late, borrower, due_on=local_day(-2))
    message = refused(check_out_as, db_state, item_row, desk, borrower, create_item())
    assert message == "Bea Borrower has an overdue item to bring back first: LATE-1."


def test_item_limit(app, check_out_as, db_state, item_row, insert_loan, desk, borrower,
                    create_item):
    app.config["LOAN_ITEM_LIMIT"] = 2
    for _ in range(2):
        insert_loan(create_item(), borrower)
    message = refused(check_out_as, db_state, item_row, desk, borrower, create_item())
    assert message == "Bea Borrower already borrows 2 items, the limit."


def test_item_limit_by_tariff(app, check_out_as, db_state, item_row, insert_loan, desk,
                              create_borrower, create_tariff, create_item):
    app.config["LOAN_ITEM_LIMIT"] = 5
    app.config["LOAN_LIMIT_BY_TARIFF"] = {"student": 1}
    student = create_borrower(name="Sam Student", tariff=create_tariff(code="student"))
    other = create_borrower(name="Olga Other")
    insert_loan(create_item(), student)
    insert_loan(create_item(), other)
    message = refused(check_out_as, db_state, item_row, desk, student, create_item())
    assert message == "Sam Student already borrows 1 items, the limit."
    check_out_as(desk, other, create_item())  # the standard limit: 5


def test_item_on_loan(check_out_as, db_state, item_row, insert_loan, desk, borrower,
                      create_borrower, create_item):
    item = create_item(code="BUSY-1")
    insert_loan(item, create_borrower())
    message = refused(check_out_as, db_state, item_row, desk, borrower, item)
    assert message == "BUSY-1 is already on loan."


def test_item_held_for_someone_else(check_out_as, db_state, item_row, insert_hold, desk,
                                    borrower, create_borrower, create_item, db):
    from fablab.loans.models import Item

    item = create_item(code="HELD-1", status="held")
    insert_hold(item, create_borrower(), status="ready", expires_on=local_day(2))
    message = refused(check_out_as, db_state, item_row, desk, borrower, item)
    assert message.startswith("HELD-1 is kept for another member until ")
    assert db.session.get(Item, item.id).status == "held"


def test_the_member_who_holds_it_may_borrow_it(check_out_as, insert_hold, holds_of, item_row,
                                               desk, borrower, create_item):
    item = create_item(status="held")
    insert_hold(item, borrower, status="ready", expires_on=local_day(2))
    check_out_as(desk, borrower, item)
    assert [h.status for h in holds_of(item)] == ["collected"]
    assert item_row(item).status == "on_loan"


@pytest.mark.parametrize(("status", "message"), [
    ("maintenance", "{code} is in maintenance."),
    ("retired", "{code} is retired: it cannot be lent."),
    ("missing", "{code} is missing: it cannot be lent."),
])
def test_item_not_available(check_out_as, db_state, item_row, desk, borrower, create_item,
                            status, message):
    item = create_item(status=status, status_reason="test")
    assert refused(check_out_as, db_state, item_row, desk, borrower, item) == \
        message.format(code=item.code)


def test_required_training_missing(app, check_out_as, db_state, item_row, desk, borrower,
                                   create_item):
    from fablab.extensions import db as _db
    from fablab.machines.models import Training, TrainingGrant
    from tests.support.db_helpers import save

    with app.app_context():
        training = save(Training(name="Scie sauteuse", description=""))
    item = create_item(training_id=training.id)
    message = refused(check_out_as, db_state, item_row, desk, borrower, item)
    assert message == "Bea Borrower needs the training “Scie sauteuse” to borrow this item."
    with app.app_context():
        _db.session.add(TrainingGrant(member_id=borrower.id, training_id=training.id))
        _db.session.commit()
    check_out_as(desk, borrower, item)
    assert item_row(item).status == "on_loan"


def test_organisations_only(check_out_as, db_state, item_row, desk, borrower,
                            create_organisation, create_item, loans_of):
    item = create_item(code="ORG-1", lendable_to="organisations")
    message = refused(check_out_as, db_state, item_row, desk, borrower, item)
    assert message == "ORG-1 is lent to organisations only."
    club = create_organisation(members=[borrower])
    check_out_as(desk, borrower, item, club)
    [loan] = loans_of(item)
    assert loan.organisation_id == club.id and loan.member_id == borrower.id


def test_members_only(check_out_as, db_state, item_row, desk, borrower, create_organisation,
                      create_item):
    item = create_item(code="MEM-1", lendable_to="members")
    club = create_organisation(members=[borrower])
    message = refused(check_out_as, db_state, item_row, desk, borrower, item, club)
    assert message == "MEM-1 is lent to members only."


def test_organisation_the_member_does_not_belong_to(check_out_as, db_state, item_row, desk,
                                                    borrower, create_organisation, create_item):
    other = create_organisation(name="Club des Autres")
    message = refused(check_out_as, db_state, item_row, desk, borrower, create_item(), other)
    assert message == "Bea Borrower does not belong to Club des Autres."


def test_due_date_moves_past_a_closure(app, check_out_as, desk, borrower, create_item, site,
                                       create_site):
    from fablab.core.models import Closure
    from tests.support.db_helpers import save

    other_site = create_site()
    with app.app_context():
        # Closed from the due day for a week, and the day after reopening too.
        save(Closure(site_id=site.id, first_day=local_day(14), last_day=local_day(20),
                     reason="Vacances"))
        save(Closure(site_id=site.id, first_day=local_day(21), last_day=local_day(21),
                     reason="Inventaire"))
        # Another site's closure changes nothing here.
        save(Closure(site_id=other_site.id, first_day=local_day(22), last_day=local_day(30),
                     reason="Ailleurs"))
    loan = check_out_as(desk, borrower, create_item(loan_days=14))
    assert loan.due_on == local_day(22)
    unaffected = check_out_as(desk, borrower, create_item(loan_days=10))
    assert unaffected.due_on == local_day(10)


def test_deposit_taken_at_check_out_and_given_back_at_check_in(run, check_out_as, loans_of,
                                                               desk, borrower, create_item):
    from fablab.loans.services import check_in

    item = create_item(deposit_cents=5000)
    check_out_as(desk, borrower, item)
    [loan] = loans_of(item)
    assert loan.deposit_cents == 5000 and loan.deposit_returned_at is None

    run(lambda staff, item: check_in(staff, item), staff=desk, item=item)
    [loan] = loans_of(item)
    assert loan.returned_at is not None and loan.checked_in_by_id == desk.id
    assert loan.deposit_cents == 5000 and loan.deposit_returned_at is not None


def test_check_in_of_an_item_not_on_loan_is_refused(run, db_state, desk, create_item):
    from fablab.loans.services import check_in

    item = create_item(code="FREE-1")
    before = db_state()
    with pytest.raises(DomainError) as error:
        run(lambda staff, item: check_in(staff, item), staff=desk, item=item)
    assert error.value.message == "FREE-1 is not on loan."
    assert db_state() == before


def test_the_database_refuses_a_second_open_loan(app, insert_loan, borrower, create_borrower,
                                                 create_item):
    from sqlalchemy.exc import IntegrityError

    item = create_item()
    insert_loan(item, borrower)
    with pytest.raises(IntegrityError):
        insert_loan(item, create_borrower())


def test_record_return_with_damage_sends_the_item_to_maintenance(app, run, check_out_as,
                                                                 item_row, loans_of, desk,
                                                                 borrower, create_item):
    from fablab.loans.models import ItemCondition
    from fablab.loans.services import check_in, record_return
    from tests.support.db_helpers import save

    with app.app_context():
        good = save(ItemCondition(name="Bon", position=1))
        damaged = save(ItemCondition(name="Abîmé", position=2))
    item = create_item(condition_id=good.id)
    check_out_as(desk, borrower, item)
    loan, _hold = run(lambda staff, item: check_in(staff, item), staff=desk, item=item)
    run(lambda staff, loan: record_return(staff, loan, damaged.id, True, "Mandrin fendu"),
        staff=desk, loan=loan)

    row = item_row(item)
    assert row.status == "maintenance"
    assert row.status_reason == "Mandrin fendu"
    assert row.condition_id == damaged.id
    [loan] = loans_of(item)
    assert loan.condition_in_id == damaged.id and loan.return_note == "Mandrin fendu"


def test_record_return_without_damage_keeps_it_available(app, run, check_out_as, item_row,
                                                         desk, borrower, create_item):
    from fablab.loans.models import ItemCondition
    from fablab.loans.services import check_in, record_return
    from tests.support.db_helpers import save

    with app.app_context():
        worn = save(ItemCondition(name="Usé", position=1))
    item = create_item()
    check_out_as(desk, borrower, item)
    loan, _hold = run(lambda staff, item: check_in(staff, item), staff=desk, item=item)
    run(lambda staff, loan: record_return(staff, loan, worn.id, False, ""), staff=desk, loan=loan)
    row = item_row(item)
    assert row.status == "available" and row.condition_id == worn.id


def test_gdpr_export_lists_the_loans(app, check_out_as, login_as, borrower, desk, create_item):
    item = create_item(code="GDPR-1", name="Ponceuse")
    loan = check_out_as(desk, borrower, item)
    response = login_as(borrower).get("/account/export")
    assert response.status_code == 200
    data = response.get_json(force=True)
    assert "loans" in data
    [exported] = data["loans"]
    assert exported["item"] == "GDPR-1" and exported["name"] == "Ponceuse"
    assert exported["due_on"] == loan.due_on.isoformat() and exported["returned_at"] is None


def test_catalogue_and_item_page_show_availability(app, client, insert_loan, borrower,
                                                   create_borrower, create_item):
    lent = create_item(code="CAT-1", name="Visseuse lente")
    create_item(code="CAT-2", name="Scie circulaire")
    create_item(code="CAT-3", name="Caméra retirée", status="retired", status_reason="cassée")
    late = create_item(code="CAT-4", name="Perceuse en retard")
    insert_loan(lent, borrower, due_on=local_day(5))
    insert_loan(late, create_borrower(), due_on=local_day(-3))
    page = client.get("/items", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Visseuse lente" in page and "Scie circulaire" in page
    assert page.count("On loan until") == 1 and page.count("On loan, late since") == 1
    assert "Caméra retirée" not in page
    assert "On loan until" in page and "Available" in page
    assert client.get("/items/CAT-3").status_code == 404
    item_page = client.get("/items/CAT-1", headers={"Accept-Language": "en"})
    assert item_page.status_code == 200
    assert "Bea Borrower" not in item_page.get_data(as_text=True)
