"""The admin outbox in a real browser: an admin opens it from the menu, sees how many
e-mails failed, filters the failed ones, reads one (its text and link: the live server
uses the development "log" backend), sends it again; the staff desk warns about it; the
table scrolls inside its frame on a 360 px phone. axe-core checks every page.

Elements are found by id, role or the data the test wrote, not by translated text."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.support.db_helpers import save

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def world(app, create_member, unique_email):
    from fablab.core.models import OutboxMessage
    from fablab.core.timeutil import utcnow

    tag = uuid.uuid4().hex[:8]
    admin_email = unique_email("admin")
    staff_email = unique_email("accueil")
    create_member(name="Alix Admin", email=admin_email, role="admin", password=PASSWORD)
    create_member(name="Sacha Accueil", email=staff_email, role="staff", password=PASSWORD)
    link = f"http://127.0.0.1/reset/{tag}" + "x" * 120
    now = utcnow()
    with app.app_context():
        failed = save(OutboxMessage(
            recipient=f"nina-{tag}@example.org", subject=f"Mot de passe {tag}",
            body=f"Bonjour Nina,\n\n{link}\n", kind="account.reset", status="failed",
            attempts=97, first_attempt_at=now - timedelta(hours=97),
            last_error="SMTPServerDisconnected: Connection unexpectedly closed"))
        sent = save(OutboxMessage(
            recipient=f"paul-{tag}@example.org", subject=f"Bienvenue {tag}", body="Bonjour\n",
            kind="account.confirm", status="sent", attempts=1, first_attempt_at=now,
            sent_at=now))
    return {"admin": admin_email, "staff": staff_email, "failed": failed, "sent": sent,
            "link": link}


def no_page_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_admin_finds_a_failed_email_reads_it_and_sends_it_again(
        new_page, base_url, world, log_in, check_a11y, translate, app):
    page = new_page()
    log_in(page, world["admin"])
    page.get_by_role("button", name=translate("Staff")).click()
    page.get_by_role("link", name=translate("E-mail outbox")).click()
    page.wait_for_url(f"{base_url}/admin/outbox")
    expect(page.locator("#outbox-failed")).to_be_visible()
    expect(page.locator("#outbox-table")).to_contain_text(world["sent"].recipient)
    check_a11y(page)

    page.locator("#outbox-filters a[href$='status=failed']").click()
    page.wait_for_url(f"{base_url}/admin/outbox?status=failed")
    table = page.locator("#outbox-table")
    expect(table).to_contain_text(world["failed"].recipient)
    expect(table).not_to_contain_text(world["sent"].recipient)
    check_a11y(page)

    table.get_by_role("link", name=world["failed"].subject).click()
    page.wait_for_url(f"{base_url}/admin/outbox/{world['failed'].id}")
    expect(page.locator("#outbox-error")).to_contain_text("SMTPServerDisconnected")
    expect(page.locator(f"#outbox-body a[href='{world['link']}']")).to_be_visible()
    check_a11y(page)

    page.locator("#outbox-requeue").click()
    expect(page.locator(".flash-messages .alert-success")).to_be_visible()
    expect(page.locator("#outbox-state")).to_have_text(translate("Waiting"))
    expect(page.locator("#outbox-requeue")).to_have_count(0)
    check_a11y(page)
    from fablab.core.models import OutboxMessage
    from fablab.extensions import db

    with app.app_context():
        message = db.session.get(OutboxMessage, world["failed"].id)
        assert (message.status, message.attempts) == ("pending", 0)


def test_the_desk_warns_staff_about_failed_emails(new_page, world, log_in, check_a11y):
    page = new_page()
    log_in(page, world["staff"])
    page.goto("/desk")
    expect(page.locator("#desk-outbox")).to_be_visible()
    expect(page.locator("#desk-outbox a")).to_have_count(0)  # the outbox is for admins
    check_a11y(page)


def test_the_outbox_on_a_small_phone(new_page, world, log_in, check_a11y, translate):
    page = new_page(viewport=SMALL_PHONE, is_mobile=True, has_touch=True)
    log_in(page, world["admin"])
    page.goto("/admin/outbox")
    region = page.get_by_role("region", name=translate("E-mail outbox"))
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")  # the table scrolls
    assert no_page_overflow(page)  # the page itself does not
    check_a11y(page)

    page.goto(f"/admin/outbox/{world['failed'].id}")
    body = page.locator("#outbox-body")
    expect(body.locator(f"a[href='{world['link']}']")).to_be_visible()
    assert body.evaluate("el => el.scrollWidth <= el.clientWidth")  # the long link wraps
    assert no_page_overflow(page)
    check_a11y(page)
