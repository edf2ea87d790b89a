"""The repair café log and its impact: what staff log, what the public sees."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from fablab.events.models import Event, RepairCategory, RepairItem


@pytest.fixture
def repair_cafe(app, create_site):
    from fablab.extensions import db

    site = create_site()
    with app.app_context():
        start = datetime.now(timezone.utc) - timedelta(days=3)
        event = Event(site_id=site.id, kind="repair_cafe", title="Repair café", slug="rc-test",
                      status="published", starts_at=start, ends_at=start + timedelta(hours=4),
                      capacity=30)
        toaster = RepairCategory(name="Grille-pain test", weight_kg=1.04, co2e_kg=5.0)
        laptop = RepairCategory(name="Portable test", weight_kg=2.26, co2e_kg=258.25)
        db.session.add_all([event, toaster, laptop])
        db.session.commit()
        return {"slug": event.slug, "event_id": event.id, "toaster": toaster.id,
                "laptop": laptop.id}


def log(client, slug, **data):
    form = {"outcome": "fixed", "barrier": "", "brand": "", "model": "", "problem": "",
            "owner": "", "owner_first_name": "", "repairer_id": "0", "notes": ""}
    form.update({k: str(v) for k, v in data.items()})
    return client.post(f"/events/{slug}/repairs", data=form)


def test_staff_log_objects_and_the_impact_adds_up(staff_client, repair_cafe, member, db, app):
    assert log(staff_client, repair_cafe["slug"], category_id=repair_cafe["laptop"],
               owner=member.email, brand="Lenovo").status_code == 302
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"],
        owner_first_name="Nadia")
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"],
        outcome="end_of_life", barrier="spare_parts_too_expensive", owner_first_name="Paul")
    items = db.session.scalars(select(RepairItem).order_by(RepairItem.id)).all()
    assert [(i.outcome, i.owner_member_id, i.owner_first_name) for i in items] == [
        ("fixed", member.id, ""), ("fixed", None, "Nadia"), ("end_of_life", None, "Paul")]
    with app.app_context():
        from fablab.events.repair import impact

        figures = impact(event_id=repair_cafe["event_id"])
    assert (figures.items, figures.fixed, figures.end_of_life) == (3, 2, 1)
    assert figures.waste_kg == pytest.approx(2.26 + 1.04)
    assert figures.co2e_kg == pytest.approx((258.25 + 5.0) * 0.5)


@pytest.mark.parametrize("data", [
    {"outcome": "fixed", "barrier": "cannot_open"},  # a fixed object has no barrier
    {"outcome": "melted"},
    {"barrier": "gremlins", "outcome": "end_of_life"},
    {"category_id": 999999},
])
def test_bad_entries_are_refused_and_change_nothing(staff_client, repair_cafe, db, data):
    data = {"category_id": repair_cafe["toaster"], **data}
    response = log(staff_client, repair_cafe["slug"], **data)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(RepairItem.id))) == 0


def test_objects_are_logged_at_repair_cafes_only(staff_client, repair_cafe, app, db):
    with app.app_context():
        from fablab.extensions import db as _db

        event = _db.session.get(Event, repair_cafe["event_id"])
        event.kind = "workshop"
        _db.session.commit()
    response = log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"])
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(RepairItem.id))) == 0


def test_public_page_and_csv_show_figures_and_no_person(client, staff_client, repair_cafe,
                                                        member):
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["laptop"], owner=member.email,
        problem="Très lent")
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"],
        owner_first_name="Nadia")
    page = client.get("/repair-cafe").get_data(as_text=True)
    assert "3.3 kg" in page and "132 kg" in page
    assert member.name not in page and "Nadia" not in page
    response = client.get("/repair-cafe/items.csv")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and text.startswith("\ufeff")
    header = text.lstrip("\ufeff").splitlines()[0].split(",")
    assert {"product_category", "repair_status", "event_date"} <= set(header)
    assert "Fixed" in text and "Portable test" in text and "Très lent" in text
    assert member.name not in text and member.email not in text and "Nadia" not in text


def test_members_cannot_log_objects(member_client, repair_cafe, db):
    assert log(member_client, repair_cafe["slug"],
               category_id=repair_cafe["toaster"]).status_code == 403
    assert db.session.scalar(select(func.count(RepairItem.id))) == 0
