"""Fixtures for the desk tests: those of tests/loans/conftest.py (items, borrowers,
loans, holds, ``run``, ``db_state``…), a staff member who reads English, a machine,
and ``decode_qr(png_bytes)`` / ``svg_to_png(svg)`` for the QR images."""

from __future__ import annotations

import io

import pytest

# The fixtures of tests/loans/conftest.py, shared.
from tests.loans.conftest import (borrower, check_out_as, create_borrower,  # noqa: F401
                                  create_item, create_organisation, db_state, holds_of,
                                  insert_hold, insert_loan, item_row, loans_of, run, site)
from tests.support.db_helpers import save


@pytest.fixture
def desk(create_member):
    """A staff member at the desk (English interface)."""
    return create_member(name="Dana Desk", email="dana@example.org", role="staff", locale="en")


@pytest.fixture
def desk_client(login_as, desk):
    return login_as(desk)


@pytest.fixture
def machine(app, site):
    from fablab.machines.models import Resource

    with app.app_context():
        return save(Resource(site_id=site.id, kind="machine", name="Découpeuse laser",
                             slug="decoupeuse-laser", category="Laser"))


def decode_qr(png: bytes) -> list[str]:
    """The texts of every QR code zxing-cpp finds in a PNG image."""
    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    return [result.text for result in zxingcpp.read_barcodes(image)
            if result.format == zxingcpp.BarcodeFormat.QRCode]


def svg_to_png(svg: str) -> bytes:
    import resvg_py

    return bytes(resvg_py.svg_to_bytes(svg_string=svg, width=400))
