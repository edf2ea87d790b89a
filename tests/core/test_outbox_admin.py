"""The admin outbox page: recent messages, filters by state, a message's text (in
development only), "send again" for a failed one; and the menu entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fablab.core.models import AuditLog, OutboxMessage
from fablab.core.timeutil import utcnow

RESET_LINK = "http://localhost/reset/" + "x" * 120


@pytest.fixture
def add_message(app):
    from fablab.extensions import db

    def add(status="pending", recipient="nina@example.org", subject="Choisissez un mot de passe",
            error="", **fields):
        tried = status != "pending" or fields.get("attempts")
        with app.app_context():
            message = OutboxMessage(
                recipient=recipient, subject=subject, kind="account.reset",
                body=f"Bonjour Nina,\n\n{RESET_LINK}\n", status=status, last_error=error,
                attempts=fields.pop("attempts", 1 if tried else 0),
                first_attempt_at=utcnow() if tried else None,
                sent_at=utcnow() if status == "sent" else None, **fields)
            db.session.add(message)
            db.session.commit()
            return message.id

    return add


def read(app, message_id):
    from fablab.extensions import db

    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        db.session.expunge(message)
        return message


def audit(app):
    from fablab.extensions import db

    with app.app_context():
        return [(a.action, a.object_id) for a in db.session.scalars(select(AuditLog))]


def test_the_list_shows_recent_messages_and_the_failed_count(admin_client, add_message):
    add_message("sent", recipient="sent@example.org", subject="Bienvenue")
    add_message("pending", recipient="waiting@example.org", subject="Rappel")
    for n in range(2):
        add_message("failed", recipient=f"failed{n}@example.org", subject="Reçu de prêt",
                    error="SMTPServerDisconnected: Connection unexpectedly closed", attempts=97)
    page = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "2 e-mail(s) ont échoué" in page
    for text in ("sent@example.org", "waiting@example.org", "failed1@example.org", "Bienvenue",
                 "SMTPServerDisconnected", "account.reset", "97", "Échoué (2)", "Envoyé (1)",
                 "En attente (1)"):
        assert text in page, text
    assert RESET_LINK not in page  # the list never shows a text


@pytest.mark.parametrize(("status", "shown", "hidden"), [
    ("failed", "failed@example.org", "sent@example.org"),
    ("sent", "sent@example.org", "failed@example.org"),
    ("pending", "waiting@example.org", "sent@example.org"),
    ("nonsense", "sent@example.org", None),  # an unknown state: every message
])
def test_filter_by_state(admin_client, add_message, status, shown, hidden):
    add_message("sent", recipient="sent@example.org")
    add_message("pending", recipient="waiting@example.org")
    add_message("failed", recipient="failed@example.org", error="boom")
    response = admin_client.get(f"/admin/outbox?status={status}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert shown in page
    assert hidden is None or hidden not in page


def test_the_list_is_paginated(admin_client, add_message):
    for n in range(51):
        add_message("sent", recipient=f"r{n:02d}@example.org")
    first = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "r50@example.org" in first and "r00@example.org" not in first
    second = admin_client.get("/admin/outbox?page=2").get_data(as_text=True)
    assert "r00@example.org" in second and "r50@example.org" not in second
    assert admin_client.get("/admin/outbox?page=abc").status_code == 200


def test_in_development_a_message_shows_its_text_with_its_links(admin_client, add_message):
    message_id = add_message("sent")
    page = admin_client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert f'<a href="{RESET_LINK}"' in page and "Bonjour Nina" in page


def test_in_production_a_message_shows_no_text(make_app, admin, add_message):
    message_id = add_message("failed", error="SMTPRecipientsRefused")
    production = make_app(MAIL_BACKEND="smtp")
    from tests.conftest import login

    client = production.test_client()
    login(client, admin)
    page = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert "nina@example.org" in page and "SMTPRecipientsRefused" in page
    assert "x" * 120 not in page and "Bonjour Nina" not in page
    assert "uniquement en développement" in page


def test_send_again_puts_a_failed_message_back_and_audits_it(app, admin_client, add_message):
    message_id = add_message("failed", error="SMTPServerDisconnected", attempts=97)
    page = admin_client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert "Renvoyer" in page
    response = admin_client.post(f"/admin/outbox/{message_id}/requeue", follow_redirects=True)
    assert "sera renvoyé" in response.get_data(as_text=True)
    message = read(app, message_id)
    assert (message.status, message.attempts, message.first_attempt_at) == ("pending", 0, None)
    assert message.next_attempt_at <= utcnow()
    assert audit(app) == [("outbox.requeue", message_id)]


@pytest.mark.parametrize("status", ["sent", "pending"])
def test_send_again_refuses_a_message_that_did_not_fail(app, admin_client, add_message, status):
    message_id = add_message(status)
    before = read(app, message_id)
    page = admin_client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert "Renvoyer" not in page
    response = admin_client.post(f"/admin/outbox/{message_id}/requeue", follow_redirects=True)
    assert response.status_code == 200
    assert "Seul un e-mail en échec peut être renvoyé." in response.get_data(as_text=True)
    after = read(app, message_id)
    assert (after.status, after.attempts) == (before.status, before.attempts)
    assert audit(app) == []


def test_unknown_message_is_a_404(admin_client):
    assert admin_client.get("/admin/outbox/999999").status_code == 404
    assert admin_client.post("/admin/outbox/999999/requeue").status_code == 404
    assert admin_client.get("/admin/outbox/99999999999999999999").status_code == 404


def test_staff_and_members_may_not_see_the_outbox(staff_client, member_client, add_message):
    message_id = add_message("failed")
    for client in (staff_client, member_client):
        assert client.get("/admin/outbox").status_code == 403
        assert client.get(f"/admin/outbox/{message_id}").status_code == 403
        assert client.post(f"/admin/outbox/{message_id}/requeue").status_code == 403


def test_the_admin_menu_links_to_the_outbox(admin_client, staff_client):
    assert 'href="/admin/outbox"' in admin_client.get("/").get_data(as_text=True)
    assert 'href="/admin/outbox"' not in staff_client.get("/").get_data(as_text=True)


def test_the_page_speaks_english_too(app, create_member, login_as, add_message):
    add_message("failed", error="boom")
    client = login_as(create_member(role="admin", locale="en"))
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "E-mail outbox" in page and "1 e-mail(s) failed." in page


def test_delayed_messages_are_shown(admin_client, add_message):
    add_message("pending", recipient="late@example.org",
                created_at=utcnow() - timedelta(minutes=45), attempts=5)
    page = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "1 e-mail(s) attendent depuis plus de 30 minutes" in page
