"""The agenda in a real browser: a visitor opens the agenda from the menu,
filters it to children's workshops, copies the subscription address (which
follows the filters); the week and month grids; a member downloads an event's
.ics ("Add to my calendar") and gets the private address of their own feed.
Every agenda page passes axe (no serious or critical violation)."""

from __future__ import annotations

import uuid
from datetime import time

import icalendar
import pytest
from playwright.sync_api import expect

from tests.e2e import booking_helpers
from tests.e2e import events_helpers as data
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def agenda_world(app, create_site, create_member, unique_email):
    """Next week: a children's workshop, an adults' workshop and an open slot."""
    site = create_site(name=f"Fablab {uuid.uuid4().hex[:6]}")
    tag = uuid.uuid4().hex[:6]
    today = booking_helpers.local_today()
    in_days = 7 - today.weekday() + 2  # next week's Wednesday
    kids = data.event(app, site.id, f"Robots pour enfants {tag}", in_days=in_days,
                      audience="children", min_age=7, max_age=12)
    adults = data.event(app, site.id, f"Soudure pour adultes {tag}", in_days=in_days,
                        audience="adults", start=time(18), end=time(20))
    booking_helpers.open_slot(app, site.id, kids.day, time(9), time(12))
    email = unique_email("agenda")
    create_member(name="Inès Calendrier", email=email, password=PASSWORD)
    return {"site": site, "kids": kids, "adults": adults, "email": email}


def test_visitor_filters_to_childrens_workshops_and_copies_the_feed(
        new_page, base_url, check_a11y, translate, agenda_world):
    kids, adults = agenda_world["kids"], agenda_world["adults"]
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.goto("/")
    page.get_by_role("navigation", name=translate("Main menu")).get_by_role(
        "link", name=translate("Agenda"), exact=True).click()
    page.wait_for_url(f"{base_url}/agenda")
    check_a11y(page)

    with page.expect_navigation():
        page.get_by_role("link", name=translate("Next week")).click()
    main = page.locator("main")
    assert main.get_by_role("link", name=kids.title).is_visible()
    assert main.get_by_role("link", name=adults.title).is_visible()

    page.get_by_label(translate("Audience")).select_option("children")
    with page.expect_navigation():
        page.get_by_role("button", name=translate("Filter"), exact=True).click()
    assert "audience=children" in page.url
    assert main.get_by_role("link", name=kids.title).is_visible()
    assert main.get_by_role("link", name=adults.title).count() == 0
    assert main.get_by_role("link", name=translate("Open lab"), exact=True).count() == 0
    check_a11y(page)

    address = page.get_by_label(translate("Address"))
    assert address.input_value() == f"{base_url}/agenda.ics?audience=children"
    page.get_by_role("button", name=translate("Copy the address")).click()
    expect(page.get_by_role("status")).to_have_text(translate("Address copied."))
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{base_url}/agenda.ics?audience=children"
    webcal = page.get_by_role("link", name=translate("Open in my calendar application"))
    assert webcal.get_attribute("href") == "webcal://" + copied.split("://", 1)[1]

    # What the calendar application will read: the children's workshop only.
    feed = page.request.get(copied)
    assert feed.ok and feed.headers["content-type"] == "text/calendar; charset=utf-8"
    summaries = [str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(feed.body()).walk(
        "VEVENT")]
    assert kids.title in summaries and adults.title not in summaries

    with page.expect_navigation():
        page.get_by_role("link", name=translate("Week"), exact=True).click()
    assert page.get_by_role("table").get_by_role("link", name=kids.title).is_visible()
    check_a11y(page)
    with page.expect_navigation():
        page.get_by_role("link", name=translate("Month"), exact=True).click()
    if page.get_by_role("link", name=kids.title).count() == 0:  # the workshop is next month
        with page.expect_navigation():
            page.get_by_role("link", name=translate("Next month")).click()
    assert page.get_by_role("table").get_by_role("link", name=kids.title).is_visible()
    assert "audience=children" in page.url
    check_a11y(page)


def test_member_downloads_an_events_ics_and_gets_their_feed(
        new_page, base_url, check_a11y, translate, log_in, agenda_world):
    kids = agenda_world["kids"]
    page = new_page()
    log_in(page, agenda_world["email"])
    page.goto(f"/events/{kids.slug}")
    with page.expect_download() as info:
        page.get_by_role("link", name=translate("Add to my calendar")).click()
    download = info.value
    assert download.suggested_filename == f"{kids.slug}.ics"
    calendar = icalendar.Calendar.from_ical(open(download.path(), "rb").read())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"event-{kids.id}@127.0.0.1"
    assert str(event["SUMMARY"]) == kids.title
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event["DTSTART"].dt.strftime("%H:%M") == "14:00"
    assert event.decoded("DTSTART").date() == kids.day

    page.goto("/account")
    with page.expect_navigation():
        page.get_by_role("button", name=translate("Create my calendar address")).click()
    address = page.get_by_label(translate("Address"))
    url = address.input_value()
    assert url.startswith(f"{base_url}/calendar/") and url.endswith(".ics")
    check_a11y(page)
    assert page.request.get(url).ok
    with page.expect_navigation():
        page.get_by_role("button", name=translate("Make a new address")).click()
    assert page.get_by_label(translate("Address")).input_value() != url
    assert page.request.get(url).status == 404
