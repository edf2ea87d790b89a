"""A small fixed lab in March 2025, whose figures are computed by hand in
``test_figures.py``: two sites, five members (one erased under the GDPR), visits,
open slots, bookings, events with registrations and animators, repair-café items and
loans, plus rows just outside the month that must not count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import pytest

from fablab.extensions import db as _db

PARIS_TZ = "Europe/Paris"


def at(day: str, hour: int, minute: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(date.fromisoformat(day), time(hour, minute), ZoneInfo(PARIS_TZ))


@dataclass
class Lab:
    site_a: int
    site_b: int
    staff_id: int
    member_ids: dict[str, int]


@pytest.fixture
def staff_client(login_as, create_member):
    staff = create_member(name="Rita Rapport", email="rita@example.org", role="staff",
                          locale="en")
    return login_as(staff)


@pytest.fixture
def lab(app) -> Lab:
    from fablab.accounts.models import User
    from fablab.accounts.services import anonymise
    from fablab.booking.models import Booking, OpenSlot
    from fablab.core.models import Site
    from fablab.desk.models import Visit
    from fablab.events.models import Event, Registration, RepairCategory, RepairItem
    from fablab.loans.models import Item, Loan
    from fablab.machines.models import Resource
    from fablab.memberships.models import Membership, Tariff

    with app.app_context():
        s = _db.session
        site_a = Site(name="Atelier", slug="atelier", timezone=PARIS_TZ)
        site_b = Site(name="Annexe", slug="annexe", timezone=PARIS_TZ)
        standard = Tariff(code="standard", name="Standard", position=0)
        student = Tariff(code="student", name="Étudiant", position=1)
        staff = User(name="Sam Staff", email="sam@example.org", role="staff")
        m1 = User(name="Ana", email="ana@example.org", birth_year=1990, commune="Villeurbanne")
        m2 = User(name="Ben", email="ben@example.org", birth_year=2010, commune="Lyon")
        m3 = User(name="Cléo", email="cleo@example.org", birth_year=1950, commune="Villeurbanne")
        m4 = User(name="Dan", email="dan@example.org", birth_year=1985, commune="Villeurbanne",
                  phone="0600000000")
        m5 = User(name="Eva", email="eva@example.org", birth_year=1980, commune="Villeurbanne")
        s.add_all([site_a, site_b, standard, student, staff, m1, m2, m3, m4, m5])
        s.flush()

        def membership(member, tariff, start, end):
            s.add(Membership(member_id=member.id, tariff_id=tariff.id,
                             starts_on=date.fromisoformat(start), ends_on=date.fromisoformat(end),
                             payment_method="card"))

        membership(m1, standard, "2025-01-01", "2025-12-31")
        membership(m2, student, "2025-03-10", "2026-03-09")  # new in March
        membership(m3, standard, "2024-03-01", "2025-03-05")
        membership(m4, standard, "2025-03-01", "2026-02-28")  # new in March, then erased
        membership(m5, standard, "2025-02-01", "2026-01-31")
        membership(staff, standard, "2025-04-01", "2026-03-31")  # April: not in March

        def visit(site, day, member=None, **fields):
            s.add(Visit(site_id=site.id, day=date.fromisoformat(day), at=at(day, 15),
                        member_id=getattr(member, "id", None),
                        source="scan" if member else "walk_in", **fields))

        visit(site_a, "2025-03-05", m1, reason="open_lab")
        visit(site_a, "2025-03-12", m1, reason="open_lab")
        visit(site_a, "2025-03-05", m2, reason="workshop")
        visit(site_a, "2025-03-20", m4, reason="repair_cafe")
        visit(site_a, "2025-03-05", age_group="18-25", commune="Bron", reason="open_lab")
        visit(site_a, "2025-03-05", age_group="18-25", commune="Bron", reason="coworking")
        visit(site_a, "2025-03-05", commune="")
        visit(site_b, "2025-03-12", age_group="0-11", commune="Bron", reason="workshop")
        visit(site_a, "2025-04-01", m1, reason="open_lab")  # outside
        visit(site_a, "2025-02-28", age_group="60+", commune="Lyon")  # outside

        s.add_all([
            OpenSlot(site_id=site_a.id, starts_at=at("2025-03-05", 14),
                     ends_at=at("2025-03-05", 18)),
            OpenSlot(site_id=site_a.id, starts_at=at("2025-03-12", 14),
                     ends_at=at("2025-03-12", 18)),
            OpenSlot(site_id=site_a.id, starts_at=at("2025-03-19", 14),
                     ends_at=at("2025-03-19", 18), cancelled_at=at("2025-03-18", 9)),
            OpenSlot(site_id=site_b.id, starts_at=at("2025-03-06", 10),
                     ends_at=at("2025-03-06", 12)),
        ])
        laser = Resource(site_id=site_a.id, kind="machine", name="Laser", slug="laser")
        printer = Resource(site_id=site_a.id, kind="machine", name="Imprimante 3D", slug="printer")
        room = Resource(site_id=site_a.id, kind="room", name="Salle", slug="salle")
        s.add_all([laser, printer, room])
        s.flush()

        def booking(resource, member, day, start, end, **fields):
            s.add(Booking(resource_id=resource.id, member_id=member.id,
                          starts_at=at(day, *start), ends_at=at(day, *end), **fields))

        booking(laser, m1, "2025-03-05", (14,), (16,), status="confirmed",
                checked_in_at=at("2025-03-05", 14, 5))
        booking(laser, m2, "2025-03-05", (16,), (17, 30), status="confirmed", no_show=True)
        booking(laser, m1, "2025-03-12", (14,), (15,), status="confirmed",
                checked_in_at=at("2025-03-12", 14))
        booking(laser, m2, "2025-03-12", (15,), (16,), status="cancelled")
        booking(room, m1, "2025-03-12", (14,), (18,), status="confirmed")
        booking(printer, m5, "2025-03-12", (14,), (17,), status="confirmed")
        booking(laser, m5, "2025-04-02", (14,), (16,), status="confirmed")  # outside

        def event(site, kind, audience, capacity, day, start, end, status="published",
                  animators=()):
            e = Event(site_id=site.id, kind=kind, audience=audience, capacity=capacity,
                      title=f"{kind} {day}", slug=f"{kind}-{day}-{site.slug}", status=status,
                      starts_at=at(day, start), ends_at=at(day, end), animators=list(animators))
            s.add(e)
            s.flush()
            return e

        e1 = event(site_a, "workshop", "adults", 10, "2025-03-05", 14, 17, animators=[staff])
        e2 = event(site_a, "repair_cafe", "everyone", 8, "2025-03-08", 14, 18,
                   animators=[staff, m1])
        event(site_a, "workshop", "children", 6, "2025-03-12", 10, 12, status="cancelled",
              animators=[staff])
        event(site_a, "club", "teens", 5, "2025-03-14", 17, 19, status="draft")
        event(site_b, "workshop", "adults", 4, "2025-03-20", 18, 20, animators=[m5])
        event(site_a, "talk", "adults", 30, "2025-04-03", 18, 20)  # outside

        def registration(e, member, status="confirmed", **fields):
            s.add(Registration(event_id=e.id, member_id=member.id, participant_key=f"m:{member.id}",
                               status=status, **fields))

        registration(e1, m1, attended_at=at("2025-03-05", 14))
        registration(e1, m2)
        registration(e1, m3, status="cancelled")
        registration(e1, m5, promoted_at=at("2025-03-01", 9), attended_at=at("2025-03-05", 14))
        registration(e2, m1, attended_at=at("2025-03-08", 14))
        registration(e2, m4, status="waitlisted")

        toaster = RepairCategory(name="Grille-pain test", weight_kg=1.5, co2e_kg=20)
        lamp = RepairCategory(name="Lampe test", weight_kg=2.0, co2e_kg=10)
        s.add_all([toaster, lamp])
        s.flush()
        for category, outcome in ((toaster, "fixed"), (toaster, "end_of_life"), (lamp, "fixed")):
            s.add(RepairItem(event_id=e2.id, category_id=category.id, outcome=outcome))

        drill = Item(code="OBJ-T1", site_id=site_a.id, name="Perceuse")
        saw = Item(code="OBJ-T2", site_id=site_a.id, name="Scie")
        ladder = Item(code="OBJ-T3", site_id=site_b.id, name="Échelle")
        s.add_all([drill, saw, ladder])
        s.flush()

        def loan(item, member, out, due, returned=None):
            s.add(Loan(item_id=item.id, member_id=member.id, checked_out_at=at(out, 10),
                       due_on=date.fromisoformat(due),
                       returned_at=at(returned, 10) if returned else None))

        loan(drill, m1, "2025-03-03", "2025-03-10", "2025-03-09")
        loan(drill, m2, "2025-03-11", "2025-03-18", "2025-03-20")  # late
        loan(saw, m1, "2025-03-15", "2025-03-22")  # still out: overdue
        loan(drill, m5, "2025-04-02", "2025-04-09", "2025-04-05")  # outside
        loan(ladder, m2, "2025-03-05", "2025-03-12", "2025-03-12")
        s.flush()
        anonymise(m4)  # GDPR erasure: still counted, anonymously
        s.commit()
        result = Lab(site_a.id, site_b.id, staff.id,
                     {"m1": m1.id, "m2": m2.id, "m3": m3.id, "m4": m4.id, "m5": m5.id})
        s.remove()
    return result
