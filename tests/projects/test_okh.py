"""The Open Know-How manifest (okh.toml) follows OKH-LOSH v1.0: it is valid against the
OKH-LOSH JSON schema (vendored beside this file, see okh-losh.schema.json.license), every
address in it answers, any title or name survives TOML escaping, and it names authors
only by their public name."""

from __future__ import annotations

import io
import json
import re
import tomllib
import zipfile
from pathlib import Path

import regress
from jsonschema import Draft7Validator, ValidationError, validators

from tests.projects.conftest import STL_ASCII, png_bytes, upload

SCHEMA = json.loads(Path(__file__).with_name("okh-losh.schema.json").read_text())
# semver.org's own regular expression for a version number.
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
                    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
                    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
HOSTILE = '"""quoted""" \\ back\\slash [table] # not a comment \'single\' été ☀ 工'


def _ecma_pattern(validator, pattern, instance, schema):
    """JSON Schema patterns are ECMA-262 expressions; the schema's BCP 47 pattern uses
    named groups Python's re cannot compile, so regress reads them as written."""
    if validator.is_type(instance, "string") and regress.Regex(pattern).find(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


OkhValidator = validators.extend(Draft7Validator, {"pattern": _ecma_pattern})


def schema_errors(manifest: dict) -> list[str]:
    validator = OkhValidator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)
    return sorted(f"{list(error.absolute_path)}: {error.message}"
                  for error in validator.iter_errors(manifest))


def get_manifest(client, project_id: int) -> tuple[str, dict]:
    response = client.get(f"/projects/{project_id}/okh.toml")
    assert response.status_code == 200 and response.mimetype == "application/toml"
    body = response.get_data(as_text=True)
    return body, tomllib.loads(body)


def local(client, url: str):
    assert url.startswith("http://localhost/")
    return client.get(url.removeprefix("http://localhost"))


def test_the_schema_check_rejects_what_the_spec_forbids():
    good = {"okhv": "OKH-LOSHv1.0", "name": "Lampe", "repo": "https://lab.example/projects/1",
            "version": "1.0.0", "license": "MIT", "licensor": "Camille M.", "function": "Éclaire.",
            "documentation-language": "fr"}
    assert schema_errors(good) == []
    assert schema_errors({**good, "okhv": "OKHv1.0"})
    assert schema_errors({**good, "documentation-language": "français"})
    assert schema_errors({**good, "repo": "https://lab.example/un projet"})  # not a URI
    assert schema_errors({key: value for key, value in good.items() if key != "licensor"})
    assert schema_errors({**good, "part": [{"name": "Boîtier"}]})  # neither source nor export


def test_manifest_of_a_published_project_is_valid_okh_losh(app, author, author_client,
                                                          make_project):
    project_id = make_project(author, title="Station météo", summary="Mesure la pluie.",
                              licence="CERN-OHL-S-2.0", bom=(("Arduino Nano", "1", "pcs"),))
    upload(author_client, project_id, STL_ASCII, "boitier.stl")
    upload(author_client, project_id, b"cube([10, 10, 10]);\n", "boitier.scad")
    upload(author_client, project_id, png_bytes(), "photo.png")
    visitor = app.test_client()
    response = visitor.get(f"/projects/{project_id}/okh.toml")
    assert "attachment" in response.headers["Content-Disposition"]
    _body, manifest = get_manifest(visitor, project_id)

    assert schema_errors(manifest) == []
    assert manifest["okhv"] == "OKH-LOSHv1.0"
    assert manifest["name"] == "Station météo"
    assert manifest["license"] == "CERN-OHL-S-2.0"
    assert manifest["licensor"] == "Camille M."
    assert manifest["organisation"] == app.config["LAB_NAME"]
    assert manifest["function"] == "Mesure la pluie."
    assert manifest["documentation-language"] == "fr"
    assert SEMVER.match(manifest["version"])
    assert manifest["repo"] == f"http://localhost/projects/{project_id}"
    # An STL is an export of a design, a SCAD file the design itself (its source).
    assert [(part["name"], sorted(part)) for part in manifest["part"]] == [
        ("boitier.stl", ["export", "name"]), ("boitier.scad", ["name", "source"])]
    assert local(visitor, manifest["part"][0]["export"][0]).data == STL_ASCII
    assert local(visitor, manifest["part"][1]["source"][0]).data == b"cube([10, 10, 10]);\n"
    assert local(visitor, manifest["image"]).mimetype == "image/jpeg"
    readme = local(visitor, manifest["readme"])
    assert readme.mimetype == "text/markdown" and "# Station météo" in readme.text
    bom = local(visitor, manifest["bom"])
    assert bom.text.splitlines() == ["name,quantity,unit,source", "Arduino Nano,1,pcs,"]
    addresses = [manifest[key] for key in ("repo", "release", "readme", "image", "bom",
                                           "manufacturing-instructions")]
    assert all(local(visitor, url).status_code == 200 for url in addresses)


def test_release_is_the_zip_of_the_published_project(app, author, make_project):
    project_id = make_project(author, title="Lampe")
    visitor = app.test_client()
    _body, manifest = get_manifest(visitor, project_id)
    response = local(visitor, manifest["release"])
    assert manifest["release"] == f"http://localhost/projects/{project_id}/export.zip"
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert tomllib.loads(archive.read("okh.toml").decode()) == manifest


def test_a_draft_has_no_release_yet(app, author, author_client, make_project):
    project_id = make_project(author, title="Brouillon", publish=False)
    _body, manifest = get_manifest(author_client, project_id)
    assert "release" not in manifest
    assert schema_errors(manifest) == []
    assert app.test_client().get(f"/projects/{project_id}/okh.toml").status_code == 404


def test_each_save_of_the_text_is_a_new_minor_version(app, author, author_client,
                                                      make_project):
    project_id = make_project(author, title="Lampe", summary="Éclaire.")
    major, minor, patch = get_manifest(author_client, project_id)[1]["version"].split(".")
    response = author_client.post(f"/projects/{project_id}/edit", data={
        "title": "Lampe", "summary": "Éclaire mieux.", "intro": "Une introduction.",
        "difficulty": "easy", "licence": "CC-BY-SA-4.0", "language": "en", "tags": ""})
    assert response.status_code == 302
    _body, manifest = get_manifest(author_client, project_id)
    assert manifest["version"] == f"{major}.{int(minor) + 1}.{patch}"
    assert manifest["documentation-language"] == "en"
    assert schema_errors(manifest) == []


def test_any_title_name_or_file_name_is_escaped(app, author, author_client, make_project):
    from fablab.accounts.models import PublicProfile
    from fablab.extensions import db
    from fablab.projects.models import ProjectFile

    title = f"Lampe {HOSTILE}"[:120]
    summary = f"Ligne 1 {HOSTILE}\nLigne 2\t\"\"\"\r\n[[part]]\nname = \"faux\"\n\\u0041 \x07"
    project_id = make_project(author, title=title, summary=summary)
    upload(author_client, project_id, STL_ASCII, "plan.stl")
    public_name = 'Zoé "Z" \\ [x]\n# """'
    filename = 'plan "v2" [final] #1 \\ """\n.stl'
    with app.app_context():
        db.session.get(PublicProfile, author.id).display_name = public_name
        db.session.scalars(db.select(ProjectFile)).one().filename = filename
        db.session.commit()

    _body, manifest = get_manifest(app.test_client(), project_id)
    assert schema_errors(manifest) == []
    assert manifest["name"] == title
    assert manifest["function"] == summary
    assert manifest["licensor"] == public_name
    assert [part["name"] for part in manifest["part"]] == [filename]  # no forged [[part]]


def test_manifest_names_authors_by_their_public_name_only(app, author, create_member,
                                                           login_as, make_project):
    from fablab.accounts import services as accounts
    from fablab.extensions import db
    from fablab.projects import services
    from fablab.projects.models import Project

    coauthor = create_member(name="Dominique Durand", email="dominique@example.org")
    invited = create_member(name="Hélène Invitée", email="helene@example.org")
    project_id = make_project(author, title="Lampe")
    with app.test_request_context():
        project = db.session.get(Project, project_id)
        owner = db.session.get(type(author), author.id)
        for member in (coauthor, invited):
            services.invite_coauthor(owner, project, member.email)
        services.accept_invitation(db.session.get(type(coauthor), coauthor.id), project)
        accounts.public_profile(db.session.get(type(coauthor), coauthor.id)).display_name = "Dom"
        db.session.commit()

    body, manifest = get_manifest(app.test_client(), project_id)
    assert manifest["licensor"] == "Camille M., Dom"
    for private in ("Martin", "camille@example.org", "Durand", "dominique@example.org",
                    "Hélène", "helene@example.org", "example.org"):
        assert private not in body
