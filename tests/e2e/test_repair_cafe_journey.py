"""The repair café, in a real browser on a 360 px wide phone: staff log an object,
correct it (a year in the future is refused next to its field, then the right year
and the object's own weight are saved), and the public page's impact counts the
weighed object and offers the Open Repair Data Standard export.

Elements are found by id, role or URL; the app's sentences come from the catalogue
(``translate``).
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, time

import pytest

from tests.e2e import events_helpers as data
from tests.e2e.booking_helpers import no_sideways_scroll
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.e2e

NARROW = {"width": 360, "height": 740}


def test_staff_log_and_correct_an_object_on_a_narrow_phone(
        app, new_page, base_url, check_a11y, log_in, translate, create_site, create_member,
        unique_email):
    site = create_site(name=f"Atelier {uuid.uuid4().hex[:6]}")
    event = data.event(app, site.id, "Repair café", in_days=0, kind="repair_cafe",
                       start=time(0, 5), end=time(23, 55))
    staff_email = unique_email("repair-staff")
    create_member(name="Rémi Réparateur", email=staff_email, role="staff", password=PASSWORD)
    page = new_page(viewport=NARROW, is_mobile=True, has_touch=True)
    log_in(page, staff_email)

    page.goto(f"/events/{event.slug}/repairs")
    page.locator("#category_id").select_option(label="Grille-pain")
    page.locator("#brand").fill("Seb")
    page.locator("#problem").fill("Ne chauffe plus")
    with page.expect_navigation():
        page.get_by_role("button", name=translate("Log the object"), exact=True).click()
    assert page.locator(".alert-success").inner_text().strip() == translate("The object is logged.")
    check_a11y(page)
    no_sideways_scroll(page, 360)

    with page.expect_navigation():
        page.get_by_role("link", name=translate("Correct")).first.click()
    assert page.locator("#brand").input_value() == "Seb"
    check_a11y(page)
    no_sideways_scroll(page, 360)
    next_year = date.today().year + 1
    page.locator("#year_of_manufacture").fill(str(next_year))
    page.locator("#weight_kg").fill("1.5")
    save = translate("Save the correction")
    with page.expect_navigation():
        page.get_by_role("button", name=save, exact=True).click()
    error = page.locator("#year_of_manufacture-error")
    assert error.inner_text().strip() == translate(
        "The year of manufacture must be between %(first)d and %(last)d.", first=1900,
        last=date.today().year)
    assert page.locator("#year_of_manufacture").get_attribute("aria-invalid") == "true"
    check_a11y(page)
    no_sideways_scroll(page, 360)

    page.locator("#year_of_manufacture").fill("2012")
    with page.expect_navigation():
        page.get_by_role("button", name=save, exact=True).click()
    assert page.locator(".alert-success").inner_text().strip() == translate(
        "The correction is saved.")
    assert translate("made in %(year)d", year=2012) in page.locator("main table").inner_text()

    page.goto("/repair-cafe")
    check_a11y(page)
    no_sideways_scroll(page, 360)
    link = page.get_by_role("link", name=translate(
        "Download every object (CSV, Open Repair Data Standard 0.3)"))
    response = page.request.get(base_url + link.get_attribute("href"))
    rows = list(csv.DictReader(io.StringIO(response.text())))
    (ours,) = [row for row in rows if row["partner_product_category"] == "Grille-pain"
               and row["brand"] == "Seb" and row["year_of_manufacture"] == "2012"]
    assert (ours["product_category"], ours["product_category_id"], ours["repair_status"]) == (
        "Toaster", "31", "Fixed")
    assert "Rémi" not in response.text()
