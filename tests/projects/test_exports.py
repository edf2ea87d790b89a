"""Exports of a published project: ZIP (Markdown and files), BOM as CSV, and the Atom
feed (display names only, never an e-mail). The OKH-LOSH manifest: test_okh.py."""

from __future__ import annotations

import io
import zipfile

from tests.projects.conftest import STL_ASCII, png_bytes, upload


def test_zip_has_markdown_files_and_manifest(app, author, author_client, make_project):
    project_id = make_project(author, title="Station météo", tags="arduino",
                              steps=(("Câbler", "Relier le **BME280**."),),
                              bom=(("Arduino Nano", "1", "pcs"), ("Fil", "0.5", "m")))
    upload(author_client, project_id, STL_ASCII, "boitier.stl")
    upload(author_client, project_id, png_bytes(), "photo.png")
    response = app.test_client().get(f"/projects/{project_id}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert "README.md" in names and "okh.toml" in names and "bom.csv" in names
    assert "files/boitier.stl" in names
    assert any(n.startswith("images/") for n in names)
    assert archive.read("files/boitier.stl") == STL_ASCII
    readme = archive.read("README.md").decode()
    assert "# Station météo" in readme and "## 1. Câbler" in readme
    assert "| Arduino Nano | 1 | pcs |" in readme and "CC-BY-SA-4.0" in readme


def test_bom_csv_has_no_formula(app, author, make_project):
    project_id = make_project(author, bom=(("=HYPERLINK(\"http://evil\")", "2", "pcs"),))
    body = app.test_client().get(f"/projects/{project_id}/bom.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_feed_lists_published_projects_with_display_names_only(app, author, make_project):
    make_project(author, title="Lampe")
    make_project(author, title="Secret draft", publish=False)
    response = app.test_client().get("/projects/feed.atom")
    assert response.mimetype == "application/atom+xml"
    body = response.get_data(as_text=True)
    assert "<title>Lampe</title>" in body and "Secret draft" not in body
    assert "<name>Camille M.</name>" in body
    assert "camille@example.org" not in body and "Martin" not in body


def test_quantities_are_written_plainly(app, author, make_project):
    project_id = make_project(author, bom=(("PETG", "120", "g"), ("Fil", "0.5", "m")))
    client = app.test_client()
    french = client.get(f"/projects/{project_id}",
                        headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "<td>120</td>" in french and "<td>0,5</td>" in french and "E+" not in french
    rows = client.get(f"/projects/{project_id}/bom.csv").get_data(as_text=True)
    assert "PETG,120,g" in rows and "Fil,0.5,m" in rows
