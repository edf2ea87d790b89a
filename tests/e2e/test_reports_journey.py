"""The desk and the activity report in a real browser: staff count a walk-in visitor
with the "+1 visitor" control, check a booked member in with one click, open the
report for the current month at their site, see both visits there, and download a
table as CSV (UTF-8 with a BOM, ";" between fields). axe-core checks /desk and
/reports.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.support.db_helpers import save

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(app, create_site, create_tariff, create_membership, create_member, unique_email):
    from fablab.booking.models import Booking, OpenSlot
    from fablab.core.timeutil import utcnow
    from fablab.machines.models import Resource

    tag = uuid.uuid4().hex[:6]
    site = create_site(name=f"Atelier {tag}")
    tariff = create_tariff(code=f"e2e-{tag}", name="Tarif plein")
    member = create_member(name=f"Nora Arrivée {tag}", email=unique_email("nora"))
    create_membership(member, tariff=tariff)
    staff_email = unique_email("accueil")
    create_member(name="Sacha Accueil", email=staff_email, role="staff", password=PASSWORD)
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        machine = save(Resource(site_id=site.id, kind="machine", name=f"Laser {tag}",
                                slug=f"laser-{tag}"))
        slot = save(OpenSlot(site_id=site.id, starts_at=now - timedelta(minutes=30),
                             ends_at=now + timedelta(hours=3)))
        booking = save(Booking(resource_id=machine.id, member_id=member.id, slot_id=slot.id,
                               starts_at=now - timedelta(minutes=15),
                               ends_at=now + timedelta(minutes=45), status="confirmed"))
    return {"site": site, "member": member, "staff_email": staff_email, "booking": booking}


def test_count_a_visitor_check_a_member_in_and_download_the_report(
        new_page, world, log_in, check_a11y):
    page = new_page(accept_downloads=True)
    log_in(page, world["staff_email"])
    site = world["site"]
    page.goto(f"/desk?site={site.id}")
    expect(page.locator("#visit-total")).to_have_text("0")
    check_a11y(page)

    # A walk-in visitor, with the optional anonymous details.
    page.locator("#reason").select_option("repair_cafe")
    page.locator("#age_group").select_option("60+")
    page.locator("#commune").fill("Vaulx-en-Velin")
    page.locator("form[action='/desk/visitors'] [type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#visit-total")).to_have_text("1")

    # The booked member arrives: one click.
    check_in = page.locator(f"form[action='/desk/bookings/{world['booking'].id}/check-in'] button")
    expect(check_in).to_contain_text(world["member"].name)
    check_in.click()
    expect(page.locator("#visit-total")).to_have_text("2")
    expect(page.locator("#slots-title ~ div .badge.text-bg-success")).to_be_visible()
    check_a11y(page)

    # The report for the current month at this site.
    page.goto(f"/reports?site={site.id}")
    page.locator("#report-periods a").first.click()  # "This month"
    expect(page.locator("#figure-visits")).to_have_text("2")
    expect(page.locator("#figure-people")).to_have_text("2")
    expect(page.locator("#chart-visits")).to_be_visible()
    expect(page.locator("#print-report")).to_be_visible()  # shown by reports.js
    check_a11y(page)

    with page.expect_download() as download_info:
        page.locator("#table-visits_by_reason caption a").click()
    download = download_info.value
    assert download.suggested_filename.startswith("visits_by_reason_")
    content = open(download.path(), "rb").read()
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].count(";") == 1
    assert sorted(lines[1:]) == sorted(["Accès libre;1", "Repair café;1"])
