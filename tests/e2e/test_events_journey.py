"""Workshops and events, in a real browser: a parent finds a children's workshop
through the filters and registers a child (a child too old is refused), another
parent's child goes on the waiting list and gets the seat when the first one
cancels; the staff create and publish an event, mark who came to a training
session (which grants the training), and cancel an event, which tells everyone
registered; a phone; English.

Elements are found by id, role, label, URL or by the data the test made; the
app's sentences are compared through ``translate`` (the catalogue), never typed
out. Set ``E2E_SCREENSHOTS=/some/dir`` to keep screenshots.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import timedelta

import pytest

from tests.e2e import booking_helpers
from tests.e2e import events_helpers as data
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.e2e

SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")
WAITING = ("The event is full: %(name)s is on the waiting list and will be told by e-mail if a "
           "seat frees up.")
TOO_OLD = "%(name)s is %(age)d: this event is for ages %(min)s to %(max)s."


def flash(page, category: str = "success"):
    return page.locator(f".flash-messages .alert-{category}")


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)


def event_link(page, title: str):
    """The link of an event in the list: the one holding a heading with its title."""
    return page.locator("main .list-group a").filter(
        has=page.get_by_role("heading", name=title, exact=True))


def register_section(page):
    return page.locator("section#register")


def register(page, translate, *participants: str) -> None:
    """Tick the participants (their labels) in the registration form and send it."""
    section = register_section(page)
    for label in participants:
        section.get_by_role("checkbox", name=label, exact=True).check()
    with page.expect_navigation():
        section.get_by_role("button", name=translate("Register"), exact=True).click()


@pytest.fixture
def world(app, create_site, create_tariff, create_membership, create_member, unique_email):
    """A site; a staff; a parent with a membership and two children (9 and 15 on
    the day of the workshop); another parent with a child of 10; a published
    children's workshop (7 to 12 years, one seat) in 5 days; a published training
    session for adults (3 seats) in 6 days that grants a training."""
    site = create_site(name=f"Atelier {uuid.uuid4().hex[:6]}")
    tariff = create_tariff(code=f"e2e-{uuid.uuid4().hex[:8]}", name="Tarif famille")
    tag = uuid.uuid4().hex[:6]

    kids = data.event(app, site.id, f"Robots en carton {tag}", in_days=5, capacity=1,
                      kind="workshop", audience="children", min_age=7, max_age=12)
    training_id = booking_helpers.training(app, f"Découpeuse vinyle {tag}")
    session = data.event(app, site.id, f"Prise en main de la découpeuse {tag}", in_days=6,
                         capacity=3, kind="training", audience="adults",
                         training_ids=[training_id])

    parent_email = unique_email("camille")
    parent = create_member(name="Camille Durand", email=parent_email, password=PASSWORD)
    create_membership(parent, tariff=tariff)
    young = "Léo"
    older = "Margot"
    young_id = data.child(app, parent.id, young, kids.day, 9)
    older_id = data.child(app, parent.id, older, kids.day, 15)

    other_email = unique_email("yanis")
    other = create_member(name="Yanis Benali", email=other_email, password=PASSWORD)
    create_membership(other, tariff=tariff)
    other_child = "Nour"
    other_child_id = data.child(app, other.id, other_child, kids.day, 10)

    staff_email = unique_email("staff")
    create_member(name="Sacha Atelier", email=staff_email, role="staff", password=PASSWORD)
    return {"site": site, "kids": kids, "session": session, "training_id": training_id,
            "parent": parent, "parent_email": parent_email, "young": young,
            "young_id": young_id, "older": older, "older_id": older_id,
            "other": other, "other_email": other_email, "other_child": other_child,
            "other_child_id": other_child_id, "staff_email": staff_email}


def test_families_register_wait_and_get_a_seat_and_staff_run_the_events(
        app, page, new_page, base_url, check_a11y, log_in, last_email, translate, world):
    kids, session = world["kids"], world["session"]
    parent, other = world["parent"], world["other"]
    young, older, other_child = world["young"], world["older"], world["other_child"]
    kids_url = f"{base_url}/events/{kids.slug}"

    # 1. The parent finds the workshop from the menu, filtered for children.
    log_in(page, world["parent_email"])
    page.get_by_role("navigation", name=translate("Main menu")).get_by_role(
        "link", name=translate("Workshops"), exact=True).click()
    page.wait_for_url(f"{base_url}/events")
    assert page.get_by_role("heading", level=1).inner_text().strip() == translate(
        "Workshops and events")
    assert event_link(page, session.title).count() == 1
    check_a11y(page)
    page.get_by_label(translate("Audience"), exact=True).select_option("children")
    page.get_by_role("button", name=translate("Filter"), exact=True).click()
    page.wait_for_url(re.compile(r"/events\?.*audience=children"))
    assert page.get_by_label(translate("Audience"), exact=True).input_value() == "children"
    assert event_link(page, session.title).count() == 0  # for adults
    link = event_link(page, kids.title)
    assert link.count() == 1
    assert translate("Children") in link.inner_text()
    check_a11y(page)
    screenshot(page, "events-children.png")

    # 2. The workshop: one seat; the 9-year-old gets it.
    link.click()
    page.wait_for_url(kids_url)
    assert page.get_by_role("heading", level=1).inner_text().strip() == kids.title
    check_a11y(page)
    register(page, translate, young)
    assert flash(page).inner_text().strip() == translate("%(name)s is registered.", name=young)
    assert data.live_statuses(app, kids.id) == {(parent.id, world["young_id"]): "confirmed"}
    assert young in register_section(page).inner_text()
    check_a11y(page)
    assert young in last_email(world["parent_email"], "event.confirmed").body

    # The 15-year-old is refused, with the ages the workshop is for.
    register(page, translate, older)
    refusal = flash(page, "danger")
    assert refusal.get_attribute("role") == "alert"
    assert refusal.inner_text().strip() == translate(TOO_OLD, name=older, age=15, min=7,
                                                     max=12)
    assert (parent.id, world["older_id"]) not in data.live_statuses(app, kids.id)
    check_a11y(page)
    screenshot(page, "event-registered.png")

    # 3. Another parent's child: the workshop is full, so the waiting list.
    other_page = new_page()
    log_in(other_page, world["other_email"])
    other_page.goto(f"/events/{kids.slug}")
    assert translate("Full: waiting list") in other_page.locator("main dl").inner_text()
    check_a11y(other_page)
    register(other_page, translate, other_child)
    waiting = flash(other_page, "info")
    assert waiting.inner_text().strip() == translate(WAITING, name=other_child)
    assert data.live_statuses(app, kids.id)[(other.id, world["other_child_id"])] == "waitlisted"
    assert translate("Waiting list") in register_section(other_page).inner_text()
    check_a11y(other_page)

    # 4. The first parent cancels from their registrations: the seat goes to the
    # child waiting, whose parent gets an e-mail.
    page.goto("/account")
    page.locator("main a[href='/account/registrations']").click()
    page.wait_for_url(f"{base_url}/account/registrations")
    row = page.locator("main tbody tr").filter(
        has=page.get_by_role("link", name=kids.title, exact=True))
    assert row.count() == 1 and young in row.inner_text()
    assert translate("Confirmed") in row.inner_text()
    check_a11y(page)
    with page.expect_navigation():
        row.get_by_role("button", name=f"{translate('Cancel')} {young} {kids.title}",
                        exact=True).click()
    assert page.url == f"{base_url}/account/registrations"
    assert flash(page).inner_text().strip() == translate(
        "The registration of %(name)s is cancelled.", name=young)
    row = page.locator("main tbody tr").filter(
        has=page.get_by_role("link", name=kids.title, exact=True))
    assert translate("Cancelled") in row.inner_text()
    assert row.get_by_role("button").count() == 0
    check_a11y(page)
    assert data.live_statuses(app, kids.id) == {(other.id, world["other_child_id"]): "confirmed"}
    promoted = last_email(world["other_email"], "event.promoted")
    assert other_child in promoted.body and kids.title in promoted.subject
    assert f"{base_url}/events/{kids.slug}" in promoted.body

    # The other parent now sees the seat.
    other_page.reload()
    assert translate("Confirmed") in register_section(other_page).inner_text()
    check_a11y(other_page)

    # 5. The staff create an event through the form and publish it; members then see it.
    desk = new_page()
    log_in(desk, world["staff_email"])
    desk.goto("/events")
    check_a11y(desk)
    desk.get_by_role("link", name=translate("New event"), exact=True).click()
    desk.wait_for_url(f"{base_url}/events/new")
    assert desk.get_by_role("heading", level=1).inner_text().strip() == translate("New event")
    check_a11y(desk)
    title = f"Initiation à la soudure {uuid.uuid4().hex[:6]}"
    day = (booking_helpers.local_today() + timedelta(days=7)).isoformat()
    desk.get_by_label(translate("Title"), exact=True).fill(title)
    desk.get_by_label(translate("Kind"), exact=True).select_option("workshop")
    desk.get_by_label(translate("Audience"), exact=True).select_option("teens")
    desk.get_by_label(translate("Youngest age"), exact=True).fill("12")
    desk.get_by_label(translate("Oldest age"), exact=True).fill("17")
    site_select = desk.get_by_label(translate("Site"), exact=True)
    if site_select.count():
        site_select.select_option(str(world["site"].id))
    desk.locator("#starts_at").fill(f"{day}T14:00")
    desk.locator("#ends_at").fill(f"{day}T17:30")
    desk.get_by_label(translate("Seats"), exact=True).fill("8")
    screenshot(desk, "event-form.png")
    desk.locator("main form [type=submit]").click()
    desk.wait_for_url(re.compile(re.escape(base_url) + r"/events/[\w-]+$"))
    assert flash(desk).inner_text().strip() == translate("The event is saved.")
    assert desk.get_by_role("heading", level=1).inner_text().strip() == title
    assert translate("Draft") in desk.locator("main").inner_text()
    created = data.event_by_title(app, title)
    assert created and created["status"] == "draft"
    assert (created["kind"], created["audience"], created["capacity"]) == ("workshop", "teens", 8)
    assert created["ends_at"] - created["starts_at"] == timedelta(hours=3, minutes=30)
    assert desk.url == f"{base_url}/events/{created['slug']}"
    check_a11y(desk)

    page.goto("/events")  # the parent: a draft is not listed
    assert event_link(page, title).count() == 0
    desk.get_by_role("button", name=translate("Publish"), exact=True).click()
    desk.wait_for_url(f"{base_url}/events/{created['slug']}")
    assert flash(desk).inner_text().strip() == translate("The event is published.")
    assert desk.get_by_role("button", name=translate("Publish"), exact=True).count() == 0
    assert data.event_by_title(app, title)["status"] == "published"
    check_a11y(desk)
    page.reload()
    assert event_link(page, title).count() == 1
    check_a11y(page)

    # 6. The training session: the parent registers; the staff mark them present,
    # which grants the training.
    page.goto(f"/events/{session.slug}")
    assert session.title in page.get_by_role("heading", level=1).inner_text()
    check_a11y(page)
    register(page, translate, translate("Me (%(name)s)", name=parent.name))
    assert flash(page).inner_text().strip() == translate("%(name)s is registered.",
                                                         name=parent.name)
    assert not data.has_valid_grant(app, parent.id, world["training_id"])

    # The day of the session: the staff take the attendance while it goes on.
    data.start_now(app, session.id)
    desk.goto(f"/events/{session.slug}")
    desk.get_by_role("link", name=translate("Registrations"), exact=True).click()
    desk.wait_for_url(f"{base_url}/events/{session.slug}/registrations")
    row = desk.locator("main tbody tr").filter(has_text=parent.name)
    assert row.count() == 1
    check_a11y(desk)
    row.get_by_role("button", name=f"{translate('Present')} {parent.name}", exact=True).click()
    desk.wait_for_url(f"{base_url}/events/{session.slug}/registrations")
    row = desk.locator("main tbody tr").filter(has_text=parent.name)
    assert translate("present") in row.inner_text()
    assert row.get_by_role("button", name=f"{translate('Mark as absent')} {parent.name}",
                           exact=True).is_visible()
    check_a11y(desk)
    screenshot(desk, "registrations.png")
    assert data.registrations(app, session.id)[0]["attended"]
    assert data.has_valid_grant(app, parent.id, world["training_id"])

    # 7. The first parent registers the 9-year-old again (the waiting list now);
    # the staff cancel the workshop with a reason: both parents are told.
    page.goto(f"/events/{kids.slug}")
    register(page, translate, young)
    assert flash(page, "info").inner_text().strip() == translate(WAITING, name=young)
    desk.goto(f"/events/{kids.slug}")
    reason = "L'animatrice est malade."
    desk.locator("main details summary").click()
    cancel_form = desk.locator(f"main form[action='/events/{kids.slug}/cancel']")
    cancel_form.get_by_label(translate("Reason"), exact=True).fill(reason)
    check_a11y(desk)
    screenshot(desk, "event-cancel.png")
    with desk.expect_navigation():
        cancel_form.get_by_role("button", name=translate("Cancel the event"), exact=True).click()
    assert desk.url == kids_url
    assert re.search(r"\b2\b", flash(desk).inner_text())
    assert reason in desk.locator("main .alert-danger").inner_text()
    check_a11y(desk)
    assert data.live_statuses(app, kids.id) == {}
    assert data.event_by_title(app, kids.title)["status"] == "cancelled"
    for email, participant in ((world["parent_email"], young),
                               (world["other_email"], other_child)):
        message = last_email(email, "event.cancelled")
        assert participant in message.body and reason in message.body
    assert len(data.emails_to(app, world["parent_email"], "event.cancelled")) == 1

    # The parent sees the cancellation and can no longer register.
    page.goto(f"/events/{kids.slug}")
    assert page.locator("main .alert-danger").is_visible()
    assert register_section(page).get_by_role("checkbox").count() == 0
    check_a11y(page)

    # 8. On a phone: the list and an event with its registration form, without
    # sideways scrolling.
    phone = new_page(phone=True)
    log_in(phone, world["other_email"])
    phone.goto("/events")
    assert event_link(phone, title).is_visible()
    check_a11y(phone)
    booking_helpers.no_sideways_scroll(phone)
    screenshot(phone, "events-phone.png")
    phone.goto(f"/events/{created['slug']}")
    assert register_section(phone).get_by_role(
        "checkbox", name=other_child, exact=True).is_visible()
    check_a11y(phone)
    booking_helpers.no_sideways_scroll(phone)
    screenshot(phone, "event-phone.png")


def test_events_in_english(app, new_page, base_url, check_a11y, translate, create_site):
    site = create_site(name=f"Workshop {uuid.uuid4().hex[:6]}")
    event = data.event(app, site.id, f"Arduino for beginners {uuid.uuid4().hex[:6]}",
                       in_days=4, kind="workshop", audience="adults")

    page = new_page(locale="en-US")
    page.goto("/events")
    assert page.locator("html").get_attribute("lang") == "en"
    heading = page.get_by_role("heading", level=1).inner_text().strip()
    assert heading == translate("Workshops and events", "en")
    assert heading != translate("Workshops and events", "fr")
    assert page.get_by_label(translate("Audience", "en"), exact=True).is_visible()
    link = event_link(page, event.title)
    assert translate("Adults", "en") in link.inner_text()
    check_a11y(page)

    link.click()
    page.wait_for_url(f"{base_url}/events/{event.slug}")
    login = register_section(page).locator("a[href^='/login']")
    assert login.inner_text().strip() == translate("Log in to register", "en")
    check_a11y(page)
