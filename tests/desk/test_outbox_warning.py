"""The desk warns when e-mails failed or wait too long (SMTP down, no worker), so that
staff know members may not get their confirmations; admins get a link to the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from tests.support.db_helpers import save

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)  # a Saturday morning


@pytest.fixture
def add_message(app):
    from fablab.core.models import OutboxMessage

    def add(status: str, age: timedelta):
        tried = status != "pending"
        with app.app_context():
            save(OutboxMessage(recipient="nina@example.org", subject="Reçu", body="…",
                               kind="loan.receipt", status=status, attempts=int(tried),
                               first_attempt_at=NOW - age if tried else None,
                               created_at=NOW - age, next_attempt_at=NOW + timedelta(hours=1)))

    return add


def desk_page(client) -> str:
    with freeze_time(NOW):
        response = client.get("/desk")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("status", "age"), [
    (None, None), ("sent", timedelta(days=3)), ("pending", timedelta(minutes=29)),
])
def test_no_warning_while_mail_flows(desk_client, site, add_message, status, age):
    if status:
        add_message(status, age)
    assert 'id="desk-outbox"' not in desk_page(desk_client)


def test_staff_are_told_that_emails_failed(desk_client, site, add_message):
    add_message("failed", timedelta(days=4))
    add_message("failed", timedelta(days=5))
    page = desk_page(desk_client)
    assert "2 e-mail(s) could not be sent." in page
    assert "tell an administrator" in page and "/admin/outbox" not in page


def test_staff_are_told_that_emails_wait_too_long(desk_client, site, add_message):
    add_message("pending", timedelta(minutes=31))
    page = desk_page(desk_client)
    assert "1 e-mail(s) have been waiting for more than 30 minutes" in page


def test_admins_get_a_link_to_the_outbox(admin_client, site, add_message):
    add_message("failed", timedelta(days=4))
    page = desk_page(admin_client)
    assert 'href="/admin/outbox?status=failed"' in page
    assert "n’ont pas pu être envoyé(s)" in page  # French for a French admin


def test_the_warning_shows_before_any_site_exists(desk_client, add_message):
    add_message("failed", timedelta(days=4))
    assert "1 e-mail(s) could not be sent." in desk_page(desk_client)
