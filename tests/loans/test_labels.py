"""Label sheets: the geometry of every format fits an A4 sheet without overlap,
and the sheet page lays one label per chosen item at its position."""

from __future__ import annotations

import itertools
import re

import pytest

from fablab.loans import labels

A4 = (210.0, 297.0)


@pytest.mark.parametrize("key", sorted(labels.FORMATS))
def test_labels_fit_on_a4_and_do_not_overlap(key):
    layout = labels.FORMATS[key]
    boxes = []
    for index in range(layout.per_sheet):
        left, top = layout.position(index)
        right, bottom = left + layout.width, top + layout.height
        assert left >= 0 and top >= 0, (key, index)
        assert right <= A4[0] + 1e-6 and bottom <= A4[1] + 1e-6, (key, index, right, bottom)
        boxes.append((left, top, right, bottom))
    assert len(set(boxes)) == layout.per_sheet
    for (a, b) in itertools.combinations(boxes, 2):
        overlap_x = min(a[2], b[2]) - max(a[0], b[0])
        overlap_y = min(a[3], b[3]) - max(a[1], b[1])
        assert overlap_x <= 1e-6 or overlap_y <= 1e-6, (key, a, b)
    # The next sheet starts again at the first position.
    assert layout.position(layout.per_sheet) == layout.position(0)


def test_the_3x7_sheet_geometry():
    layout = labels.FORMATS["3x7"]
    assert (layout.columns, layout.rows, layout.per_sheet) == (3, 7, 21)
    assert layout.position(0) == (7.25, 15.15)
    assert (layout.width, layout.height) == (63.5, 38.1)
    assert layout.position(1) == (7.25 + 66.04, 15.15)
    assert layout.position(3) == (7.25, round(15.15 + 38.1, 2))


def test_common_formats_are_offered():
    assert {"3x7", "2x7"} <= set(labels.FORMATS)
    assert (labels.FORMATS["2x7"].columns, labels.FORMATS["2x7"].rows) == (2, 7)


def test_the_stylesheet_places_every_position(client):
    response = client.get("/labels/formats.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert ".fmt-3x7 .pos-0 { left: 7.25mm; top: 15.15mm; }" in css
    assert ".fmt-3x7 .label { width: 63.5mm; height: 38.1mm; }" in css
    for key, layout in labels.FORMATS.items():
        assert f".fmt-{key} .pos-{layout.per_sheet - 1} " in css


def _labels(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<div class="label (pos-\d+)" data-code="([^"]+)"', page)


def test_a_sheet_has_one_label_per_item(login_as, create_member, create_item):
    staff = create_member(role="staff", locale="en")
    first = create_item(code="OBJ-0001", name="Perceuse")
    second = create_item(code="OBJ-0002", name="Ponceuse")
    create_item(code="OBJ-0003", name="Pas choisie")
    client = login_as(staff)

    response = client.get(f"/labels/sheet?format=3x7&item={first.id}&item={second.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="label-page fmt-3x7"' in page
    assert _labels(page) == [("pos-0", "OBJ-0001"), ("pos-1", "OBJ-0002")]
    assert "Pas choisie" not in page

    skipped = client.get(f"/labels/sheet?format=3x7&item={first.id}&item={second.id}&skip=20")
    sheets = skipped.get_data(as_text=True)
    assert _labels(sheets) == [("pos-20", "OBJ-0001"), ("pos-0", "OBJ-0002")]
    assert sheets.count('class="label-page fmt-3x7"') == 2


def test_a_sheet_of_machines(login_as, create_member, create_site, app):
    from fablab.machines.models import Resource
    from tests.support.db_helpers import save

    site = create_site()
    with app.app_context():
        laser = save(Resource(site_id=site.id, kind="machine", name="Laser", slug="laser-co2"))
    client = login_as(create_member(role="staff", locale="en"))
    page = client.get(f"/labels/sheet?format=2x7&resource={laser.id}").get_data(as_text=True)
    assert _labels(page) == [("pos-0", "laser-co2")]


def test_a_sheet_needs_a_format_and_items(login_as, create_member, create_item):
    item = create_item()
    client = login_as(create_member(role="staff", locale="en"))
    for url in (f"/labels/sheet?format=9x9&item={item.id}", "/labels/sheet?format=3x7"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/labels")
