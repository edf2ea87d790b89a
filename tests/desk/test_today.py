"""The desk's today screen and the visits it counts.

- Every arrival of a member (card scanned at the station, booking check-in, event
  attendance) is a visit, once per person, site and day, enforced by the database.
- The "+1 visitor" control counts walk-ins with optional anonymous details.
- /desk shows today's slots, bookings, events, loans, holds, requests and incidents,
  finds members by name, e-mail or card code, and runs the same number of SQL queries
  on a quiet day and on a busy one.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fablab.extensions import db as _db
from tests.support.db_helpers import local_day, save
from tests.support.query_counter import count_queries

_n = itertools.count(1)


def visits(db, **where):
    from fablab.desk.models import Visit

    db.session.expire_all()
    return db.session.scalars(select(Visit).filter_by(**where).order_by(Visit.id)).all()


@pytest.fixture
def day_builder(app, site, create_borrower, create_item, insert_loan, insert_hold):
    """``build(n)``: n of everything today at the site, and ids to find them."""
    from fablab.booking.models import Booking, OpenSlot
    from fablab.core.timeutil import utcnow
    from fablab.desk.models import Visit
    from fablab.events.models import Event, Registration
    from fablab.machines.models import Incident, Resource

    def build(n: int) -> dict:
        now = utcnow().replace(microsecond=0)
        k = next(_n)
        members = [create_borrower(name=f"Membre {k}-{i}", email=f"m{k}-{i}@example.org",
                                   phone=f"06 00 00 {k:02d} {i:02d}") for i in range(n)]
        out = {"members": members, "bookings": [], "registrations": [], "overdue": []}
        with app.app_context():
            s = _db.session
            slot = OpenSlot(site_id=site.id, starts_at=now - timedelta(hours=1),
                            ends_at=now + timedelta(hours=3))
            s.add(slot)
            s.flush()
            for i, member in enumerate(members):
                machine = Resource(site_id=site.id, kind="machine", name=f"Machine {k}-{i}",
                                   slug=f"machine-{k}-{i}")
                room = Resource(site_id=site.id, kind="room", name=f"Salle {k}-{i}",
                                slug=f"salle-{k}-{i}", requires_approval=True)
                s.add_all([machine, room])
                s.flush()
                booking = Booking(resource_id=machine.id, member_id=member.id, slot_id=slot.id,
                                  starts_at=now - timedelta(minutes=30),
                                  ends_at=now + timedelta(minutes=30), status="confirmed")
                s.add(booking)
                s.add(Booking(resource_id=room.id, member_id=member.id,
                              starts_at=now + timedelta(days=2),
                              ends_at=now + timedelta(days=2, hours=2), status="pending"))
                s.add(Incident(resource_id=machine.id, reported_by_id=member.id,
                               description=f"Panne {k}-{i}"))
                event = Event(site_id=site.id, kind="workshop", title=f"Atelier {k}-{i}",
                              slug=f"atelier-{k}-{i}", status="published", capacity=5,
                              starts_at=now - timedelta(minutes=30),
                              ends_at=now + timedelta(hours=1))
                s.add(event)
                s.flush()
                registrations = [Registration(event_id=event.id, member_id=m.id,
                                              participant_key=f"m:{m.id}", status="confirmed")
                                 for m in members]
                s.add_all(registrations)
                s.add(Visit(site_id=site.id, day=local_day(), source="walk_in",
                            commune="Bron"))
                s.flush()
                out["bookings"].append(booking.id)
                out["registrations"].append(registrations[0].id)
            s.commit()
        for i, member in enumerate(members):
            due = create_item(name=f"Ponceuse {k}-{i}")
            insert_loan(due, member, due_on=local_day())
            late = create_item(name=f"Scie {k}-{i}")
            insert_loan(late, member, due_on=local_day(-3))
            kept = create_item(name=f"Niveau {k}-{i}", status="held")
            insert_hold(kept, member, status="ready", expires_on=local_day(2))
        return out

    return build


# --- visits --------------------------------------------------------------------------------------


def test_a_member_card_scanned_twice_is_one_visit(desk_client, borrower, site, db):
    for _ in range(2):
        page = desk_client.post("/desk/scan", data={"code": borrower.card_code})
        assert "scan-ok" in page.get_data(as_text=True)
    [visit] = visits(db, member_id=borrower.id)
    assert (visit.site_id, visit.day, visit.source) == (site.id, local_day(), "scan")


def test_booking_check_in_and_attendance_make_one_visit_each_person(
        desk_client, day_builder, site, db):
    day = day_builder(2)
    first, second = day["members"]
    assert desk_client.post(f"/desk/bookings/{day['bookings'][0]}/check-in").status_code == 302
    [visit] = visits(db, member_id=first.id)
    assert (visit.source, visit.reason) == ("booking", "open_lab")
    # The same member marked at a workshop the same day: still one visit.
    desk_client.post(f"/desk/registrations/{day['registrations'][0]}/attend")
    assert len(visits(db, member_id=first.id)) == 1
    from fablab.events.models import Registration

    registration = db.session.get(Registration, day["registrations"][0])
    assert registration.attended_at is not None
    # A card scanned for the second member, then their booking checked in: one visit.
    desk_client.post("/desk/scan", data={"code": second.card_code})
    desk_client.post(f"/desk/bookings/{day['bookings'][1]}/check-in")
    assert [v.source for v in visits(db, member_id=second.id)] == ["scan"]
    page = desk_client.get(f"/desk?site={site.id}").get_data(as_text=True)
    assert 'id="visit-total">4<' in page  # two members and the two walk-ins of the day


def test_a_childs_attendance_is_the_childs_visit(app, run, desk, site, create_borrower, db):
    from fablab.accounts.models import Child
    from fablab.core.timeutil import utcnow
    from fablab.events import services as events
    from fablab.events.models import Event, Registration

    parent = create_borrower(name="Parent", email="parent@example.org")
    with app.app_context():
        child = save(Child(guardian_id=parent.id, first_name="Léo", birth_year=2016))
        event = save(Event(site_id=site.id, kind="repair_cafe", title="Repair", slug="repair-kid",
                           status="published", starts_at=utcnow(),
                           ends_at=utcnow() + timedelta(hours=2)))
        registration = save(Registration(event_id=event.id, member_id=parent.id,
                                         child_id=child.id, participant_key=f"c:{child.id}"))
    run(lambda r: events.set_attendance(desk, r), r=registration)
    [visit] = visits(db, child_id=child.id)
    assert (visit.member_id, visit.reason, visit.source) == (None, "repair_cafe", "event")


def test_the_database_refuses_a_second_visit_the_same_day(app, site, borrower):
    from fablab.desk import visits as service
    from fablab.desk.models import Visit

    with app.test_request_context():
        assert service.record_member_visit(site.id, member_id=borrower.id) is True
        assert service.record_member_visit(site.id, member_id=borrower.id,
                                           source="booking") is False
        _db.session.commit()
        _db.session.add(Visit(site_id=site.id, day=local_day(), member_id=borrower.id,
                              source="scan"))
        with pytest.raises(IntegrityError):
            _db.session.flush()
        _db.session.rollback()
        # Another day, or another site, is another visit.
        assert service.record_member_visit(site.id, member_id=borrower.id,
                                           day=local_day(-1)) is True
        _db.session.commit()
        assert _db.session.scalar(select(func.count(Visit.id))) == 2


def test_plus_one_visitor_with_anonymous_details(desk_client, site, db):
    response = desk_client.post("/desk/visitors", data={
        "site_id": site.id, "reason": "repair_cafe", "age_group": "60+",
        "commune": "  Vaulx-en-Velin ", "submit": "+1"})
    assert response.status_code == 302
    [visit] = visits(db, source="walk_in")
    assert (visit.member_id, visit.reason, visit.age_group, visit.commune, visit.day) == (
        None, "repair_cafe", "60+", "Vaulx-en-Velin", local_day())
    # Nothing given: still a visitor.
    desk_client.post("/desk/visitors", data={"site_id": site.id})
    assert [(v.reason, v.age_group, v.commune) for v in visits(db, source="walk_in")][1] == (
        None, None, "")
    page = desk_client.get(response.location).get_data(as_text=True)
    assert 'id="visit-total">2<' in page


@pytest.mark.parametrize("data, message", [
    ({"age_group": "99-100"}, "Please choose the details from the lists."),
    ({"reason": "party"}, "Please choose the details from the lists."),
    ({"site_id": "424242"}, "Unknown site."),
])
def test_bad_visitor_details_are_refused(desk_client, site, db, data, message):
    response = desk_client.post("/desk/visitors", data={"site_id": site.id, **data},
                                follow_redirects=True)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert visits(db) == []


def test_members_cannot_count_visitors(login_as, borrower, site, db):
    client = login_as(borrower)
    assert client.post("/desk/visitors", data={"site_id": site.id}).status_code == 403
    assert client.get("/desk").status_code == 403
    assert visits(db) == []


# --- the today screen ----------------------------------------------------------------------------


def test_today_shows_the_day_at_the_site(desk_client, day_builder, site, create_site):
    day = day_builder(1)
    [member] = day["members"]
    other = create_site(name="Annexe")
    page = desk_client.get(f"/desk?site={site.id}").get_data(as_text=True)
    assert f'action="/desk/bookings/{day["bookings"][0]}/check-in"' in page
    assert "Machine " in page and member.name in page
    assert "Seats taken: 1 / 5 · waiting list: 0 · arrived: 0" in page
    assert f'action="/desk/registrations/{day["registrations"][0]}/attend"' in page
    assert "Ponceuse" in page  # due back today
    assert "Scie" in page and f"tel:{member.phone.replace(' ', '')}" in page  # overdue: call
    assert f"mailto:{member.email}" in page
    assert "Niveau" in page  # kept for collection
    assert "Salle " in page  # a room request to answer
    assert "Panne " in page  # an open incident
    assert f'<option value="{other.id}"' in page  # a site selector: there are two sites
    # The other site's day is empty.
    other_page = desk_client.get(f"/desk?site={other.id}").get_data(as_text=True)
    assert "Panne " not in other_page and "No open-lab slot today." in other_page
    # An unknown site: a message and the first site, no error.
    unknown = desk_client.get("/desk?site=987654", follow_redirects=True)
    assert unknown.status_code == 200
    assert "Unknown site" in unknown.get_data(as_text=True)


def test_quick_search_by_name_email_or_card(desk_client, borrower, create_member, site):
    other = create_member(name="Zora Autre", email="zora@example.org")
    for query in ("bea bor", "bea@example", borrower.card_code.lower(),
                  f"https://lab.example.org/q/{borrower.card_code}"):
        page = desk_client.get("/desk", query_string={"q": query}).get_data(as_text=True)
        results = page[page.index('id="search-results"'):]
        assert borrower.name in results and other.name not in results, query
    page = desk_client.get("/desk?q=nobody-here").get_data(as_text=True)
    assert "No member found." in page


def test_the_desk_runs_as_many_queries_on_a_busy_day(app, desk_client, day_builder, site):
    url = f"/desk?site={site.id}&q=Membre"
    day_builder(1)
    quiet, _page = count_queries(app, desk_client, url)
    day_builder(4)
    busy, page = count_queries(app, desk_client, url)
    assert page.count("/check-in") == 5
    assert len(busy) == len(quiet), (len(quiet), len(busy))


def test_erasure_clears_the_home_commune_but_the_visit_stays(app, borrower, site, db):
    from fablab.accounts.models import User
    from fablab.accounts.services import anonymise, export_data
    from fablab.desk.visits import record_member_visit

    with app.test_request_context():
        user = _db.session.get(User, borrower.id)
        user.commune = "Bron"
        assert export_data(user)["account"]["commune"] == "Bron"
        record_member_visit(site.id, member_id=user.id)
        anonymise(user)
        _db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, borrower.id).commune == ""
    assert len(visits(db, member_id=borrower.id)) == 1
