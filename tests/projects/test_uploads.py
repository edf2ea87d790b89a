"""Uploads: type from the content, size limits (413), images re-encoded without
EXIF, random names, downloads as attachments, drafts' files private, harmless names."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from PIL import Image
from sqlalchemy import select

from fablab.projects.models import Project, ProjectFile
from tests.projects.conftest import STL_ASCII, binary_stl, jpeg_with_gps, png_bytes, upload


def files_of(db, project_id):
    db.session.expire_all()
    return db.session.scalars(select(ProjectFile).where(ProjectFile.project_id == project_id)
                              .order_by(ProjectFile.id)).all()


def zip_with(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return buffer.getvalue()


ACCEPTED = [
    (STL_ASCII, "cube.stl", "stl"),
    (binary_stl(), "bracket.STL", "stl"),
    (zip_with({"3D/3dmodel.model": b"<model/>", "[Content_Types].xml": b"x"}), "box.3mf", "3mf"),
    (b"ISO-10303-21;\nHEADER;\nENDSEC;\n", "part.step", "step"),
    (b"  0\nSECTION\n  2\nHEADER\n  0\nENDSEC\n  0\nEOF\n", "plan.dxf", "dxf"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "logo.svg", "svg"),
    (b"cube([10, 10, 10]);\n", "cube.scad", "scad"),
    (zip_with({"Document.xml": b"<Document/>"}), "piece.FCStd", "fcstd"),
    (zip_with({"board-F_Cu.gtl": b"G04*", "board.drl": b"M48"}), "gerbers.zip", "gerber"),
    (b"void setup() {}\nvoid loop() {}\n", "meteo.ino", "ino"),
    (b"%PDF-1.4\n%%EOF\n", "notice.pdf", "pdf"),
]


@pytest.mark.parametrize(("data", "name", "kind"), ACCEPTED, ids=[a[1] for a in ACCEPTED])
def test_accepted_types_are_read_from_the_content(author_client, author, make_project, db, app,
                                                  data, name, kind):
    project_id = make_project(author)
    assert upload(author_client, project_id, data, name).status_code == 302
    [item] = files_of(db, project_id)
    assert item.kind == kind and item.size == len(data)
    assert item.stored_name.endswith(".bin") and name.split(".")[0] not in item.stored_name
    assert os.path.isfile(os.path.join(app.config["UPLOAD_DIR"], "projects", item.stored_name))


REFUSED = [
    (b"MZ\x90\x00" + b"\x00" * 200, "virus.stl"),  # a Windows program named .stl
    (b"<html><script>alert(1)</script></html>", "page.pdf"),
    (b"just some text", "notes.step"),
    (zip_with({"readme.md": b"hello"}), "gerbers.zip"),
    (b"\x89PNG\r\n\x1a\nnot really a png", "photo.png"),
    (b"#!/bin/sh\nrm -rf /\n", "script.sh"),
]


@pytest.mark.parametrize(("data", "name"), REFUSED, ids=[r[1] for r in REFUSED])
def test_other_contents_are_refused(author_client, author, make_project, db, data, name):
    project_id = make_project(author)
    response = upload(author_client, project_id, data, name)
    assert response.status_code == 302
    follow = author_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "not accepted" in follow or "not an image" in follow
    assert files_of(db, project_id) == []


def test_images_are_reencoded_without_exif_with_a_thumbnail(author_client, author, make_project,
                                                            db, app):
    project_id = make_project(author)
    assert upload(author_client, project_id, jpeg_with_gps(), "IMG_0001.jpg").status_code == 302
    [item] = files_of(db, project_id)
    folder = os.path.join(app.config["UPLOAD_DIR"], "projects")
    stored = Image.open(os.path.join(folder, item.stored_name))
    assert max(stored.size) == 1600 and not stored.getexif()
    thumb = Image.open(os.path.join(folder, item.stored_name.replace(".jpg", "-thumb.jpg")))
    assert max(thumb.size) == 480
    project = db.session.get(Project, project_id)
    assert project.cover_name == item.stored_name  # the first image is the cover
    response = app.test_client().get(f"/projects/{project_id}/images/{item.stored_name}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_svg_is_never_served_inline(author_client, author, make_project, db, app):
    project_id = make_project(author)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    upload(author_client, project_id, svg, "evil.svg")
    [item] = files_of(db, project_id)
    response = app.test_client().get(f"/projects/{project_id}/files/{item.id}")
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "evil.svg" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    # Not an image either: the image route only serves re-encoded JPEGs.
    assert app.test_client().get(
        f"/projects/{project_id}/images/{item.stored_name}").status_code == 404


def test_path_traversal_names_are_harmless(author_client, author, make_project, db, app):
    project_id = make_project(author)
    upload(author_client, project_id, STL_ASCII, "../../../etc/passwd.stl")
    upload(author_client, project_id, STL_ASCII, "..\\..\\windows\\evil.stl")
    for item in files_of(db, project_id):
        assert "/" not in item.filename and "\\" not in item.filename
        assert ".." not in item.filename and item.filename.endswith(".stl")
        assert "/" not in item.stored_name
    client = app.test_client()
    for url in (f"/projects/{project_id}/images/..%2F..%2Fetc%2Fpasswd",
                f"/projects/{project_id}/images/....jpg",
                "/uploads/projects/../projects/x.bin", "/uploads/./projects/x.bin"):
        assert client.get(url).status_code == 404, url


def test_size_limit_per_file_answers_413(author_client, author, make_project, db, app):
    app.config["PROJECT_MAX_FILE_BYTES"] = 1000
    project_id = make_project(author)
    response = upload(author_client, project_id, binary_stl(30), "big.stl")  # 1584 bytes
    assert response.status_code == 413
    assert "limit" in response.get_data(as_text=True)
    assert files_of(db, project_id) == []


def test_size_limit_per_project_answers_413(author_client, author, make_project, db, app):
    app.config["PROJECT_MAX_TOTAL_BYTES"] = 1000
    project_id = make_project(author)
    assert upload(author_client, project_id, binary_stl(10), "a.stl").status_code == 302  # 584
    response = upload(author_client, project_id, binary_stl(10), "b.stl")
    assert response.status_code == 413
    assert "per project" in response.get_data(as_text=True)
    assert len(files_of(db, project_id)) == 1


def test_request_larger_than_max_content_length_is_a_translated_413(author_client, author,
                                                                    make_project, app):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    project_id = make_project(author)
    author_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    response = upload(author_client, project_id, b"x" * 5000, "big.stl")
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.get_data(as_text=True) or \
        "File too large" in response.get_data(as_text=True)


def test_draft_files_are_private_everywhere(author_client, author, make_project, db, app,
                                            member_client):
    project_id = make_project(author, publish=False)
    upload(author_client, project_id, STL_ASCII, "secret.stl")
    upload(author_client, project_id, png_bytes(), "secret.png")
    stl, image = files_of(db, project_id)
    assert author_client.get(f"/projects/{project_id}/files/{stl.id}").status_code == 200
    for client in (app.test_client(), member_client):
        assert client.get(f"/projects/{project_id}/files/{stl.id}").status_code == 404
        assert client.get(f"/projects/{project_id}/images/{image.stored_name}").status_code == 404
        # Nor through the core route that serves other uploads.
        for name in (f"projects/{stl.stored_name}", f"projects/{image.stored_name}",
                     f"./projects/{image.stored_name}", f"Projects/{image.stored_name}"):
            assert client.get(f"/uploads/{name}").status_code == 404, name


def test_deleting_a_file_removes_it_from_disk(author_client, author, make_project, db, app):
    project_id = make_project(author)
    upload(author_client, project_id, png_bytes(), "photo.png")
    [item] = files_of(db, project_id)
    path = os.path.join(app.config["UPLOAD_DIR"], "projects", item.stored_name)
    assert os.path.isfile(path)
    author_client.post(f"/projects/{project_id}/files/{item.id}/delete")
    assert files_of(db, project_id) == [] and not os.path.exists(path)
    assert db.session.get(Project, project_id).cover_name is None
