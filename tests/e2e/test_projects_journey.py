"""Projects in a real browser: a member documents a project (two steps, an image,
an STL file, a BOM line) and publishes it; a visitor finds it by a word of a step,
downloads the STL file and the OKH manifest. Accessibility is checked on the
gallery, the project page, the edit page and the skills directory."""

from __future__ import annotations

import io
import tomllib
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.e2e

STL = (b"solid boitier\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n"
       b"   vertex 0 1 0\n  endloop\n endfacet\nendsolid boitier\n")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 140, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def test_document_publish_find_and_download(new_page, create_member, unique_email, log_in,
                                            check_a11y, tmp_path):
    word = "zorglub" + uuid.uuid4().hex[:6]  # a word only this project's step has
    title = f"Station météo {uuid.uuid4().hex[:4]}"
    email = unique_email("maker")
    create_member(name="Inès Laurent", email=email, password=PASSWORD)
    page = new_page()
    log_in(page, email)

    page.goto("/projects/new")
    page.locator("#title").fill(title)
    page.locator("#summary").fill("Température et pluie sur une page web.")
    page.locator("main form [type=submit]").click()
    expect(page.locator("h1")).to_contain_text(title)
    expect(page.locator("#project-status")).to_be_visible()

    for step_title, body in (("Souder les capteurs", "BME280 en I2C."),
                             ("Programmer la carte", f"Téléverser le croquis {word}.")):
        page.locator("#step-title").fill(step_title)
        page.locator("#step-body").fill(body)
        page.locator("#steps form [type=submit]").last.click()
        expect(page.locator(".edit-steps")).to_contain_text(step_title)
    expect(page.locator(".edit-steps li")).to_have_count(2)

    page.locator("#upload").set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": png()})
    page.locator("#files form[enctype] [type=submit]").click()
    expect(page.locator(".edit-files")).to_contain_text("photo.jpg")
    page.locator("#upload").set_input_files(
        {"name": "boitier.stl", "mimeType": "model/stl", "buffer": STL})
    page.locator("#files form[enctype] [type=submit]").click()
    expect(page.locator(".edit-files")).to_contain_text("boitier.stl")

    page.locator("#bom-name").fill("Capteur BME280")
    page.locator("#bom-quantity").fill("2")
    page.locator("#bom-unit").fill("pcs")
    page.locator("#bom form [type=submit]").click()
    expect(page.locator("#bom table")).to_contain_text("Capteur BME280")
    check_a11y(page)

    page.locator("form[action$='/publish'] button").click()
    expect(page.locator("h1")).to_contain_text(title)
    project_url = page.url

    # A visitor, with no account, searches a word of the second step.
    visitor = new_page()
    visitor.goto("/projects")
    check_a11y(visitor)
    visitor.locator("#q").fill(word)
    visitor.locator("#q").press("Enter")
    results = visitor.locator("#results .project-card")
    expect(results).to_have_count(1)
    expect(results).to_contain_text(title)
    results.get_by_role("link", name=title).click()
    assert visitor.url == project_url
    expect(visitor.locator(".project-step")).to_have_count(2)
    expect(visitor.locator("#bom")).to_be_visible()
    expect(visitor.locator("main")).not_to_contain_text("Inès Laurent")
    check_a11y(visitor)

    with visitor.expect_download() as download_info:
        visitor.get_by_role("link", name="boitier.stl").click()
    download = download_info.value
    assert download.suggested_filename == "boitier.stl"
    assert open(download.path(), "rb").read() == STL

    with visitor.expect_download() as download_info:
        visitor.locator("#okh-link").click()
    manifest = tomllib.loads(open(download_info.value.path(), encoding="utf-8").read())
    assert manifest["name"] == title and manifest["license"] == "CC-BY-SA-4.0"
    assert manifest["part"][0]["name"] == "boitier.stl"


def test_skills_directory_is_accessible(new_page, create_member, unique_email, log_in,
                                        check_a11y):
    email = unique_email("skills")
    create_member(name="Karim Benali", email=email, password=PASSWORD)
    page = new_page()
    log_in(page, email)
    page.goto("/account/skills")
    name = f"Karim {uuid.uuid4().hex[:4]}"
    page.locator("#profile-display_name").fill(name)
    page.locator("#profile-in_directory").check()
    page.locator("section[aria-labelledby='public-title'] form [type=submit]").click()
    page.locator("#skill-name").fill("Menuiserie")
    page.locator("#skill-level").select_option("expert")
    page.locator("section[aria-labelledby='skills-title'] form [type=submit]").click()
    expect(page.locator("#my-skills")).to_contain_text("menuiserie")
    check_a11y(page)
    visitor = new_page()
    visitor.goto("/skills?q=menuiserie")
    expect(visitor.locator("#skills-results")).to_contain_text(name)
    expect(visitor.locator("main")).not_to_contain_text("Benali")
    check_a11y(visitor)
