"""The repair café log and its impact: what staff log and correct, what the public sees,
and the export checked against the Open Repair Data Standard 0.3 (ords_0_3.toml)."""

import csv
import io
import re
import tomllib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pycountry
import pytest
from freezegun import freeze_time
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fablab.core.models import AuditLog
from fablab.events.models import Event, RepairCategory, RepairItem
from tests.conftest import login
from tests.support.db_helpers import PARIS

ORDS = tomllib.loads((Path(__file__).parent / "ords_0_3.toml").read_text(encoding="utf-8"))
PRODUCT_CATEGORIES = {int(k): v for k, v in ORDS["product_categories"].items()}
REPAIR_STATUS = set(ORDS["repair_status"].values())
REPAIR_BARRIERS = set(ORDS["repair_barriers"].values())


def add_repair_cafe(app, site, starts_at, slug):
    from fablab.extensions import db

    with app.app_context():
        event = Event(site_id=site.id, kind="repair_cafe", title="Repair café", slug=slug,
                      status="published", starts_at=starts_at,
                      ends_at=starts_at + timedelta(hours=4), capacity=30)
        db.session.add(event)
        db.session.commit()
        return event.id


@pytest.fixture
def repair_cafe(app, create_site):
    from fablab.extensions import db

    site = create_site()
    event_id = add_repair_cafe(app, site, datetime.now(timezone.utc) - timedelta(days=3),
                               "rc-test")
    with app.app_context():
        toaster = RepairCategory(name="Grille-pain test", weight_kg=1.04, co2e_kg=5.0,
                                 ords_category_id=31)
        laptop = RepairCategory(name="Portable test", weight_kg=2.26, co2e_kg=258.25,
                                ords_category_id=16)
        bike = RepairCategory(name="Vélo test", weight_kg=12.0, co2e_kg=0, powered=False)
        db.session.add_all([toaster, laptop, bike])
        db.session.commit()
        return {"slug": "rc-test", "event_id": event_id, "site": site, "toaster": toaster.id,
                "laptop": laptop.id, "bike": bike.id}


FORM = {"outcome": "fixed", "barrier": "", "brand": "", "model": "", "problem": "Ne marche plus",
        "owner": "", "owner_first_name": "", "repairer_id": "0", "notes": "",
        "year_of_manufacture": "", "weight_kg": ""}


def log(client, slug, **data):
    form = {**FORM, **{k: str(v) for k, v in data.items()}}
    return client.post(f"/events/{slug}/repairs", data=form)


def correct(client, slug, item_id, **data):
    form = {**FORM, **{k: str(v) for k, v in data.items()}}
    return client.post(f"/events/{slug}/repairs/{item_id}/edit", data=form)


def items(db):
    db.session.expire_all()
    return db.session.scalars(select(RepairItem).order_by(RepairItem.id)).all()


def export(client):
    """The export's header and rows (as dicts), read as a CSV reader reads them."""
    response = client.get("/repair-cafe/items.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    reader = csv.reader(io.StringIO(response.get_data(as_text=True), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, row)) for row in rows], rows


# --- logging and the impact ------------------------------------------------------------------


def test_staff_log_objects_and_the_impact_adds_up(staff_client, repair_cafe, member, db, app):
    assert log(staff_client, repair_cafe["slug"], category_id=repair_cafe["laptop"],
               owner=member.email, brand="Lenovo").status_code == 302
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"],
        owner_first_name="Nadia")
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"],
        outcome="end_of_life", barrier="spare_parts_too_expensive", owner_first_name="Paul")
    assert [(i.outcome, i.owner_member_id, i.owner_first_name) for i in items(db)] == [
        ("fixed", member.id, ""), ("fixed", None, "Nadia"), ("end_of_life", None, "Paul")]
    with app.app_context():
        from fablab.events.repair import impact

        figures = impact(event_id=repair_cafe["event_id"])
    assert (figures.items, figures.fixed, figures.end_of_life) == (3, 2, 1)
    assert figures.waste_kg == pytest.approx(2.26 + 1.04)
    assert figures.co2e_kg == pytest.approx((258.25 + 5.0) * 0.5)


def test_an_objects_own_weight_counts_instead_of_its_categorys(staff_client, client, repair_cafe,
                                                               db, app):
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["laptop"], weight_kg="3.5")
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"])  # not weighed
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["laptop"], weight_kg="9",
        outcome="end_of_life")  # not fixed: avoids nothing
    assert [i.weight_kg for i in items(db)] == [3.5, None, 9.0]
    with app.app_context():
        from fablab.events.repair import impact

        figures = impact(event_id=repair_cafe["event_id"])
    assert figures.waste_kg == pytest.approx(3.5 + 1.04)
    assert figures.co2e_kg == pytest.approx((258.25 + 5.0) * 0.5)  # footprints: unchanged
    assert "4.5 kg" in client.get("/repair-cafe").get_data(as_text=True)


@pytest.mark.parametrize("data", [
    {"outcome": "fixed", "barrier": "cannot_open"},  # a fixed object has no barrier
    {"outcome": "melted"},
    {"barrier": "gremlins", "outcome": "end_of_life"},
    {"category_id": 999999},
    {"problem": "   "},  # a required field of the standard
    {"year_of_manufacture": "1899"},
    {"weight_kg": "0"},
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


def test_members_cannot_log_objects(member_client, repair_cafe, db):
    assert log(member_client, repair_cafe["slug"],
               category_id=repair_cafe["toaster"]).status_code == 403
    assert db.session.scalar(select(func.count(RepairItem.id))) == 0


def test_the_database_refuses_impossible_values(repair_cafe, app):
    from fablab.extensions import db

    bad_items = [{"weight_kg": 0}, {"weight_kg": -1}, {"weight_kg": 250},
                 {"year_of_manufacture": 1850}, {"barrier": "gremlins", "outcome": "end_of_life"}]
    with app.app_context():
        for values in bad_items:
            db.session.add(RepairItem(**{"event_id": repair_cafe["event_id"],
                                         "category_id": repair_cafe["toaster"], "outcome": "fixed",
                                         **values}))
            with pytest.raises(IntegrityError):
                db.session.flush()
            db.session.rollback()
        db.session.get(RepairCategory, repair_cafe["toaster"]).ords_category_id = 41
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


# --- correcting a logged object --------------------------------------------------------------


def test_staff_correct_a_logged_object_and_the_audit_log_says_what_changed(
        staff_client, staff, repair_cafe, member, db):
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"],
        owner=member.email, brand="Seb", problem="Ne chauffe plus")
    item = items(db)[0]
    page = staff_client.get(f"/events/{repair_cafe['slug']}/repairs").get_data(as_text=True)
    edit_url = f"/events/{repair_cafe['slug']}/repairs/{item.id}/edit"
    assert f'href="{edit_url}"' in page
    form_page = staff_client.get(edit_url).get_data(as_text=True)
    assert 'value="Seb"' in form_page and member.email in form_page  # filled with the item
    response = correct(staff_client, repair_cafe["slug"], item.id,
                       category_id=repair_cafe["laptop"], owner=member.email, brand="Lenovo",
                       problem="Écran noir", outcome="end_of_life", barrier="too_worn_out",
                       year_of_manufacture="2012", weight_kg="2.1")
    assert response.status_code == 302
    item = items(db)[0]
    assert (item.category_id, item.brand, item.problem, item.outcome, item.barrier,
            item.year_of_manufacture, item.weight_kg, item.owner_member_id) == (
        repair_cafe["laptop"], "Lenovo", "Écran noir", "end_of_life", "too_worn_out", 2012, 2.1,
        member.id)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "repair.correct"))
    assert (entry.actor_id, entry.object_type, entry.object_id) == (staff.id, "RepairItem",
                                                                   item.id)
    assert set(entry.details) == {"category_id", "brand", "problem", "outcome", "barrier",
                                  "year_of_manufacture", "weight_kg"}
    assert member.name not in str(entry.details) and member.email not in entry.summary


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"year_of_manufacture": "1899"}, "year_of_manufacture", "doit être comprise entre 1900 et"),
    ({"year_of_manufacture": str(date.today().year + 1)}, "year_of_manufacture",
     "doit être comprise entre 1900 et"),
    ({"year_of_manufacture": "deux mille"}, "year_of_manufacture", None),
    ({"weight_kg": "0"}, "weight_kg", "plus de 0 kg et au plus 200 kg"),
    ({"weight_kg": "-2"}, "weight_kg", "plus de 0 kg et au plus 200 kg"),
    ({"weight_kg": "450"}, "weight_kg", "plus de 0 kg et au plus 200 kg"),
    ({"weight_kg": "NaN"}, "weight_kg", "plus de 0 kg et au plus 200 kg"),
    ({"weight_kg": "Infinity"}, "weight_kg", "plus de 0 kg et au plus 200 kg"),
    ({"weight_kg": "lourd"}, "weight_kg", None),
    ({"problem": ""}, "problem", "Merci de décrire le problème en quelques mots."),
])
def test_a_bad_correction_is_refused_with_a_message_and_changes_nothing(
        staff_client, repair_cafe, db, data, field, message):
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"], brand="Seb",
        year_of_manufacture="2010", weight_kg="1.2")
    before = items(db)[0]
    snapshot = (before.brand, before.year_of_manufacture, before.weight_kg, before.problem,
                before.updated_at)
    response = correct(staff_client, repair_cafe["slug"], before.id,
                       category_id=repair_cafe["toaster"], brand="Moulinex", **data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page  # the message is next to its field
    if message:
        assert message in page
    after = items(db)[0]
    assert (after.brand, after.year_of_manufacture, after.weight_kg, after.problem,
            after.updated_at) == snapshot
    assert db.session.scalar(select(func.count(AuditLog.id))
                             .where(AuditLog.action == "repair.correct")) == 0


def test_the_year_of_manufacture_is_not_after_the_events(staff_client, repair_cafe, app, db):
    last_year = datetime(date.today().year - 1, 6, 6, 12, tzinfo=timezone.utc)
    add_repair_cafe(app, repair_cafe["site"], last_year, "rc-last-year")
    response = log(staff_client, "rc-last-year", category_id=repair_cafe["toaster"],
                   year_of_manufacture=str(date.today().year))
    assert response.status_code == 200
    assert f"entre 1900 et {last_year.year}" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(RepairItem.id))) == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_members_and_visitors_cannot_correct(client, member_client, staff_client, repair_cafe,
                                             db, method):
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"], brand="Seb")
    item = items(db)[0]
    url = f"/events/{repair_cafe['slug']}/repairs/{item.id}/edit"
    form = {**FORM, "category_id": repair_cafe["toaster"], "brand": "Pirate"}
    answers = [c.open(url, method=method, data=form if method == "POST" else None)
               for c in (member_client, client)]
    assert answers[0].status_code == 403
    assert answers[1].status_code == 302 and "/login" in answers[1].headers["Location"]
    assert items(db)[0].brand == "Seb"


def test_an_object_is_corrected_through_its_own_event_only(staff_client, repair_cafe, app, db):
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"], brand="Seb")
    item = items(db)[0]
    add_repair_cafe(app, repair_cafe["site"], datetime.now(timezone.utc), "rc-other")
    assert staff_client.get(f"/events/rc-other/repairs/{item.id}/edit").status_code == 404
    assert correct(staff_client, "rc-other", item.id, category_id=repair_cafe["toaster"],
                   brand="Pirate").status_code == 404
    for missing in ("999999", "99999999999999999999"):  # none, and beyond any row id
        assert staff_client.get(f"/events/{repair_cafe['slug']}/repairs/{missing}/edit"
                                ).status_code == 404
    assert items(db)[0].brand == "Seb"


# --- the public page and the Open Repair Data Standard export --------------------------------


def test_public_page_and_csv_show_figures_and_no_person(client, staff_client, staff, repair_cafe,
                                                        member):
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["laptop"], owner=member.email,
        problem="Très lent", repairer_id=staff.id)
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"],
        owner_first_name="Nadia", problem="Écrivez à nadia.dupont@example.org")
    page = client.get("/repair-cafe").get_data(as_text=True)
    assert "3.3 kg" in page and "132 kg" in page
    assert member.name not in page and "Nadia" not in page
    text = client.get("/repair-cafe/items.csv").get_data(as_text=True)
    assert "Laptop" in text and "Portable test" in text and "Très lent" in text
    for person in (member.name, member.email, "Nadia", "nadia.dupont", staff.name, staff.email):
        assert person not in text
    assert "Écrivez à [e-mail]" in text  # the standard: no e-mail address in a problem


def ords_violations(header, rows):
    """Every rule of ORDS 0.3 that the export breaks, as readable lines."""
    problems = []
    if header != ORDS["fields"]:
        problems.append(f"header {header} is not {ORDS['fields']}")
    ids = [row.get("id") for row in rows]
    if len(set(ids)) != len(ids):
        problems.append("id is not unique")
    for row in rows:
        where = f"row id={row.get('id')}"
        if len(row) != len(ORDS["fields"]):
            problems.append(f"{where}: {len(row)} values")
        for name in ORDS["required"]:
            if not row.get(name, "").strip():
                problems.append(f"{where}: required {name} is empty")
        category, category_id = row["product_category"], row["product_category_id"]
        if category or category_id:
            if not re.fullmatch(r"[0-9]{1,2}", category_id) or \
                    PRODUCT_CATEGORIES.get(int(category_id)) != category:
                problems.append(f"{where}: product category {category_id!r} {category!r} "
                                "is not a pair of the codelist")
        if row["repair_status"] not in REPAIR_STATUS:
            problems.append(f"{where}: repair_status {row['repair_status']!r}")
        barrier = row["repair_barrier_if_end_of_life"]
        if barrier and (barrier not in REPAIR_BARRIERS or row["repair_status"] != "End of life"):
            problems.append(f"{where}: repair_barrier_if_end_of_life {barrier!r}")
        for name in ("event_date", "record_date"):
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[name]):
                problems.append(f"{where}: {name} {row[name]!r} is not YYYY-MM-DD")
            else:
                date.fromisoformat(row[name])  # a real date
        year, age = row["year_of_manufacture"], row["product_age"]
        if year and not re.fullmatch(r"\d{4}", year):
            problems.append(f"{where}: year_of_manufacture {year!r} is not YYYY")
        if age and not re.fullmatch(r"\d+(\.\d)?", age):
            problems.append(f"{where}: product_age {age!r} is not a float with 0 or 1 decimal")
        if year and age and float(age) != int(row["event_date"][:4]) - int(year):
            problems.append(f"{where}: product_age {age} is not event_date minus {year}")
        if not re.fullmatch(r"[A-Z]{3}", row["country"]) or \
                pycountry.countries.get(alpha_3=row["country"]) is None:
            problems.append(f"{where}: country {row['country']!r} is not ISO 3166-1 alpha-3")
    return problems


def test_the_export_follows_the_open_repair_data_standard(client, staff_client, repair_cafe, db):
    slug = repair_cafe["slug"]
    log(staff_client, slug, category_id=repair_cafe["laptop"], brand="Lenovo",
        year_of_manufacture="2015", weight_kg="2.5")
    log(staff_client, slug, category_id=repair_cafe["toaster"], outcome="repairable",
        barrier="spare_parts_unavailable")  # a barrier the standard keeps for end of life
    log(staff_client, slug, category_id=repair_cafe["toaster"], outcome="end_of_life",
        barrier="too_worn_out", year_of_manufacture="1998")
    log(staff_client, slug, category_id=repair_cafe["toaster"], outcome="end_of_life",
        barrier="cannot_open")
    log(staff_client, slug, category_id=repair_cafe["bike"], problem="Freins")  # unpowered
    header, rows, raw = export(client)
    assert ords_violations(header, rows) == []
    assert len(rows) == 5
    by_id = {int(row["id"]): row for row in rows}
    laptop, repairable, worn, closed, bike = (by_id[i.id] for i in items(db))
    event_year = int(laptop["event_date"][:4])
    assert (laptop["partner_product_category"], laptop["product_category"],
            laptop["product_category_id"], laptop["brand"], laptop["year_of_manufacture"],
            laptop["product_age"], laptop["repair_status"]) == (
        "Portable test", "Laptop", "16", "Lenovo", "2015", str(event_year - 2015), "Fixed")
    assert (repairable["repair_status"], repairable["repair_barrier_if_end_of_life"]) == (
        "Repairable", "")
    assert worn["repair_barrier_if_end_of_life"] == "Item too worn out"
    assert closed["repair_barrier_if_end_of_life"] == "No way to open product"
    assert (bike["partner_product_category"], bike["product_category"],
            bike["product_category_id"]) == ("Vélo test", "", "")
    assert {row["country"] for row in rows} == {"FRA"}
    assert {row["data_provider"] for row in rows} == {"Fablab"}
    assert export(client)[2] == raw  # the same records, ids included, on every download


def test_event_date_is_the_local_date_and_record_date_the_last_change(
        client, staff_client, staff, repair_cafe, app, db):
    # 00:30 in Paris on the 1st of March is still the 28th of February in UTC.
    starts_at = datetime(2026, 3, 1, 0, 30, tzinfo=PARIS)
    add_repair_cafe(app, repair_cafe["site"], starts_at, "rc-night")
    with freeze_time(datetime(2026, 3, 1, 0, 45, tzinfo=PARIS)):  # 23:45 UTC on the 28th
        login(staff_client, staff)  # a session signed at the frozen time
        assert log(staff_client, "rc-night", category_id=repair_cafe["toaster"]).status_code == 302
        (row,) = export(client)[1]
    assert (row["event_date"], row["record_date"]) == ("2026-03-01", "2026-03-01")
    item = items(db)[0]
    with freeze_time(datetime(2026, 3, 5, 10, 0, tzinfo=PARIS)):
        login(staff_client, staff)
        assert correct(staff_client, "rc-night", item.id, category_id=repair_cafe["toaster"],
                       brand="Seb").status_code == 302
        (corrected,) = export(client)[1]
    assert (corrected["id"], corrected["event_date"], corrected["record_date"]) == (
        row["id"], "2026-03-01", "2026-03-05")


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://evil")', "+33 6", "-2+3", "@SUM(A1)"])
def test_typed_values_never_run_as_spreadsheet_formulas(client, staff_client, repair_cafe, typed):
    log(staff_client, repair_cafe["slug"], category_id=repair_cafe["toaster"], brand=typed,
        problem=typed + " !")
    (row,) = export(client)[1]
    assert (row["brand"], row["problem"]) == ("'" + typed, "'" + typed + " !")


@pytest.mark.parametrize("typed", ["\t=cmd", "\r=cmd"])
def test_a_leading_tab_or_return_is_quoted_too(client, repair_cafe, app, typed):
    from fablab.extensions import db

    with app.app_context():  # the form strips them: written here directly
        db.session.add(RepairItem(event_id=repair_cafe["event_id"], brand=typed, problem="x",
                                  category_id=repair_cafe["toaster"], outcome="fixed"))
        db.session.commit()
    (row,) = export(client)[1]
    assert row["brand"] == "'" + typed


def test_seeded_categories_each_map_to_an_ords_category(tmp_path):
    """The migration maps each seeded powered category to one product category of the
    standard; the unpowered ones (textile, bicycle, furniture, other) have none."""
    from flask_migrate import upgrade

    from fablab import create_app
    from fablab.extensions import db
    from tests.conftest import base_config

    app = create_app(base_config(f"sqlite:///{tmp_path / 'seeded.sqlite'}"))
    with app.app_context():
        upgrade()
        categories = db.session.scalars(select(RepairCategory)).all()
        db.engine.dispose()
    powered = {c.name: c.ords_category_id for c in categories if c.powered}
    assert len(powered) == 23 and all(i in PRODUCT_CATEGORIES for i in powered.values())
    assert (powered["Grille-pain"], powered["Ordinateur portable"],
            powered["Téléphone portable"]) == (31, 16, 19)
    assert {c.ords_category_id for c in categories if not c.powered} == {None}


def test_the_applications_codelists_are_the_standards():
    """The application's copy (events/ords.py) against the test's (ords_0_3.toml)."""
    from fablab.events import ords
    from fablab.events.models import REPAIR_BARRIERS as BARRIER_KEYS
    from fablab.events.models import REPAIR_OUTCOMES

    assert list(ords.COLUMNS) == ORDS["fields"]
    assert ords.PRODUCT_CATEGORIES == PRODUCT_CATEGORIES
    assert set(ords.REPAIR_STATUS) == set(REPAIR_OUTCOMES)
    assert set(ords.REPAIR_STATUS.values()) <= REPAIR_STATUS
    assert set(ords.REPAIR_BARRIERS) == set(BARRIER_KEYS)
    assert set(ords.REPAIR_BARRIERS.values()) == REPAIR_BARRIERS  # each barrier can be said
