"""A member's first steps, in a real browser: sign up, confirm, log in, declare
a child, get a membership recorded at the desk; the language switch; a phone.

Elements are found by id, role, URL or by the data the test typed, never by a
translated sentence: the catalogues change while the interface stays."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def expect_html_lang(page, lang: str) -> None:
    assert page.locator("html").get_attribute("lang") == lang


def flash(page, category: str = "success"):
    return page.locator(f".flash-messages .alert-{category}")


def membership_card(page):
    return page.locator("section[aria-labelledby='membership-title']")


def test_member_signs_up_declares_a_child_and_gets_a_membership(
        page, new_page, base_url, check_a11y, last_email, email_link, log_in, translate,
        unique_email, create_member, create_tariff):
    name = "Camille Lefèvre"
    email = unique_email("camille")

    # 1. The home page, in French.
    page.goto("/")
    expect_html_lang(page, "fr")
    check_a11y(page)

    # 2. Sign up, confirm the address from the e-mail, log in.
    page.locator("main a[href='/register']").click()
    page.wait_for_url(f"{base_url}/register")
    check_a11y(page)
    page.locator("#name").fill(name)
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(f"{base_url}/login")
    assert flash(page).is_visible()
    check_a11y(page)

    message = last_email(email, "account.confirm")
    assert name in message.body
    page.goto(email_link(message))
    page.wait_for_url(f"{base_url}/login")
    assert flash(page).is_visible()
    check_a11y(page)

    log_in(page, email)
    expect_html_lang(page, "fr")
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.locator("main").get_by_text(name, exact=True).is_visible()
    card = membership_card(page)
    assert card.locator(".badge").inner_text().strip() == translate("No active membership")
    check_a11y(page)

    # 3. Declare a child; it is listed on the account page.
    children = page.locator("#children")
    children.locator("#first_name").fill("Léon")
    children.locator("#birth_year").fill("2016")
    children.locator("form[action$='/account/children'] [type=submit]").click()
    page.wait_for_url(re.compile(re.escape(f"{base_url}/account") + r"(#children)?$"))
    assert flash(page).is_visible()
    child = children.locator(".list-group-item").filter(has_text="Léon")
    assert child.count() == 1
    assert "2016" in child.inner_text()
    check_a11y(page)

    # 4. At the desk, the staff find the member and record a membership.
    staff_email = unique_email("staff")
    create_member(name="Sacha Accueil", email=staff_email, role="staff", password=PASSWORD)
    tariff = create_tariff(code=f"e2e-{uuid.uuid4().hex[:8]}", name="Tarif découverte",
                           price_cents=2000)

    desk = new_page()
    log_in(desk, staff_email)
    desk.goto("/members")
    check_a11y(desk)
    desk.get_by_role("searchbox").fill("lefèvre")
    desk.get_by_role("searchbox").press("Enter")
    desk.wait_for_url(re.compile(r"/members\?q="))
    desk.get_by_role("link", name=name, exact=True).click()
    desk.wait_for_url(re.compile(r"/members/\d+$"))
    assert desk.get_by_role("heading", level=1).inner_text().strip() == name
    check_a11y(desk)

    membership_card(desk).locator("a[href$='/memberships/new']").click()
    desk.wait_for_url(re.compile(r"/members/\d+/memberships/new$"))
    check_a11y(desk)
    desk.locator("#tariff").select_option(str(tariff.id))
    desk.locator("#amount").fill("20")
    desk.locator("#payment_method").select_option("card")
    desk.locator("main form [type=submit]").click()
    desk.wait_for_url(re.compile(r"/members/\d+$"))
    assert flash(desk).is_visible()
    assert "Tarif découverte" in membership_card(desk).inner_text()
    check_a11y(desk)

    # The member reloads their account: the membership is active, with its tariff.
    page.reload()
    card = membership_card(page)
    badge = card.locator(".badge")
    assert badge.inner_text().strip() == translate("Active member")
    assert "text-bg-success" in badge.get_attribute("class")
    assert "Tarif découverte" in card.inner_text()
    check_a11y(page)


def test_language_follows_the_browser_and_the_switch(new_page, base_url, check_a11y):
    # An English browser gets English.
    english = new_page(locale="en-US")
    english.goto("/")
    expect_html_lang(english, "en")
    check_a11y(english)

    # A French browser gets French, and the switch moves it to English for good.
    page = new_page()
    page.goto("/")
    expect_html_lang(page, "fr")
    switch = page.locator("form.lang-switch button[name=lang][value=en]")
    assert switch.get_attribute("lang") == "en"
    switch.click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.url.rstrip("/") == base_url
    check_a11y(page)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("lang") == "en"

    page.goto("/login")
    expect_html_lang(page, "en")
    page.goto("/")
    expect_html_lang(page, "en")

    # And back to French.
    page.locator("form.lang-switch button[name=lang][value=fr]").click()
    page.wait_for_function("document.documentElement.lang === 'fr'")


def test_phone_home_and_account(new_page, base_url, check_a11y, log_in, unique_email,
                                create_member):
    email = unique_email("phone")
    create_member(name="Noé Mobile", email=email, password=PASSWORD)
    page = new_page(phone=True)

    page.goto("/")
    expect_html_lang(page, "fr")
    check_a11y(page)

    # The menu is folded behind the toggler; the keyboard opens it.
    toggler = page.locator(".navbar-toggler")
    menu = page.locator("#nav-main")
    assert toggler.is_visible()
    assert not menu.is_visible()
    assert toggler.get_attribute("aria-expanded") == "false"
    toggler.focus()
    page.keyboard.press("Enter")
    menu.locator("a[href='/login']").wait_for(state="visible")
    assert toggler.get_attribute("aria-expanded") == "true"
    check_a11y(page)

    log_in(page, email)
    assert page.locator("main").get_by_text("Noé Mobile", exact=True).is_visible()
    check_a11y(page)
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
