"""QR codes (decoded with zxing-cpp, an independent decoder), the /q/ resolver
behind them, and who may see a member card's QR."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.desk.conftest import decode_qr, svg_to_png

BASE_URL = "http://localhost"  # tests/conftest.py's base_config


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


# --- the images decode to the exact URL --------------------------------------------------------


@pytest.fixture
def codes(create_item, machine, borrower):
    item = create_item(code="OBJ-0042")
    return {"item": item.code, "machine": machine.slug, "card": borrower.card_code}


@pytest.mark.parametrize("kind", ["item", "machine", "card"])
def test_png_decodes_to_the_absolute_url(app, client, login_as, borrower, codes, kind):
    code = codes[kind]
    viewer = login_as(borrower) if kind == "card" else client
    response = viewer.get(f"/q/{code}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert decode_qr(response.data) == [f"{BASE_URL}/q/{code}"]


@pytest.mark.parametrize("kind", ["item", "machine", "card"])
def test_svg_rendered_decodes_to_the_absolute_url(app, client, login_as, borrower, codes, kind):
    code = codes[kind]
    viewer = login_as(borrower) if kind == "card" else client
    response = viewer.get(f"/q/{code}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert code in svg  # the human code, printed under the symbol
    assert decode_qr(svg_to_png(svg)) == [f"{BASE_URL}/q/{code}"]


def test_the_url_follows_base_url(make_app, create_item):
    item = create_item(code="OBJ-0777")
    app = make_app(BASE_URL="https://fablab.example.org/")
    png = app.test_client().get("/q/OBJ-0777/qr.png").data
    assert decode_qr(png) == ["https://fablab.example.org/q/OBJ-0777"]
    svg = app.test_client().get(f"/q/{item.code}/qr.svg").get_data(as_text=True)
    assert decode_qr(svg_to_png(svg)) == ["https://fablab.example.org/q/OBJ-0777"]


def test_labels_carry_decodable_qr_codes(desk_client, create_item):
    import re

    item = create_item(code="OBJ-0100")
    page = desk_client.get(f"/labels/sheet?format=2x7&item={item.id}").get_data(as_text=True)
    [svg] = re.findall(r"<svg.*?</svg>", page, re.S)
    assert decode_qr(svg_to_png(svg)) == [f"{BASE_URL}/q/OBJ-0100"]


# --- /q/<code> ------------------------------------------------------------------------------------


def test_an_item_code_redirects_to_the_item_page(client, create_item):
    create_item(code="OBJ-0042")
    response = client.get("/q/OBJ-0042")
    assert response.status_code == 302 and path_of(response) == "/items/OBJ-0042"
    assert client.get("/q/obj-0042").status_code == 302  # typed in lower case


def test_a_machine_code_redirects_to_the_machine_page(client, machine):
    response = client.get(f"/q/{machine.slug}")
    assert response.status_code == 302 and path_of(response) == f"/machines/{machine.slug}"


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_a_member_card_redirects_staff_to_the_member_page(login_as, create_member, borrower,
                                                          who):
    viewer = login_as(create_member(role=who))
    response = viewer.get(f"/q/{borrower.card_code}")
    assert response.status_code == 302 and path_of(response) == f"/members/{borrower.id}"


@pytest.mark.parametrize("who", ["anonymous", "another member", "the member"])
def test_a_member_card_is_not_found_for_everyone_else(app, login_as, create_member, borrower,
                                                      who):
    viewer = {"anonymous": app.test_client, "another member": lambda: login_as(create_member()),
              "the member": lambda: login_as(borrower)}[who]()
    response = viewer.get(f"/q/{borrower.card_code}")
    assert response.status_code == 404
    assert borrower.name not in response.get_data(as_text=True)


@pytest.mark.parametrize("code", ["OBJ-9999", "M-NOPE99", "no-such-machine", "x%2Fy",
                                  "http:%2F%2Fx%2Fother"])
def test_an_unknown_code_is_not_found(client, create_item, code):
    create_item(code="OBJ-0001")
    assert client.get(f"/q/{code}").status_code == 404
    assert client.get(f"/q/{code}/qr.png").status_code == 404


def test_a_retired_item_is_not_found_for_non_staff(client, login_as, borrower, desk_client,
                                                   create_item):
    create_item(code="OBJ-0500", status="retired", status_reason="cassé")
    assert client.get("/q/OBJ-0500").status_code == 404
    assert login_as(borrower).get("/q/OBJ-0500").status_code == 404
    assert client.get("/q/OBJ-0500/qr.svg").status_code == 404
    response = desk_client.get("/q/OBJ-0500")
    assert response.status_code == 302 and path_of(response) == "/items/OBJ-0500"


# --- a member card's QR -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_a_card_qr_only_for_the_member_and_staff(app, login_as, create_member, borrower,
                                                 desk_client, kind):
    url = f"/q/{borrower.card_code}/qr.{kind}"
    assert app.test_client().get(url).status_code == 404
    assert login_as(create_member()).get(url).status_code == 404
    own = login_as(borrower).get(url)
    assert own.status_code == 200
    assert "public" not in own.headers.get("Cache-Control", "")
    assert desk_client.get(url).status_code == 200


def test_member_card_pages(login_as, create_member, borrower, desk_client):
    own = login_as(borrower).get("/account/card")
    assert own.status_code == 200
    body = own.get_data(as_text=True)
    assert borrower.card_code in body and borrower.name in body
    staff_view = desk_client.get(f"/members/{borrower.id}/card")
    assert staff_view.status_code == 200 and borrower.card_code in staff_view.get_data(True)
    assert login_as(create_member()).get(f"/members/{borrower.id}/card").status_code == 403
