"""The report's figures for March 2025 on the fixed lab of conftest.py, against
expectations computed by hand (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from fablab.reports import services


def report(app, lab, **args):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        period = services.parse_period(MultiDict(args))
        built = services.build_report(period)
        tables = {t.key: (t.columns, t.display_rows()) for t in built.tables}
        return built, tables


def rows(tables, key):
    return tables[key][1]


def test_march_at_the_main_site(app, lab):
    built, tables = report(app, lab, month="2025-03", site=str(lab.site_a))
    assert (built.period.start, built.period.end) == (date(2025, 3, 1), date(2025, 3, 31))
    # Visits: Ana twice, Ben, Dan (erased since) and three walk-ins.
    assert built.visits["total"] == 7
    assert built.visits["people"] == 6
    assert built.visits["walk_ins"] == 3
    assert rows(tables, "visits_by_month") == [["March 2025", 7, 3]]
    assert sorted(rows(tables, "visits_by_reason")) == sorted(
        [["Open lab", 3], ["Workshop", 1], ["Repair café", 1], ["Coworking", 1],
         ["Not given", 1]])
    # Two walk-ins aged 18-25 and one with no age: both cells are under 3.
    assert sorted(rows(tables, "walk_ins_by_age")) == [["18 to 25", "< 3"], ["Not given", "< 3"]]
    assert rows(tables, "walk_ins_by_commune") == [["Bron", "< 3"], ["Not given", "< 3"]]
    # Machines: 8 h of open access (a cancelled slot and the other site's do not count).
    assert built.machines["offered_hours"] == 8.0
    assert rows(tables, "machine_hours") == [
        ["Imprimante 3D", 1, 3.0, 0.0, 0, 0.0],
        ["Laser", 3, 4.5, 3.0, 1, 33.3],
        ["Total", 4, 7.5, 3.0, 1, 25.0],
    ]
    # Events: the workshop (3 seats taken of 10, 2 came, 1 promoted) and the repair café.
    assert (built.events["events"], built.events["seats"], built.events["registrations"],
            built.events["attendance"], built.events["fill_rate"],
            built.events["promotions"]) == (2, 18, 4, 3, 22.2, 1)
    assert rows(tables, "events_by_kind") == [
        ["Repair café", 1, 8, 1, 1, 12.5, 0],
        ["Workshop", 1, 10, 3, 2, 30.0, 1],
        ["Total", 2, 18, 4, 3, 22.2, 1],
    ]
    assert rows(tables, "events_by_audience") == [
        ["Adults", 1, 10, 3, 2, 30.0, 1],
        ["Everyone", 1, 8, 1, 1, 12.5, 0],
        ["Total", 2, 18, 4, 3, 22.2, 1],
    ]
    # Lending: three loans to two borrowers, one returned late, one still out and overdue.
    assert (built.lending["loans"], built.lending["borrowers"], built.lending["late"]) == (3, 2, 2)
    assert rows(tables, "most_borrowed") == [["OBJ-T1", "Perceuse", 2], ["OBJ-T2", "Scie", 1]]
    # Repair café: 3 items, 2 fixed; 3.5 kg and (20 + 10) × 0.5 kg CO2e avoided.
    assert (built.repair.items, built.repair.fixed) == (3, 2)
    assert built.repair.waste_kg == pytest.approx(3.5)
    assert built.repair.co2e_kg == pytest.approx(15.0)
    # Animators: 3 h × 1 at the workshop, 4 h × 2 at the repair café.
    assert built.volunteers == {"hours": 11.0, "animators": 2, "events": 2}
    # No project in this lab.
    assert built.projects == {"documented": 0, "published": 0}


def test_projects_documented_and_published_in_the_period(app, lab):
    from fablab.extensions import db
    from fablab.projects.models import Project
    from tests.reports.conftest import at

    with app.app_context():
        db.session.add_all([
            # Started in February, published in March: published, not documented, in March.
            Project(title="Lampe", slug="lampe", status="published", created_at=at("2025-02-20", 10),
                    published_at=at("2025-03-02", 10)),
            Project(title="Station", slug="station", status="published",
                    created_at=at("2025-03-05", 10), published_at=at("2025-03-06", 10)),
            Project(title="Brouillon", slug="brouillon", created_at=at("2025-03-10", 10)),
            Project(title="Avril", slug="avril", created_at=at("2025-04-01", 10)),
        ])
        db.session.commit()
    built, tables = report(app, lab, month="2025-03")
    assert built.projects == {"documented": 2, "published": 2}
    built, tables = report(app, lab, month="2025-02")
    assert built.projects == {"documented": 1, "published": 0}


def test_march_at_every_site(app, lab):
    built, tables = report(app, lab, start="2025-03-01", end="2025-03-31")
    assert built.period.kind == "month" and built.period.site is None
    assert (built.visits["total"], built.visits["people"], built.visits["walk_ins"]) == (8, 7, 4)
    assert sorted(rows(tables, "walk_ins_by_age")) == [
        ["18 to 25", "< 3"], ["Not given", "< 3"], ["Under 12", "< 3"]]
    assert rows(tables, "walk_ins_by_commune") == [["Bron", 3], ["Not given", "< 3"]]
    assert built.machines["offered_hours"] == 10.0
    assert (built.events["events"], built.events["seats"],
            built.events["fill_rate"]) == (3, 22, 18.2)
    assert rows(tables, "events_by_kind")[1] == ["Workshop", 2, 14, 3, 2, 21.4, 1]
    assert (built.lending["loans"], built.lending["borrowers"], built.lending["late"]) == (4, 2, 2)
    assert rows(tables, "most_borrowed") == [
        ["OBJ-T1", "Perceuse", 2], ["OBJ-T2", "Scie", 1], ["OBJ-T3", "Échelle", 1]]
    assert built.volunteers == {"hours": 13.0, "animators": 3, "events": 3}


def test_members_count_the_erased_one_anonymously(app, lab):
    built, tables = report(app, lab, month="2025-03")
    # Ana, Ben, Cléo (until 5 March), Dan (erased) and Eva; Ben and Dan are new.
    assert (built.members["members"], built.members["new"]) == (5, 2)
    assert rows(tables, "members_by_tariff") == [["Standard", 4], ["Student", 1]]
    assert sorted(rows(tables, "members_by_age")) == [
        ["12 to 17", "< 3"], ["26 to 59", 3], ["60 and over", "< 3"]]
    # Dan's commune went with his erasure: he counts under "Not given".
    assert rows(tables, "members_by_commune") == [
        ["Villeurbanne", 3], ["Lyon", "< 3"], ["Not given", "< 3"]]


def test_a_year_and_an_empty_period(app, lab):
    built, tables = report(app, lab, year="2025", site=str(lab.site_a))
    assert built.visits["total"] == 9  # February's walk-in, March and the April visit
    assert rows(tables, "visits_by_month") == [["February 2025", 1, 1], ["March 2025", 7, 3],
                                               ["April 2025", 1, 0]]
    built, tables = report(app, lab, month="2023-01")
    assert built.visits["total"] == 0 and rows(tables, "machine_hours") == []
    assert built.events["fill_rate"] == 0.0 and built.repair.items == 0


def test_the_page_and_its_csv(app, lab, staff_client):
    page = staff_client.get(f"/reports?month=2025-03&site={lab.site_a}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="figure-visits">7<' in html and 'id="figure-people">6<' in html
    assert "&lt; 3" in html and "<svg" in html and "<desc" in html
    assert 'id="figure-projects"' in html
    csv = staff_client.get(f"/reports/export.csv?table=machine_hours&month=2025-03"
                           f"&site={lab.site_a}")
    assert csv.status_code == 200
    assert csv.mimetype == "text/csv"
    assert "attachment" in csv.headers["Content-Disposition"]
    body = csv.get_data()
    assert body.startswith("\ufeff".encode())  # the BOM
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == ("Machine;Bookings;Hours booked;Hours used (checked in);No-shows;"
                        "No-show rate (%)")
    assert lines[2] == "Laser;3;4.50;3.00;1;33.30"
    commune = staff_client.get("/reports/export.csv?table=members_by_commune&month=2025-03")
    assert commune.get_data().decode("utf-8-sig").splitlines()[1:] == [
        "Villeurbanne;3", "Lyon;< 3", "Not given;< 3"]


def test_french_csv_uses_decimal_commas(app, lab, login_as, create_member):
    staff = create_member(name="Rémi", email="remi@example.org", role="staff", locale="fr")
    client = login_as(staff)
    csv = client.get(f"/reports/export.csv?table=machine_hours&month=2025-03&site={lab.site_a}")
    assert "Laser;3;4,50;3,00;1;33,30" in csv.get_data().decode("utf-8-sig")


def test_every_table_downloads_as_the_page_shows_it(app, lab, staff_client):
    built, tables = report(app, lab, month="2025-03", site=str(lab.site_a))
    for key in services.TABLE_KEYS:
        response = staff_client.get(f"/reports/export.csv?table={key}&month=2025-03"
                                    f"&site={lab.site_a}")
        assert response.status_code == 200, key
        assert response.headers["Content-Disposition"].endswith(
            f'{key}_2025-03-01_2025-03-31_atelier.csv"')
        lines = response.get_data().decode("utf-8-sig").splitlines()
        columns, rows = tables[key]
        assert lines[0] == ";".join(columns), key
        assert len(lines) == 1 + len(rows), key
