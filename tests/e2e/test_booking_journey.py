"""Booking a machine, in a real browser: the training a machine needs, the
staff granting it, booking a free time from the week view, cancelling it; the
staff's day, slots, series, closures, incidents and machine pages; a phone;
English.

Elements are found by id, role, URL or by the data the test typed; the app's
sentences are compared through ``translate`` (the catalogue), never typed out.
Set ``E2E_SCREENSHOTS=/some/dir`` to keep screenshots of the machine page and
of the day view.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e import booking_helpers as data
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.e2e

TRAINING = "Impression 3D"
TRAINING_NEEDED_HINT = ("You need the training “%(training)s” to book this machine. Ask the "
                        "staff for a training session.")
TRAINING_NEEDED_REFUSAL = ("You need the training “%(training)s” to book %(name)s. Ask the "
                           "staff for a training session.")
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")


def flash(page, category: str = "success"):
    return page.locator(f".flash-messages .alert-{category}")


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)


def booking_section(page):
    return page.locator("section#book")


def upcoming(page):
    return page.locator("section[aria-labelledby='upcoming-title']")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def world(app, create_site, create_tariff, create_membership, create_member, unique_email):
    """A site, a tariff, the training, a machine needing it, an open slot the
    day after tomorrow 14:00–18:00 (Paris), a member with a membership, a staff."""
    site = create_site(name=f"Atelier {uuid.uuid4().hex[:6]}")
    tariff = create_tariff(code=f"e2e-{uuid.uuid4().hex[:8]}", name="Tarif plein",
                           price_cents=3000)
    training_id = data.training(app, TRAINING)
    machine = data.machine(app, site.id, f"Prusa MK4 {uuid.uuid4().hex[:4]}",
                           training_id=training_id)
    day = data.local_today() + timedelta(days=2)
    config = app.config
    assert 2 <= config["BOOKING_MAX_DAYS_AHEAD"]
    # 14:00 the day after tomorrow is at least 38 hours away: cancellable.
    assert config["BOOKING_CANCEL_DEADLINE_HOURS"] < 38
    slot = data.open_slot(app, site.id, day, time(14), time(18))
    member_email = unique_email("lea")
    member = create_member(name="Léa Fabre", email=member_email, password=PASSWORD)
    create_membership(member, tariff=tariff)
    staff_email = unique_email("staff")
    staff = create_member(name="Sacha Atelier", email=staff_email, role="staff",
                          password=PASSWORD)
    return {"site": site, "tariff": tariff, "training_id": training_id, "machine": machine,
            "day": day, "slot": slot, "member": member, "member_email": member_email,
            "staff": staff, "staff_email": staff_email}


def test_member_gets_trained_books_and_cancels_and_staff_run_the_day(
        app, page, new_page, base_url, check_a11y, log_in, last_email, translate,
        unique_email, create_member, create_membership, world):
    machine, day, member = world["machine"], world["day"], world["member"]
    member_email = world["member_email"]
    day_iso = day.isoformat()
    machine_url = f"{base_url}/machines/{machine.slug}"

    # 2. The member finds the machine; a training is needed, and booking anyway is refused.
    log_in(page, member_email)
    page.goto("/machines")
    check_a11y(page)
    page.get_by_role("link", name=machine.name, exact=True).click()
    page.wait_for_url(machine_url)
    assert page.get_by_role("heading", level=1).inner_text().strip() == machine.name
    warning = booking_section(page).locator(".alert-warning")
    assert warning.inner_text().strip() == translate(TRAINING_NEEDED_HINT, training=TRAINING)
    check_a11y(page)
    screenshot(page, "machine-untrained.png")

    form = booking_section(page)
    form.locator("#day").fill(day_iso)
    form.locator("#start").fill("14:00")
    form.locator("#end").fill("15:00")
    form.locator("form [type=submit]").click()
    page.wait_for_url(re.compile(re.escape(machine_url) + r"\?"))
    refusal = flash(page, "danger")
    assert refusal.get_attribute("role") == "alert"
    assert refusal.inner_text().strip() == translate(
        TRAINING_NEEDED_REFUSAL, training=TRAINING, name=machine.name)
    assert data.bookings_of(app, member.id) == []
    check_a11y(page)

    # 3. The staff grant the training by the member's e-mail address.
    desk = new_page()
    log_in(desk, world["staff_email"])
    desk.goto(f"/trainings/{world['training_id']}")
    assert desk.get_by_role("heading", level=1).inner_text().strip() == TRAINING
    check_a11y(desk)
    desk.locator("#member").fill(member_email.upper())  # as typed at the desk
    desk.locator("main form[action$='/grants'] [type=submit]").click()
    desk.wait_for_url(f"{base_url}/trainings/{world['training_id']}")
    assert flash(desk).inner_text().strip() == translate(
        "%(name)s is trained for %(training)s.", name=member.name, training=TRAINING)
    assert desk.locator("main table").get_by_role("link", name=member.name,
                                                   exact=True).is_visible()
    assert data.has_standing_grant(app, member.id, world["training_id"])
    check_a11y(desk)

    # 4. The member reloads: no warning; a free time fills in the form; booked.
    page.reload()
    assert booking_section(page).locator(".alert-warning").count() == 0
    free = page.locator(f".week-grid a[href*='day={day_iso}']")
    assert free.count() == 1
    assert "14:00" in free.inner_text() and "18:00" in free.inner_text()
    free.click()
    page.wait_for_url(re.compile(r"start="))
    params = query(page.url)
    assert (params["day"], params["start"], params["end"]) == (day_iso, "14:00", "18:00")
    form = booking_section(page)
    assert form.locator("#day").input_value() == day_iso
    assert form.locator("#start").input_value() == "14:00"
    assert form.locator("#end").input_value() == "18:00"
    check_a11y(page)
    form.locator("#end").fill("15:00")
    form.locator("form [type=submit]").click()
    page.wait_for_url(f"{base_url}/account/bookings")
    assert flash(page).is_visible()
    row = upcoming(page).locator("tbody tr").filter(
        has=page.get_by_role("link", name=machine.name, exact=True))
    assert row.count() == 1
    assert translate("Confirmed") in row.inner_text()
    check_a11y(page)
    [booked] = data.bookings_of(app, member.id)
    assert booked["status"] == "confirmed"
    assert booked["ends_at"] - booked["starts_at"] == timedelta(hours=1)
    confirmation = last_email(member_email, "booking.confirmed")
    assert machine.name in confirmation.body

    # The week view now shows the hour as booked, and the rest of the slot free.
    page.goto(f"/machines/{machine.slug}")
    day_runs = page.locator(".week-day").filter(has=page.locator(
        f"a[href*='day={day_iso}']"))
    assert day_runs.locator(".run-booked").count() == 1
    assert "14:00" in day_runs.locator(".run-booked").inner_text()
    screenshot(page, "machine-booked.png")

    # 5. From the account page, the member cancels it; the status says so and an
    # e-mail is queued.
    page.goto("/account")
    check_a11y(page)
    page.locator("main a[href='/account/bookings']").click()
    page.wait_for_url(f"{base_url}/account/bookings")
    row = upcoming(page).locator("tbody tr").filter(
        has=page.get_by_role("link", name=machine.name, exact=True))
    with page.expect_navigation():
        row.locator("form[action$='/cancel'] [type=submit]").click()
    assert page.url == f"{base_url}/account/bookings"
    assert flash(page).inner_text().strip() == translate("The booking is cancelled.")
    row = upcoming(page).locator("tbody tr").filter(
        has=page.get_by_role("link", name=machine.name, exact=True))
    assert translate("Cancelled") in row.inner_text()
    assert row.locator("form[action$='/cancel']").count() == 0
    check_a11y(page)
    assert [b["status"] for b in data.bookings_of(app, member.id)] == ["cancelled"]
    cancelled = last_email(member_email, "booking.cancelled")
    assert machine.name in cancelled.body

    # 6. The staff's day: the slot, with the cancelled booking and nothing to check in.
    desk.goto(f"/bookings/day?site={world['site'].id}&date={day_iso}")
    slot_card = desk.locator(f"section[aria-labelledby='slot-{world['slot'].id}']")
    assert slot_card.get_by_role("heading", level=2).inner_text().strip().startswith(
        "14:00–18:00")
    cancelled_row = slot_card.locator("tbody tr").filter(
        has=desk.get_by_role("link", name=member.name, exact=True))
    assert translate("Cancelled") in cancelled_row.inner_text()
    assert cancelled_row.get_by_role("button").count() == 0
    check_a11y(desk)
    screenshot(desk, "day-view.png")

    # Today, during a slot going on now, another member arrives and is checked in.
    other = create_member(name="Inès Marchand", email=unique_email("ines"), password=PASSWORD)
    create_membership(other, tariff=world["tariff"])
    slot_id, starts_at, _ends_at = data.slot_now(app, world["site"].id)
    data.booking(app, machine, other.id, slot_id, starts_at, starts_at + timedelta(hours=2))
    desk.goto(f"/bookings/day?site={world['site'].id}")
    slot_card = desk.locator(f"section[aria-labelledby='slot-{slot_id}']")
    arrived = slot_card.get_by_role(
        "button", name=f"{translate('Arrived')} {other.name}", exact=True)
    check_a11y(desk)
    arrived.click()
    desk.wait_for_url(re.compile(r"/bookings/day\?"))
    assert flash(desk).inner_text().strip() == translate("%(name)s has arrived.", name=other.name)
    assert arrived.count() == 0
    assert data.bookings_of(app, other.id)[0]["checked_in"]
    check_a11y(desk)

    # The slots, and a weekly series made through the form.
    desk.goto("/slots")
    assert desk.locator(f"main a[href*='date={day_iso}']").count() >= 1
    check_a11y(desk)
    desk.locator("main a[href$='/slots/series/new']").click()
    desk.wait_for_url(f"{base_url}/slots/series/new")
    check_a11y(desk)
    screenshot(desk, "series-form.png")
    first_day = data.local_today() + timedelta(days=21)
    last_day = first_day + timedelta(days=27)
    weekday = first_day.isoweekday()
    weekday_name = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                    "Sunday"][weekday - 1]
    if desk.locator("select#site_id").count():  # several sites: choose ours
        desk.locator("select#site_id").select_option(str(world["site"].id))
    desk.get_by_role("checkbox", name=translate(weekday_name), exact=True).check()
    desk.locator("#start_time").fill("18:00")
    desk.locator("#end_time").fill("21:00")
    desk.locator("#first_day").fill(first_day.isoformat())
    desk.locator("#last_day").fill(last_day.isoformat())
    desk.locator("#capacity").fill("8")
    desk.locator("main form [type=submit]").click()
    desk.wait_for_url(f"{base_url}/slots")
    expected = data.count_weekdays(first_day, last_day, weekday)
    assert expected == 4
    # The count is what matters (the sentence is singular or plural, per the catalogue).
    assert re.search(rf"\b{expected}\b", flash(desk).inner_text())
    assert len(data.series_slots(app, world["site"].id, first_day, last_day)) == expected
    check_a11y(desk)
    screenshot(desk, "slots.png")

    for path in ("/closures/new", "/machines/new", "/trainings", f"/machines/{machine.slug}"):
        desk.goto(path)
        assert desk.get_by_role("heading", level=1).is_visible()
        check_a11y(desk)

    # The member reports a problem with the machine; the staff resolve it.
    page.goto(f"/machines/{machine.slug}")
    problem = f"La buse bouche au bout de dix minutes ({uuid.uuid4().hex[:6]})."
    page.locator("main details summary").click()
    page.locator("#incident-description").fill(problem)
    page.locator("main form[action$='/incidents'] [type=submit]").click()
    page.wait_for_url(machine_url)
    assert flash(page).inner_text().strip() == translate(
        "Thank you: the staff will look at the problem.")
    check_a11y(page)
    desk.goto("/incidents")
    incident = desk.locator("main tbody tr").filter(has_text=problem)
    assert incident.get_by_role("link", name=machine.name, exact=True).is_visible()
    check_a11y(desk)
    incident.get_by_role("textbox").fill("Buse changée.")
    incident.get_by_role("button", name=f"{translate('Resolved')} {machine.name}",
                         exact=True).click()
    desk.wait_for_url(f"{base_url}/incidents")
    assert flash(desk).inner_text().strip() == translate("The incident is resolved.")
    assert desk.locator("main tbody tr").filter(has_text=problem).count() == 0
    check_a11y(desk)

    # 7. On a phone: the machine page and the bookings, without sideways scrolling.
    phone = new_page(phone=True)
    log_in(phone, member_email)
    phone.goto(f"/machines/{machine.slug}")
    assert booking_section(phone).locator("#day").is_visible()
    check_a11y(phone)
    data.no_sideways_scroll(phone)
    screenshot(phone, "machine-phone.png")
    phone.goto("/account/bookings")
    assert upcoming(phone).get_by_role("link", name=machine.name, exact=True).is_visible()
    check_a11y(phone)
    data.no_sideways_scroll(phone)


def test_machine_page_in_english(app, new_page, base_url, check_a11y, log_in, translate,
                                 unique_email, create_site, create_member, create_membership):
    site = create_site(name=f"Workshop {uuid.uuid4().hex[:6]}")
    training_id = data.training(app, TRAINING)
    machine = data.machine(app, site.id, f"Ultimaker {uuid.uuid4().hex[:4]}",
                           training_id=training_id)
    data.open_slot(app, site.id, data.local_today() + timedelta(days=3), time(10), time(12))
    email = unique_email("sam")
    member = create_member(name="Sam Taylor", email=email, password=PASSWORD, locale="en")
    create_membership(member)

    page = new_page(locale="en-US")
    page.goto(f"/machines/{machine.slug}")
    assert page.locator("html").get_attribute("lang") == "en"
    # Anonymous: invited to log in, in English.
    login_link = booking_section(page).locator("a[href^='/login']")
    assert login_link.inner_text().strip() == translate("Log in to book", "en")
    assert login_link.inner_text().strip() != translate("Log in to book", "fr")
    check_a11y(page)

    log_in(page, email)
    page.goto(f"/machines/{machine.slug}")
    assert page.locator("html").get_attribute("lang") == "en"
    section = booking_section(page)
    assert section.locator(".alert-warning").inner_text().strip() == translate(
        TRAINING_NEEDED_HINT, "en", training=TRAINING)
    assert section.locator("label[for=day]").inner_text().strip() == translate("Day", "en")
    assert section.locator("label[for=day]").inner_text().strip() != translate("Day", "fr")
    assert page.locator("#week-title").inner_text().startswith("Free times from")
    assert page.locator(".week-grid a").first.inner_text().strip().endswith(
        translate("free", "en"))
    check_a11y(page)


def test_a_long_free_time_prefills_a_booking_the_machine_allows(
        app, page, base_url, check_a11y, log_in, translate, unique_email, create_site,
        create_member, create_membership):
    """A free run longer than the longest booking (9 hours here, 4 at most) fills
    in the longest booking allowed, which the member can book as it is."""
    site = create_site(name=f"Atelier long {uuid.uuid4().hex[:6]}")
    machine = data.machine(app, site.id, f"Découpe laser {uuid.uuid4().hex[:4]}",
                           category="Découpe laser", max_duration_minutes=240)
    day = data.local_today() + timedelta(days=4)
    data.open_slot(app, site.id, day, time(9), time(18))
    email = unique_email("jules")
    member = create_member(name="Jules Perrin", email=email, password=PASSWORD)
    create_membership(member)

    log_in(page, email)
    page.goto(f"/machines/{machine.slug}")
    free = page.locator(f".week-grid a[href*='day={day.isoformat()}']")
    assert free.count() == 1
    assert "09:00–18:00" in free.inner_text()
    free.click()
    page.wait_for_url(re.compile(r"start="))
    form = booking_section(page)
    assert form.locator("#start").input_value() == "09:00"
    assert form.locator("#end").input_value() == "13:00"
    check_a11y(page)
    form.locator("form [type=submit]").click()
    page.wait_for_url(f"{base_url}/account/bookings")
    [booked] = data.bookings_of(app, member.id)
    assert booked["status"] == "confirmed"
    assert booked["ends_at"] - booked["starts_at"] == timedelta(hours=4)


def test_a_day_with_two_slots_shows_two_free_times(
        app, page, log_in, unique_email, create_site, create_member, create_membership):
    site = create_site(name=f"Atelier midi {uuid.uuid4().hex[:6]}")
    machine = data.machine(app, site.id, f"Brodeuse {uuid.uuid4().hex[:4]}",
                           category="Textile")
    day = data.local_today() + timedelta(days=5)
    data.open_slot(app, site.id, day, time(10), time(12))
    data.open_slot(app, site.id, day, time(14), time(18))
    email = unique_email("nina")
    member = create_member(name="Nina Roux", email=email, password=PASSWORD)
    create_membership(member)

    log_in(page, email)
    page.goto(f"/machines/{machine.slug}")
    free = page.locator(f".week-grid a[href*='day={day.isoformat()}']")
    assert [text.split("·")[0].strip() for text in free.all_inner_texts()] == [
        "10:00–12:00", "14:00–18:00"]
