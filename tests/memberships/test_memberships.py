from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from fablab.core.models import AuditLog
from fablab.core.timeutil import local_today
from fablab.memberships.models import Membership, Tariff
from fablab.memberships.services import is_active_member, send_expiry_reminders


def record(client, member, chosen_tariff, **overrides):
    today = local_today()
    data = {"tariff": str(chosen_tariff.id), "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=364)).isoformat(), "amount": "30.00",
            "payment_method": "card", "note": ""}
    data.update(overrides)
    return client.post(f"/members/{member.id}/memberships/new", data=data)


def test_staff_record_a_membership_and_the_member_is_active(staff_client, staff, member,
                                                            create_tariff, app, db, outbox):
    tariff = create_tariff(code="standard", name="Standard")
    with app.app_context():
        assert not is_active_member(member)
    assert record(staff_client, member, tariff).status_code == 302
    membership = db.session.scalar(select(Membership))
    assert (membership.amount_cents, membership.payment_method, membership.recorded_by_id) == (
        3000, "card", staff.id)
    with app.app_context():
        assert is_active_member(member)
    assert db.session.scalar(select(AuditLog.action)) == "membership.create"
    assert [m.recipient for m in outbox("membership.recorded")] == ["marie@example.org"]


def test_the_member_sees_their_membership(member_client, member, create_membership):
    create_membership(member)
    page = member_client.get("/account").get_data(as_text=True)
    assert "text-bg-success" in page


def test_a_membership_that_ended_yesterday_is_not_active(app, member, create_membership):
    today = local_today()
    create_membership(member, starts_on=today - timedelta(days=365),
                      ends_on=today - timedelta(days=1))
    with app.app_context():
        assert not is_active_member(member)
        assert is_active_member(member, today - timedelta(days=1))


@pytest.mark.parametrize("overrides", [
    {"ends_on": (local_today() - timedelta(days=1)).isoformat()},  # before the start
    {"amount": "-5"},
    {"amount": "abc"},
    {"payment_method": "bitcoin"},
    {"payment_method": "free"},  # free with an amount
    {"amount": "0"},  # no payment but not "free"
    {"starts_on": "2026-02-30"},
    {"tariff": "999999"},
    {"ends_on": (local_today() + timedelta(days=3 * 365)).isoformat()},
])
def test_bad_input_is_refused_and_changes_nothing(staff_client, member, create_tariff, db,
                                                  overrides):
    tariff = create_tariff()
    response = record(staff_client, member, tariff, **overrides)
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Membership.id))) == 0


def test_free_membership(staff_client, member, create_tariff, db):
    tariff = create_tariff(price_cents=0)
    assert record(staff_client, member, tariff, amount="0", payment_method="free").status_code == 302


def test_overlapping_memberships_are_refused(staff_client, member, create_tariff,
                                             create_membership, db):
    tariff = create_tariff()
    create_membership(member, tariff=tariff)
    response = record(staff_client, member, tariff)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(Membership.id))) == 1


def test_renewal_form_starts_the_day_after_the_current_membership(staff_client, member,
                                                                  create_membership):
    current = create_membership(member)
    page = staff_client.get(f"/members/{member.id}/memberships/new").get_data(as_text=True)
    assert (current.ends_on + timedelta(days=1)).isoformat() in page


def test_the_database_refuses_an_inverted_period(app, member, create_tariff):
    from sqlalchemy.exc import IntegrityError

    from fablab.extensions import db

    tariff = create_tariff()
    today = local_today()
    with app.app_context():
        db.session.add(Membership(member_id=member.id, tariff_id=tariff.id, starts_on=today,
                                  ends_on=today - timedelta(days=1), amount_cents=0,
                                  payment_method="free"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_expiry_reminders_are_sent_once_and_not_to_renewed_members(app, create_member,
                                                                   create_membership, outbox):
    today = local_today()
    leaving = create_member(email="leaving@example.org")
    renewed = create_member(email="renewed@example.org")
    create_membership(leaving, starts_on=today - timedelta(days=350),
                      ends_on=today + timedelta(days=10))
    create_membership(renewed, starts_on=today - timedelta(days=350),
                      ends_on=today + timedelta(days=10))
    create_membership(renewed, starts_on=today + timedelta(days=11),
                      ends_on=today + timedelta(days=375))
    with app.app_context():
        from fablab.extensions import db

        assert send_expiry_reminders() == 1
        db.session.commit()
        assert send_expiry_reminders() == 0
        db.session.commit()
    assert [m.recipient for m in outbox("membership.reminder")] == ["leaving@example.org"]


def test_remind_command(runner, member, create_membership):
    today = local_today()
    create_membership(member, starts_on=today - timedelta(days=350),
                      ends_on=today + timedelta(days=5))
    result = runner.invoke(args=["memberships", "remind"])
    assert "1 reminder" in result.output


@pytest.mark.frozen("2027-01-01 00:30")  # still 31 December in UTC
def test_remind_command_just_after_midnight_counts_in_the_labs_days(runner, create_member,
                                                                    create_membership, outbox):
    ended = create_member(email="ended@example.org")
    leaving = create_member(email="leaving@example.org")
    create_membership(ended, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    create_membership(leaving, starts_on=date(2026, 2, 1), ends_on=date(2027, 1, 31))
    result = runner.invoke(args=["memberships", "remind"])
    assert result.exit_code == 0 and "1 reminder" in result.output
    # ended yesterday in Paris: too late; ends in 30 days: the last day of the window
    assert [m.recipient for m in outbox("membership.reminder")] == ["leaving@example.org"]


def test_admin_edits_tariffs(admin_client, db):
    response = admin_client.post("/admin/tariffs/new", data={
        "code": "solidarity", "name": "Solidaire", "price": "10", "description": "RSA",
        "position": "1", "active": "y"})
    assert response.status_code == 302
    tariff = db.session.scalar(select(Tariff))
    assert (tariff.code, tariff.price_cents) == ("solidarity", 1000)
    # A second tariff with the same code, or a negative price, is refused.
    assert admin_client.post("/admin/tariffs/new", data={
        "code": "solidarity", "name": "Autre", "price": "5"}).status_code == 200
    assert admin_client.post(f"/admin/tariffs/{tariff.id}/edit", data={
        "code": "solidarity", "name": "Solidaire", "price": "-1"}).status_code == 200
    assert db.session.scalar(select(func.count(Tariff.id))) == 1
    db.session.expire_all()
    assert db.session.get(Tariff, tariff.id).price_cents == 1000


def test_seeded_tariff_names_follow_the_language(admin_client, create_tariff):
    create_tariff(code="solidarity", name="Solidaire")
    assert "Solidaire" in admin_client.get("/admin/tariffs").get_data(as_text=True)
    admin_client.post("/language", data={"lang": "en"})
    assert "Solidarity" in admin_client.get("/admin/tariffs").get_data(as_text=True)
