"""The lending library in a real browser: staff at the scan station type (as a
scanner would) a member card and two item codes, each followed by Enter, see both
loans, scan one item back; the member then sees the other one still on loan on
their account. Accessibility is checked on the scan station, the catalogue, an
item page and the member's loans.

Elements are found by id, class or by the data the test created; the app's
sentences are compared through ``translate`` (the catalogue), never typed out.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.support.db_helpers import save

pytestmark = pytest.mark.e2e


def create_item(app, site_id: int, name: str, **fields) -> str:
    """An available item with a unique code; returns the code."""
    from fablab.loans.models import Item

    code = f"E2E-{uuid.uuid4().hex[:6].upper()}"
    with app.app_context():
        save(Item(code=code, site_id=site_id, name=name, category="Outillage",
                  description="Prêtée avec sa mallette.", loan_days=14, **fields))
    return code


@pytest.fixture
def world(app, create_site, create_tariff, create_membership, create_member, unique_email):
    site = create_site(name=f"Atelier {uuid.uuid4().hex[:6]}")
    tariff = create_tariff(code=f"e2e-{uuid.uuid4().hex[:8]}", name="Tarif plein")
    member_email = unique_email("lina")
    member = create_member(name="Lina Prêt", email=member_email, password=PASSWORD)
    create_membership(member, tariff=tariff)
    staff_email = unique_email("desk")
    create_member(name="Sacha Accueil", email=staff_email, role="staff", password=PASSWORD)
    drill = create_item(app, site.id, f"Perceuse {uuid.uuid4().hex[:4]}", deposit_cents=2000)
    sander = create_item(app, site.id, f"Ponceuse {uuid.uuid4().hex[:4]}")
    return {"site": site, "member": member, "member_email": member_email,
            "staff_email": staff_email, "drill": drill, "sander": sander}


def scan(page, code: str, expect_text: str) -> None:
    """Type a code and Enter, as a USB scanner does; wait for the answer about it."""
    field = page.locator("#code")
    expect(field).to_be_focused()
    field.type(code)
    field.press("Enter")
    expect(page.locator(".scan-result")).to_contain_text(expect_text)


def test_lend_two_items_return_one_and_the_member_sees_the_other(
        new_page, world, log_in, check_a11y, translate, app, outbox):
    staff_page = new_page()
    log_in(staff_page, world["staff_email"])
    staff_page.goto("/desk/scan")
    expect(staff_page.locator("#code")).to_be_visible()
    check_a11y(staff_page)

    card = world["member"].card_code
    scan(staff_page, card, card)
    expect(staff_page.locator(".scan-result")).to_have_class(re.compile(r"\bscan-ok\b"))
    expect(staff_page.locator("#borrower-title")).to_contain_text("Lina Prêt")

    for code in (world["drill"], world["sander"]):
        scan(staff_page, code, code)
        expect(staff_page.locator(".scan-result")).to_have_class(re.compile(r"\bscan-ok\b"))
    session = staff_page.locator(".session-loans li")
    expect(session).to_have_count(2)
    expect(session.nth(0)).to_contain_text(world["drill"])
    expect(session.nth(1)).to_contain_text(world["sander"])
    check_a11y(staff_page)

    # The drill comes back: checked in, the deposit to give back, the return form.
    scan(staff_page, world["drill"], world["drill"])
    expect(staff_page.locator(".scan-result")).to_have_class(re.compile(r"\bscan-ok\b"))
    expect(staff_page.locator("#return-title")).to_contain_text(world["drill"])
    check_a11y(staff_page)

    # A bad scan: a clear error, and the input is ready for the next one.
    scan(staff_page, "OBJ-NOPE-404", "OBJ-NOPE-404")
    expect(staff_page.locator(".scan-result")).to_have_class(re.compile(r"\bscan-error\b"))
    expect(staff_page.locator("#code")).to_be_focused()
    expect(staff_page.locator("#code")).to_have_value("")

    # The member, on their phone.
    member_page = new_page(phone=True)
    log_in(member_page, world["member_email"])
    member_page.goto("/account/loans")
    current = member_page.locator("section[aria-labelledby='current-title'] .loan-row")
    expect(current).to_have_count(1)
    expect(current).to_contain_text(world["sander"])
    history = member_page.locator("section[aria-labelledby='past-title']")
    expect(history).to_contain_text(world["drill"])
    check_a11y(member_page)


def test_catalogue_and_item_page(new_page, world, check_a11y, app):
    page = new_page()
    page.goto(f"/items?q={world['drill']}")
    expect(page.get_by_role("link", name=re.compile("Perceuse")).first).to_be_visible()
    check_a11y(page)
    page.goto(f"/items/{world['drill']}")
    expect(page.locator("h1")).to_contain_text("Perceuse")
    check_a11y(page)
    phone = new_page(phone=True)
    phone.goto("/items")
    check_a11y(phone)
