"""GET /api/v1/projects: published projects only, under their authors' public names,
matching the OpenAPI schema, filtered like the gallery, in a constant number of queries."""

from __future__ import annotations

import jsonschema

from tests.support.query_counter import count_queries


def _public_name(app, member, name: str) -> None:
    from fablab.accounts.models import PublicProfile
    from fablab.extensions import db

    with app.app_context():
        profile = db.session.get(type(member), member.id).public_profile
        if profile is None:
            db.session.add(PublicProfile(user_id=member.id, display_name=name))
        else:
            profile.display_name = name
        db.session.commit()


def _schema(client) -> dict:
    document = client.get("/api/v1/openapi.json").get_json()
    schema = document["paths"]["/api/v1/projects"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    return {**schema, "components": document["components"]}


def test_published_projects_only_under_public_names(app, client, author, make_project):
    lamp = make_project(author, title="Lampe en bouleau", tags="laser, bois")
    make_project(author, title="Brouillon secret", publish=False)
    _public_name(app, author, "Atelier Bouleau")

    response = client.get("/api/v1/projects")
    assert response.status_code == 200
    body = response.get_json()
    jsonschema.validate(body, _schema(client), cls=jsonschema.Draft202012Validator,
                        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert body["total"] == 1
    [project] = body["items"]
    assert project["id"] == lamp and project["title"] == "Lampe en bouleau"
    assert project["authors"] == ["Atelier Bouleau"]
    assert project["tags"] == ["bois", "laser"] and project["licence"] == "CC-BY-SA-4.0"
    assert project["url"].endswith(f"/projects/{lamp}")
    assert project["okh_manifest"].startswith("http")
    text = response.get_data(as_text=True)
    assert "Camille" not in text and "camille@example.org" not in text
    assert "Brouillon" not in text


def test_search_and_filters_like_the_gallery(client, author, make_project):
    make_project(author, title="Station météo", steps=(("Souder", "Souder le capteur."),),
                 licence="CERN-OHL-S-2.0")
    make_project(author, title="Lampe", tags="laser")
    titles = lambda query: [p["title"] for p in client.get(  # noqa: E731
        "/api/v1/projects" + query).get_json()["items"]]
    assert titles("?q=capteur") == ["Station météo"]
    assert titles("?tag=laser") == ["Lampe"]
    assert titles("?licence=CERN-OHL-S-2.0") == ["Station météo"]
    bad = client.get("/api/v1/projects?licence=WTFPL", headers={"Accept-Language": "en"})
    assert bad.status_code == 400 and "licence" in bad.get_json()["message"]


def test_query_count_does_not_grow(app, client, author, create_member, make_project):
    make_project(author, title="Premier", tags="a")
    few = len(count_queries(app, client, "/api/v1/projects")[0])
    for n in range(6):
        make_project(create_member(), title=f"Projet {n}", tags=f"t{n}, commun")
    many, body = count_queries(app, client, "/api/v1/projects")
    assert len(many) == few
    assert '"total": 7' in body.replace('"total":7', '"total": 7')
