"""The open-data API: OpenAPI document valid and matching every answer,
paging and clamping, date ranges, 400s in JSON, no personal data, constant
query counts, and the registry that other domains extend."""

from __future__ import annotations

from datetime import timedelta

import jsonschema
import pytest
from openapi_spec_validator import validate

from tests.agenda.conftest import local_day
from tests.support.query_counter import count_queries

ENDPOINTS = ["/api/v1/events", "/api/v1/slots", "/api/v1/machines", "/api/v1/items",
             "/api/v1/projects", "/api/v1/repair-cafe/impact"]


@pytest.fixture
def lab_data(app, create_event, create_slot, create_resource, create_member, insert_booking,
             insert_registration, insert_loan, site):
    """A little of everything, with a member whose name must never show."""
    from fablab.events.models import RepairCategory, RepairItem
    from fablab.extensions import db
    from fablab.loans.models import Item

    victim = create_member(name="Zoé Secrète", email="zoe.secrete@example.org")
    repair = create_event(kind="repair_cafe", title="Repair café", day=local_day(-3))
    kids = create_event(audience="children", title="Robots", day=local_day(4))
    create_event(title="Couture", day=local_day(20))
    create_event(status="draft", title="Brouillon caché")
    create_slot(day=local_day(2))
    create_slot(day=local_day(9))
    resource = create_resource(slug="laser-api", name="Laser", status="maintenance")
    insert_booking(resource, victim, local_day(2), purpose="Secret de Zoé")
    insert_registration(kids, victim)
    insert_loan(victim, local_day(5), name="Perceuse")
    with app.app_context():
        category = RepairCategory(name="Grille-pain", weight_kg=1.5, co2e_kg=20)
        db.session.add_all([category, Item(code="OBJ-0500", site_id=site.id, name="Ponceuse"),
                            Item(code="OBJ-0501", site_id=site.id, name="Perdue",
                                 status="missing")])
        db.session.flush()
        db.session.add_all([
            RepairItem(event_id=repair.id, category_id=category.id, outcome="fixed",
                       owner_member_id=victim.id, owner_first_name="Zoé", notes="Zoé"),
            RepairItem(event_id=repair.id, category_id=category.id, outcome="end_of_life",
                       barrier="cannot_open")])
        db.session.commit()
    return {"victim": victim, "kids": kids}


def test_openapi_document_is_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)  # openapi-spec-validator: raises on an invalid document
    assert document["openapi"].startswith("3.")
    assert {path for path in document["paths"]} == set(ENDPOINTS)


def _schema(document: dict, path: str, status: str = "200") -> dict:
    schema = document["paths"][path]["get"]["responses"][status]["content"][
        "application/json"]["schema"]
    return {**schema, "components": document["components"],
            "$defs": document["components"]["schemas"]} if "$ref" not in schema else {
        "$ref": schema["$ref"], "components": document["components"]}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_answer_matches_its_schema(client, lab_data, path):
    document = client.get("/api/v1/openapi.json").get_json()
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/json"
    jsonschema.validate(response.get_json(), _schema(document, path),
                        cls=jsonschema.Draft202012Validator,
                        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    if "repair" not in path:
        bad = client.get(path + "?page=zero")
        assert bad.status_code == 400
        jsonschema.validate(bad.get_json(), _schema(document, path, "400"))


def test_answers_name_nobody(client, lab_data):
    for path in ENDPOINTS + ["/api/v1/openapi.json"]:
        body = client.get(path).get_data(as_text=True)
        for marker in ("Zoé", "Zo\\u00e9", "Secr", "zoe.secrete"):
            assert marker not in body, (path, marker)


def test_events_content_and_filters(client, lab_data):
    events = client.get("/api/v1/events").get_json()
    titles = [e["title"] for e in events["items"]]
    assert titles == ["Robots", "Couture"]  # upcoming by default, no draft
    robots = events["items"][0]
    assert robots["starts_at"].endswith(("+01:00", "+02:00")) and "T14:00:00" in robots[
        "starts_at"]
    assert robots["seats_left"] == 9 and robots["ics"].endswith(".ics")
    since = (local_day(-5)).isoformat()
    assert [e["title"] for e in client.get(
        f"/api/v1/events?from={since}&to={local_day(5).isoformat()}").get_json()["items"]] == [
        "Repair café", "Robots"]
    assert [e["title"] for e in client.get(
        "/api/v1/events?audience=children").get_json()["items"]] == ["Robots"]


def test_machines_items_and_impact(client, lab_data):
    machines = client.get("/api/v1/machines").get_json()["items"]
    assert [(m["slug"], m["status"]) for m in machines] == [("laser-api", "maintenance")]
    items = client.get("/api/v1/items").get_json()["items"]
    assert {(i["code"], i["available"]) for i in items} >= {("OBJ-0500", True)}
    assert "OBJ-0501" not in {i["code"] for i in items}  # missing: not public
    assert any(i["status"] == "on_loan" and not i["available"] for i in items)
    impact = client.get("/api/v1/repair-cafe/impact").get_json()
    assert (impact["items"], impact["fixed"], impact["end_of_life"]) == (2, 1, 1)
    assert impact["waste_avoided_kg"] == 1.5 and impact["repair_cafes"] == 1
    later = client.get(f"/api/v1/repair-cafe/impact?from={local_day(1).isoformat()}").get_json()
    assert later["items"] == 0


def test_paging_and_clamping(client, create_slot):
    for offset in range(5):
        create_slot(day=local_day(2 + offset))
    first = client.get("/api/v1/slots?per_page=2").get_json()
    assert (len(first["items"]), first["total"], first["page"]) == (2, 5, 1)
    assert first["next"].startswith("http://localhost/api/v1/slots?")
    last = client.get("/api/v1/slots?per_page=2&page=3").get_json()
    assert len(last["items"]) == 1 and last["next"] is None
    ids = [s["id"] for page in (1, 2, 3) for s in client.get(
        f"/api/v1/slots?per_page=2&page={page}").get_json()["items"]]
    assert len(set(ids)) == 5
    clamped = client.get("/api/v1/slots?per_page=100000").get_json()
    assert clamped["per_page"] == 200


@pytest.mark.parametrize("query, words", [
    ("?page=0", "page"), ("?page=abc", "page"), ("?per_page=-3", "per_page"),
    ("?from=2026-02-30", "from"), ("?from=tomorrow", "from"), ("?to=99999-01-01", "to"),
    ("?from=2026-05-10&to=2026-05-01", "before"), ("?kind=party", "kind"),
])
def test_malformed_parameters_answer_400_json(client, query, words):
    response = client.get("/api/v1/events" + query, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == 400 and words in body["message"]


def test_api_query_counts_do_not_grow(app, client, create_event, create_slot, create_resource,
                                     site):
    from fablab.extensions import db
    from fablab.loans.models import Item

    days = iter(range(2, 200))

    def add(n):
        for _ in range(n):
            day = local_day(next(days))
            create_event(day=day)
            create_slot(day=day)
            create_resource()
            with app.app_context():
                db.session.add(Item(code=f"OBJ-{next(days):04d}", site_id=site.id, name="x"))
                db.session.commit()

    add(1)
    few = {path: len(count_queries(app, client, path)[0]) for path in ENDPOINTS}
    add(8)
    many = {path: len(count_queries(app, client, path)[0]) for path in ENDPOINTS}
    assert few == many
    assert max(many.values()) <= 5


def test_another_domain_adds_an_endpoint_in_a_few_lines(make_app, create_event):
    """What the projects domain will do: register, then its route, paging,
    date filter and OpenAPI entry exist."""
    from sqlalchemy import select

    from fablab.core import api
    from fablab.events.models import Event

    schema = {"type": "object", "required": ["slug"], "properties": {"slug": {"type": "string"}}}

    def fetch(query):
        stmt = select(Event).order_by(Event.id)
        if query.start:
            stmt = stmt.where(Event.starts_at >= query.start)
        return query.page_of(stmt, lambda e: {"slug": e.slug})

    api.register("demo_things", "/demo-things", schema, fetch, summary="Things")
    try:
        app = make_app()
        create_event(slug="one")
        client = app.test_client()
        answer = client.get("/api/v1/demo-things").get_json()
        assert answer["items"] == [{"slug": "one"}] and answer["total"] == 1
        later = (local_day(0) + timedelta(days=30)).isoformat()
        assert client.get(f"/api/v1/demo-things?from={later}").get_json()["total"] == 0
        document = client.get("/api/v1/openapi.json").get_json()
        validate(document)
        assert "/api/v1/demo-things" in document["paths"]
        with pytest.raises(ValueError):
            api.register("demo_things", "/again", schema, fetch)
    finally:
        del api.ENDPOINTS["demo_things"]
