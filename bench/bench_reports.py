"""A one-year activity report of a busy lab renders in under a second.

The lab: 10,000 members with their memberships, 50,000 visits, 100,000 bookings on 20
machines, 300 open slots, 3,000 events with 24,000 registrations and their animators,
1,000 items with 30,000 loans, 2,000 repair-café items; all written with bulk inserts.
Measured: the report's figures (every query), the report page as staff get it, a CSV
table, and the desk's today screen.

    python -m bench.run reports
    FABLAB_BENCH_DATABASE_URL=postgresql://... python -m bench.run reports
"""

from __future__ import annotations

import random
import time as clock
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import insert, select

from bench.harness import Harness, bench_app

YEAR = 2025
MEMBERS = 10_000
VISITS = 50_000
BOOKINGS = 100_000
MACHINES = 20
EVENTS = 3_000
SEATS_TAKEN = 8
ITEMS = 1_000
LOANS = 30_000
REPAIRS = 2_000
CHUNK = 5_000


def _bulk(session, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table), rows[start:start + CHUNK])


def _moment(rng: random.Random, day_offset_max: int = 364) -> datetime:
    day = date(YEAR, 1, 1) + timedelta(days=rng.randint(0, day_offset_max))
    return datetime.combine(day, time(rng.randint(8, 20), 0), timezone.utc)


def populate(app) -> int:
    """Write the busy lab; returns the id of a staff member."""
    from fablab.accounts.models import User
    from fablab.booking.models import Booking, OpenSlot
    from fablab.core.models import Site
    from fablab.desk.models import AGE_GROUPS, VISIT_REASONS, Visit
    from fablab.events.models import (AUDIENCES, EVENT_KINDS, Event, RepairCategory, RepairItem,
                                      Registration, event_animators)
    from fablab.extensions import db
    from fablab.loans.models import Item, Loan
    from fablab.machines.models import Resource
    from fablab.memberships.models import Membership, Tariff

    rng = random.Random(2025)
    now = datetime.now(timezone.utc)
    with app.app_context():
        s = db.session
        sites = [Site(name="Fablab", slug="fablab"), Site(name="Annexe", slug="annexe")]
        tariffs = [Tariff(code=c, name=c.title(), position=i)
                   for i, c in enumerate(("standard", "solidarity", "student", "child"))]
        staff = User(name="Bench Staff", email="staff@bench.example.org", role="staff")
        s.add_all(sites + tariffs + [staff])
        s.flush()
        site_ids, tariff_ids = [x.id for x in sites], [t.id for t in tariffs]
        communes = ["Villeurbanne", "Lyon", "Bron", "Vaulx-en-Velin", "Décines", "", "Caluire"]
        _bulk(s, User.__table__, [
            {"name": f"Membre {i}", "email": f"m{i}@bench.example.org", "role": "member",
             "locale": "fr", "phone": "", "commune": rng.choice(communes),
             "birth_year": rng.randint(1940, 2018), "card_code": f"M-B{i:06d}",
             "active": True, "password_hash": "", "created_at": now}
            for i in range(MEMBERS)])
        member_ids = s.scalars(select(User.id).where(User.role == "member")).all()
        memberships = []
        for member_id in member_ids:
            start = date(YEAR - 1, 1, 1) + timedelta(days=rng.randint(0, 700))
            memberships.append({"member_id": member_id, "tariff_id": rng.choice(tariff_ids),
                                "starts_on": start, "ends_on": start + timedelta(days=364),
                                "amount_cents": 3000, "payment_method": "card",
                                "note": "", "created_at": now})
        _bulk(s, Membership.__table__, memberships)

        visits, seen = [], set()
        while len(visits) < VISITS:
            day = date(YEAR, 1, 1) + timedelta(days=rng.randint(0, 364))
            site_id = rng.choice(site_ids)
            if rng.random() < 0.25:
                visits.append({"site_id": site_id, "day": day, "source": "walk_in",
                               "reason": rng.choice(VISIT_REASONS),
                               "age_group": rng.choice(AGE_GROUPS),
                               "commune": rng.choice(communes)})
            else:
                member_id = rng.choice(member_ids)
                if (site_id, day, member_id) in seen:
                    continue
                seen.add((site_id, day, member_id))
                visits.append({"site_id": site_id, "day": day, "member_id": member_id,
                               "source": "scan", "reason": "open_lab", "age_group": None,
                               "commune": ""})
        for row in visits:
            row.setdefault("member_id", None)
            row.update(at=datetime.combine(row["day"], time(15), timezone.utc), created_at=now)
        _bulk(s, Visit.__table__, visits)

        machines = [Resource(site_id=site_ids[i % 2], kind="machine", name=f"Machine {i}",
                             slug=f"machine-{i}") for i in range(MACHINES)]
        s.add_all(machines)
        s.flush()
        slot_starts = [_moment(rng) for _ in range(300)]
        _bulk(s, OpenSlot.__table__, [
            {"site_id": site_ids[i % 2], "starts_at": begins,
             "ends_at": begins + timedelta(hours=4), "capacity": 12, "note": "",
             "cancel_reason": "", "created_at": now}
            for i, begins in enumerate(slot_starts)])
        per_machine = BOOKINGS // MACHINES
        step = timedelta(minutes=(365 * 24 * 60) // per_machine)
        bookings = []
        for machine in machines:
            start = datetime(YEAR, 1, 1, tzinfo=timezone.utc)
            for n in range(per_machine):
                begins = start + n * step
                checked = rng.random() < 0.8
                bookings.append({
                    "resource_id": machine.id, "member_id": rng.choice(member_ids),
                    "starts_at": begins, "ends_at": begins + timedelta(minutes=60),
                    "status": "confirmed", "purpose": "", "quota_override": False,
                    "checked_in_at": begins if checked else None,
                    "no_show": not checked and rng.random() < 0.5,
                    "decision_reason": "", "cancel_reason": "", "created_at": now})
        _bulk(s, Booking.__table__, bookings)

        events = []
        for n in range(EVENTS):
            begins = _moment(rng)
            events.append({"site_id": rng.choice(site_ids), "kind": rng.choice(EVENT_KINDS),
                           "audience": rng.choice(AUDIENCES), "title": f"Atelier {n}",
                           "slug": f"atelier-{n}", "summary": "", "description": "",
                           "starts_at": begins, "ends_at": begins + timedelta(hours=2),
                           "capacity": 12, "status": "published", "requires_membership": False,
                           "cancel_reason": "", "sequence": 0, "created_at": now,
                           "updated_at": now})
        _bulk(s, Event.__table__, events)
        event_ids = s.scalars(select(Event.id)).all()
        registrations, animators = [], []
        for event_id in event_ids:
            for member_id in rng.sample(member_ids, SEATS_TAKEN):
                registrations.append({
                    "event_id": event_id, "member_id": member_id,
                    "participant_key": f"m:{member_id}", "status": "confirmed",
                    "attended_at": now if rng.random() < 0.8 else None,
                    "promoted_at": now if rng.random() < 0.05 else None,
                    "via_enrolment": False, "created_at": now})
            animators.append({"event_id": event_id, "user_id": staff.id})
        _bulk(s, Registration.__table__, registrations)
        _bulk(s, event_animators, animators)
        categories = s.scalars(select(RepairCategory.id)).all()
        _bulk(s, RepairItem.__table__, [
            {"event_id": rng.choice(event_ids), "category_id": rng.choice(categories),
             "outcome": rng.choice(("fixed", "repairable", "end_of_life")),
             "owner_first_name": "", "brand": "", "model": "", "problem": "", "notes": "",
             "created_at": now} for _ in range(REPAIRS)])

        _bulk(s, Item.__table__, [
            {"code": f"OBJ-{n:05d}", "site_id": site_ids[n % 2], "name": f"Objet {n}",
             "category": "Outillage", "description": "", "value_cents": 0, "deposit_cents": 0,
             "loan_days": 14, "max_renewals": 1, "location": "", "status": "available",
             "status_reason": "", "lendable_to": "all", "created_at": now, "updated_at": now}
            for n in range(ITEMS)])
        item_ids = s.scalars(select(Item.id)).all()
        loans = []
        for n in range(LOANS):
            out = _moment(rng, 340)
            back = out + timedelta(days=rng.randint(3, 20))
            loans.append({"item_id": item_ids[n % ITEMS], "member_id": rng.choice(member_ids),
                          "checked_out_at": out, "due_on": (out + timedelta(days=14)).date(),
                          "returned_at": back, "renewals": 0, "deposit_cents": 0,
                          "return_note": "", "notices_sent": 0})
        _bulk(s, Loan.__table__, loans)
        s.commit()
        staff_id = staff.id
        s.remove()
    return staff_id


def main(harness: Harness) -> None:
    app = bench_app()
    started = clock.perf_counter()
    staff_id = populate(app)
    print(f"      (dataset written in {clock.perf_counter() - started:.1f} s)", flush=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from sqlalchemy import text

        from fablab.extensions import db

        with app.app_context():
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
    from werkzeug.datastructures import MultiDict

    from fablab.extensions import db
    from fablab.reports import services

    def figures():
        with app.test_request_context():
            report = services.build_report(services.parse_period(MultiDict({"year": str(YEAR)})))
            assert report.visits["total"] == VISITS, report.visits["total"]
            db.session.remove()

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(staff_id)
        session["_fresh"] = True

    def page(url):
        def get():
            response = client.get(url)
            assert response.status_code == 200, response.status_code
        return get

    harness.measure("reports: one-year figures", 1000, figures, repeat=5)
    harness.measure("reports: one-year report page", 1000, page(f"/reports?year={YEAR}"), repeat=5)
    harness.measure("reports: one-year page, one site", 1000,
                    page(f"/reports?year={YEAR}&site=1"), repeat=5)
    harness.measure("reports: CSV of machine hours", 1000,
                    page(f"/reports/export.csv?table=machine_hours&year={YEAR}"), repeat=5)
    harness.measure("desk: today screen", 300, page("/desk"), repeat=5)
