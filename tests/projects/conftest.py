"""Factories for the projects and skills tests.

- ``app`` (overridden): the usual test app with UPLOAD_DIR in a temporary folder.
- ``author`` / ``author_client``: a member (English) who writes projects.
- ``make_project(owner, title=..., steps=[(title, body)], publish=True, tags=..., **fields)``:
  a project built through the services (revisions, search text), optionally published;
  returns its id.
- ``upload(client, project_id, data, filename)``: POST a file to a project.
- sample contents: ``STL_ASCII``, ``binary_stl()``, ``png_bytes()``, ``jpeg_with_gps()``.
"""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from tests.support.db_helpers import run  # noqa: F401  (the fixture, shared)

STL_ASCII = (b"solid cube\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n"
             b"   vertex 0 1 0\n  endloop\n endfacet\nendsolid cube\n")


def binary_stl(triangles: int = 2) -> bytes:
    return b"\0" * 80 + struct.pack("<I", triangles) + b"\0" * 50 * triangles


def png_bytes(size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_gps(size=(2400, 1800)) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (45.0, 46.0, 0.0)}  # GPSInfo
    exif[0x010F] = "Camera Maker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(UPLOAD_DIR=str(tmp_path / "uploads"))


@pytest.fixture
def author(create_member):
    return create_member(name="Camille Martin", email="camille@example.org", locale="en")


@pytest.fixture
def author_client(login_as, author):
    client = login_as(author)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def make_project(app):
    from fablab.accounts.models import User
    from fablab.extensions import db
    from fablab.projects import services

    def factory(owner, title="Lampe découpée au laser", summary="Une lampe en contreplaqué.",
                steps=(("Découper", "Découper les **pièces** au laser."),), publish=True,
                tags="", intro="Une introduction.", machine_ids=(), **fields):
        with app.test_request_context(headers={"Accept-Language": "en"}):
            user = db.session.get(User, owner.id)
            project = services.create_project(user, title, summary)
            services.update_project(
                user, project, title=title, summary=summary, intro=intro,
                difficulty=fields.get("difficulty", "easy"),
                duration_minutes=fields.get("duration_minutes"),
                cost_cents=fields.get("cost_cents"),
                licence=fields.get("licence", "CC-BY-SA-4.0"), language="fr", tags=tags,
                machine_ids=list(machine_ids))
            for step_title, body in steps:
                services.add_step(user, project, step_title, body)
            for name, quantity, unit in fields.get("bom", ()):
                services.add_bom_line(user, project, name, quantity, unit, "")
            if publish:
                services.publish(user, project)
            db.session.commit()
            return project.id

    return factory


def upload(client, project_id: int, data: bytes, filename: str):
    return client.post(f"/projects/{project_id}/files",
                       data={"upload": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")
