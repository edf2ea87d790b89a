"""The iCalendar feeds: RFC 5545 details, parsed by icalendar and vobject;
local times across DST; UIDs, SEQUENCE and STATUS; HTTP validators and 304;
privacy of the public and machine feeds; the personal feed and its token."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from tests.agenda.conftest import at, dst_sunday, local_day, local_start, parse
from tests.support.query_counter import count_queries

CALENDAR_TYPE = "text/calendar; charset=utf-8"
REQUIRED = ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL", "CATEGORIES",
            "LAST-MODIFIED", "SEQUENCE", "STATUS", "LOCATION")


def get_feed(client, url, **headers):
    response = client.get(url, headers={"Accept-Language": "en", **headers})
    assert response.status_code == 200, (url, response.status_code)
    assert response.headers["Content-Type"] == CALENDAR_TYPE
    return response


# --- the public feed: structure ---------------------------------------------------------------


def test_public_feed_is_valid_rfc5545_with_local_times(client, create_event, create_slot, site):
    day = local_day(5)
    event = create_event(day=day, start="14:00", end="16:30", title="Atelier soudure",
                         summary="Apprendre à souder.", kind="workshop", audience="adults")
    slot = create_slot(day=day, start="17:00", end="21:00")

    response = get_feed(client, "/agenda.ics")
    body = response.get_data(as_text=True)
    events = parse(response.data)

    assert {"X-WR-CALNAME", "X-WR-TIMEZONE:Europe/Paris", "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
            "X-PUBLISHED-TTL:PT1H", "BEGIN:VTIMEZONE", "TZID:Europe/Paris"} <= {
        line if not line.startswith("X-WR-CALNAME") else "X-WR-CALNAME"
        for line in body.splitlines()}
    workshop = events[f"event-{event.id}@localhost"]
    for name in REQUIRED:
        assert name in workshop, name
    assert local_start(workshop) == ("14:00", "Europe/Paris")
    assert workshop["DTEND"].dt.strftime("%H:%M") == "16:30"
    assert workshop.decoded("DTSTART") == event.starts_at  # the same instant
    assert str(workshop["SUMMARY"]) == "Atelier soudure"
    assert str(workshop["DESCRIPTION"]) == "Apprendre à souder."
    assert str(workshop["STATUS"]) == "CONFIRMED"
    assert str(workshop["URL"]) == f"http://localhost/events/{event.slug}"
    assert site.address in str(workshop["LOCATION"])
    assert workshop["CATEGORIES"].cats == ["Workshop", "Adults"]
    open_lab = events[f"slot-{slot.id}@localhost"]
    assert str(open_lab["SUMMARY"]) == "Open lab"
    assert local_start(open_lab) == ("17:00", "Europe/Paris")


def test_slots_are_titled_in_the_visitors_language(client, create_slot):
    slot = create_slot()
    uid = f"slot-{slot.id}@localhost"
    french = parse(get_feed(client, "/agenda.ics", **{"Accept-Language": "fr"}).data)
    english = parse(get_feed(client, "/agenda.ics", **{"Accept-Language": "en"}).data)
    assert str(french[uid]["SUMMARY"]) == "Accès libre"
    assert str(english[uid]["SUMMARY"]) == "Open lab"


def test_uids_and_bytes_are_stable_across_two_builds(client, create_event, create_slot):
    create_event()
    create_event(day=local_day(9))
    create_slot()
    first = get_feed(client, "/agenda.ics")
    second = get_feed(client, "/agenda.ics")
    assert sorted(parse(first.data)) == sorted(parse(second.data))
    assert len(parse(first.data)) == 3
    assert first.data == second.data  # DTSTAMP is the last change, not the build time
    assert first.headers["ETag"] == second.headers["ETag"]


def test_window_is_30_days_back_to_365_ahead(client, create_event):
    inside = [create_event(day=local_day(-29)), create_event(day=local_day(364))]
    outside = [create_event(day=local_day(-32)), create_event(day=local_day(367))]
    uids = set(parse(get_feed(client, "/agenda.ics").data))
    assert {f"event-{e.id}@localhost" for e in inside} <= uids
    assert not {f"event-{e.id}@localhost" for e in outside} & uids


def test_drafts_never_appear(client, create_event):
    draft = create_event(status="draft", title="Brouillon secret")
    body = get_feed(client, "/agenda.ics").get_data(as_text=True)
    assert f"event-{draft.id}@" not in body and "Brouillon secret" not in body


def test_filters_by_kind_audience_and_site(client, create_event, create_slot, create_site):
    other_site = create_site(name="Annexe")
    repair = create_event(kind="repair_cafe", title="Repair café")
    kids = create_event(kind="workshop", audience="children", title="Robots enfants")
    annex = create_event(on_site=other_site, title="Atelier à l'annexe")
    slot = create_slot()

    def uids(query):
        return set(parse(get_feed(client, "/agenda.ics" + query).data))

    assert uids("?kind=repair_cafe") == {f"event-{repair.id}@localhost"}
    assert uids("?audience=children") == {f"event-{kids.id}@localhost"}  # no slots
    assert uids("?kind=open_lab") == {f"slot-{slot.id}@localhost"}
    assert uids(f"?site={other_site.id}") == {f"event-{annex.id}@localhost"}
    assert len(uids("")) == 4


@pytest.mark.parametrize("query", ["?kind=party", "?audience=cats", "?site=abc", "?site=-1"])
def test_malformed_filters_answer_400(client, query):
    response = client.get("/agenda.ics" + query, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert b"BEGIN:VCALENDAR" not in response.data


# --- SEQUENCE and STATUS -------------------------------------------------------------------


def test_moving_then_cancelling_an_event_raises_its_sequence(client, create_event, run, staff):
    from fablab.events import services

    event = create_event(day=local_day(6))
    uid = f"event-{event.id}@localhost"
    first = parse(get_feed(client, "/agenda.ics").data)[uid]
    assert int(first["SEQUENCE"]) == 0

    def move(event, staff):
        fields = {key: getattr(event, key) for key in (
            "title", "kind", "audience", "capacity", "site_id", "room_id", "summary",
            "description", "min_age", "max_age", "requires_membership")}
        fields.update(starts_at=at(local_day(8), "10:00"), ends_at=at(local_day(8), "12:00"))
        services.save_event(staff, event, **fields)

    run(move, event=event, staff=staff)
    moved = parse(get_feed(client, "/agenda.ics").data)[uid]
    assert int(moved["SEQUENCE"]) == 1 and local_start(moved) == ("10:00", "Europe/Paris")
    assert str(moved["STATUS"]) == "CONFIRMED"

    run(lambda event, staff: services.cancel_event(staff, event, "Animateur malade"),
        event=event, staff=staff)
    cancelled = parse(get_feed(client, "/agenda.ics").data)[uid]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 2
    assert "Animateur malade" in str(cancelled["DESCRIPTION"])


def test_a_cancelled_slot_stays_cancelled_with_a_higher_sequence(client, create_slot, run,
                                                                   staff):
    from fablab.booking import services

    slot = create_slot()
    uid = f"slot-{slot.id}@localhost"
    assert int(parse(get_feed(client, "/agenda.ics").data)[uid]["SEQUENCE"]) == 0
    run(lambda slot, staff: services.cancel_slot(staff, slot, "Fermé"), slot=slot, staff=staff)
    entry = parse(get_feed(client, "/agenda.ics").data)[uid]
    assert (str(entry["STATUS"]), int(entry["SEQUENCE"])) == ("CANCELLED", 1)


@pytest.mark.parametrize("month", [3, 10])
def test_a_series_across_a_dst_change_keeps_its_local_time(client, run, staff, site, month):
    from fablab.events.services import create_series

    sunday = dst_sunday(month)
    template = {"title": "Club robotique", "kind": "club", "audience": "teens", "capacity": 8,
                "summary": "", "description": "", "min_age": None, "max_age": None,
                "requires_membership": False, "room_id": None}
    run(lambda staff, site: create_series(staff, site, template, "weekly", 7, None, time(18),
                                          time(20), sunday - timedelta(days=7),
                                          sunday + timedelta(days=7), publish_now=True),
        staff=staff, site=site)

    events = parse(get_feed(client, "/agenda.ics").data)
    sessions = sorted((e.decoded("DTSTART"), e) for e in events.values()
                      if str(e["SUMMARY"]) == "Club robotique")
    assert len(sessions) == 3  # individual occurrences, no RRULE
    assert all("RRULE" not in e for _start, e in sessions)
    assert [local_start(e) for _start, e in sessions] == [("18:00", "Europe/Paris")] * 3
    assert [e.decoded("DTSTART").date() for _s, e in sessions] == [
        sunday - timedelta(days=7), sunday, sunday + timedelta(days=7)]
    offsets = [start.utcoffset() for start, _e in sessions]
    assert offsets[0] != offsets[2]  # the UTC time did change: the wall clock did not


# --- HTTP validators --------------------------------------------------------------------------


def test_304_on_if_none_match_without_building_the_feed(app, client, create_event,
                                                       monkeypatch):
    from fablab.agenda import ics

    create_event()
    first = get_feed(client, "/agenda.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified

    def explode(*args, **kwargs):
        raise AssertionError("the feed was built for a 304")

    monkeypatch.setattr(ics, "calendar", explode)
    statements = []
    from sqlalchemy import event as sa_event

    from fablab.extensions import db

    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa_event.listen(engine, "before_cursor_execute", listener)
    try:
        again = client.get("/agenda.ics", headers={"If-None-Match": etag,
                                                   "Accept-Language": "en"})
        since = client.get("/agenda.ics", headers={"If-Modified-Since": modified,
                                                   "Accept-Language": "en"})
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    weakened = client.get("/agenda.ics", headers={"If-None-Match": f"W/{etag}, \"other\"",
                                                  "Accept-Language": "en"})
    assert weakened.status_code == 304  # a proxy that compressed the feed weakens its ETag
    assert since.status_code == 304
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # the validator's row read for the first answer is reused within the second
    assert selects == []


def test_a_change_gives_a_new_etag(client, create_event, run, staff):
    from fablab.events.services import cancel_event

    event = create_event()
    etag = get_feed(client, "/agenda.ics").headers["ETag"]
    run(lambda event, staff: cancel_event(staff, event), event=event, staff=staff)
    response = client.get("/agenda.ics", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert "STATUS:CANCELLED" in response.get_data(as_text=True)


def test_a_later_change_defeats_if_modified_since(client, create_event):
    from fablab.core.timeutil import utcnow

    create_event()
    modified = get_feed(client, "/agenda.ics").headers["Last-Modified"]
    assert client.get("/agenda.ics", headers={"If-Modified-Since": modified,
                                              "Accept-Language": "en"}).status_code == 304
    # Last-Modified has a one-second resolution: a change a few seconds later.
    later = utcnow() + timedelta(seconds=3)
    create_event(day=local_day(10), created_at=later, updated_at=later)
    response = client.get("/agenda.ics", headers={"If-Modified-Since": modified,
                                                  "Accept-Language": "en"})
    assert response.status_code == 200
    assert len(parse(response.data)) == 2


# --- privacy ---------------------------------------------------------------------------------


@pytest.fixture
def private_world(create_member, create_event, create_slot, create_resource, insert_booking,
                  insert_registration, create_child, insert_loan, site):
    victim = create_member(name="Zoé Secrète", email="zoe.secrete@example.org")
    child = create_child(victim, 2016, first_name="Philomène")
    event = create_event(title="Atelier public")
    resource = create_resource(slug="laser-prive", name="Laser")
    slot = create_slot(note="Clé chez Zoé Secrète")
    booking = insert_booking(resource, victim, local_day(3), purpose="Cadeau pour Philomène",
                             slot_id=slot.id)
    cancelled = insert_booking(resource, victim, local_day(3), "16:00", "17:00",
                               status="cancelled", cancel_reason="Zoé malade")
    insert_registration(event, victim, child=child)
    insert_loan(victim, local_day(4), return_note="Rendu par Zoé")
    return {"victim": victim, "resource": resource, "booking": booking, "cancelled": cancelled,
            "event": event}


MARKERS = ("Zoé", "Secrète", "zoe.secrete", "Philomène", "Cadeau", "malade", "Clé chez")


def test_public_and_machine_feeds_name_nobody(client, private_world):
    for url in ("/agenda.ics", "/machines/laser-prive.ics",
                f"/events/{private_world['event'].slug}.ics"):
        body = get_feed(client, url).get_data(as_text=True)
        parse(body)
        for marker in MARKERS:
            assert marker.lower() not in body.lower(), (url, marker)


def test_machine_feed_shows_booked_times_as_busy(client, private_world, create_slot):
    events = parse(get_feed(client, "/machines/laser-prive.ics").data)
    busy = events[f"booking-{private_world['booking'].id}@localhost"]
    assert str(busy["SUMMARY"]) == "Booked"
    assert local_start(busy) == ("14:00", "Europe/Paris")
    assert str(busy["STATUS"]) == "CONFIRMED" and str(busy["TRANSP"]) == "OPAQUE"
    assert "DESCRIPTION" not in busy
    gone = events[f"booking-{private_world['cancelled'].id}@localhost"]
    assert (str(gone["STATUS"]), int(gone["SEQUENCE"])) == ("CANCELLED", 1)
    assert any(uid.startswith("slot-") for uid in events)


def test_unknown_or_inactive_machine_feed_is_404(client, create_resource):
    create_resource(slug="retired", active=False)
    assert client.get("/machines/no-such.ics").status_code == 404
    assert client.get("/machines/retired.ics").status_code == 404


# --- the personal feed -----------------------------------------------------------------------


def test_personal_feed_merges_bookings_registrations_loans(
        client, member, create_child, create_event, create_resource, insert_booking,
        insert_registration, insert_loan, feed_token):
    child = create_child(member, 2015, first_name="Jules")
    full = create_event(title="Robots", capacity=1, day=local_day(4))
    other = create_event(title="Couture", day=local_day(5))
    gone = create_event(title="Annulé", day=local_day(6))
    resource = create_resource(name="Imprimante 3D")
    booking = insert_booking(resource, member, local_day(2), "10:00", "12:00")
    mine = insert_registration(other, member)
    waiting = insert_registration(full, member, child=child, status="waitlisted")
    dropped = insert_registration(gone, member, status="cancelled")
    loan = insert_loan(member, local_day(9), name="Scie sauteuse", renewals=1)

    response = get_feed(client, f"/calendar/{feed_token(member)}.ics")
    events = parse(response.data)
    assert response.headers["Cache-Control"].startswith("private")
    b = events[f"booking-{booking.id}@localhost"]
    assert str(b["SUMMARY"]) == "Réservation : Imprimante 3D"  # the member's language: fr
    assert local_start(b) == ("10:00", "Europe/Paris")
    assert str(events[f"registration-{mine.id}@localhost"]["STATUS"]) == "CONFIRMED"
    child_entry = events[f"registration-{waiting.id}@localhost"]
    assert str(child_entry["STATUS"]) == "TENTATIVE"
    assert "Jules" in str(child_entry["SUMMARY"])
    cancelled = events[f"registration-{dropped.id}@localhost"]
    assert (str(cancelled["STATUS"]), int(cancelled["SEQUENCE"])) == ("CANCELLED", 1)
    due = events[f"loan-{loan.id}@localhost"]
    assert due.decoded("DTSTART") == local_day(9)  # all-day: VALUE=DATE
    assert due["DTSTART"].params.get("VALUE") == "DATE"
    assert due.decoded("DTEND") == local_day(10)
    assert int(due["SEQUENCE"]) == 1  # one renewal moved the due date once
    assert len(events) == 5


def test_staff_feed_has_the_events_they_animate(client, staff, create_event, app, feed_token):
    from fablab.accounts.models import User
    from fablab.events.models import Event
    from fablab.extensions import db

    animated = create_event(title="Soudure")
    create_event(title="Pas moi")
    with app.app_context():
        event = db.session.get(Event, animated.id)
        event.animators = [db.session.get(User, staff.id)]
        db.session.commit()
    events = parse(get_feed(client, f"/calendar/{feed_token(staff)}.ics").data)
    assert set(events) == {f"event-{animated.id}@localhost"}


def test_unknown_regenerated_or_deactivated_tokens_answer_404(
        app, client, member, member_client, feed_token, create_member):
    old = feed_token(member)
    assert client.get(f"/calendar/{old}.ics").status_code == 200
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    assert client.get(f"/calendar/{'x' * 300}.ics").status_code == 404

    response = member_client.post("/account/calendar")
    assert response.status_code == 302
    new = feed_token(member)
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200

    gone = create_member(active=False)
    token = feed_token(gone)
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_personal_feed_answers_304(client, member, feed_token, create_event,
                                   insert_registration):
    event = create_event()
    url = f"/calendar/{feed_token(member)}.ics"
    etag = get_feed(client, url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    insert_registration(event, member)
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


# --- single files and e-mail attachments -------------------------------------------------------


def test_event_download_is_one_event_with_the_feed_uid(client, create_event):
    event = create_event(title="Repair café")
    response = client.get(f"/events/{event.slug}.ics", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CALENDAR_TYPE
    assert "attachment" in response.headers["Content-Disposition"]
    events = parse(response.data)
    assert list(events) == [f"event-{event.id}@localhost"]
    draft = create_event(status="draft")
    assert client.get(f"/events/{draft.slug}.ics").status_code == 404


def test_booking_download_only_for_its_member_or_staff(client, member_client, staff_client,
                                                       login_as, create_member, member,
                                                       create_resource, insert_booking):
    booking = insert_booking(create_resource(), member, local_day(2))
    url = f"/bookings/{booking.id}.ics"
    assert list(parse(member_client.get(url).data)) == [f"booking-{booking.id}@localhost"]
    assert staff_client.get(url).status_code == 200
    assert login_as(create_member()).get(url).status_code == 404
    assert client.get(url).status_code == 302  # to the login page


def test_registration_and_booking_confirmations_carry_the_ics(
        app, outbox, member, create_event, register_as, run, create_resource, site,
        create_slot, create_membership):
    from email import message_from_bytes

    from fablab.booking.services import BookingRequest, book
    from fablab.core.mail import build_message

    event = create_event(title="Atelier vélo")
    registration = register_as(event, member)
    message = outbox("event.confirmed")[-1]
    assert [a["filename"] for a in message.attachments] == [f"{event.slug}.ics"]
    parsed = parse(message.attachments[0]["content"])
    assert list(parsed) == [f"registration-{registration.id}@localhost"]
    with app.app_context():
        email = message_from_bytes(build_message(message).as_bytes())
    parts = [p for p in email.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1 and parts[0].get_filename() == f"{event.slug}.ics"
    assert b"BEGIN:VEVENT" in parts[0].get_payload(decode=True)

    create_membership(member)
    resource = create_resource(granularity_minutes=30)
    create_slot(day=local_day(2), start="10:00", end="18:00")

    def go(resource, member):
        return book(BookingRequest(resource, member, at(local_day(2), "14:00"),
                                   at(local_day(2), "15:00")))

    booking = run(go, resource=resource, member=member)
    confirmation = outbox("booking.confirmed")[-1]
    events = parse(confirmation.attachments[0]["content"])
    assert list(events) == [f"booking-{booking.id}@localhost"]
    assert local_start(events[f"booking-{booking.id}@localhost"]) == ("14:00", "Europe/Paris")


# --- query counts ---------------------------------------------------------------------------


def test_feed_query_counts_do_not_grow(app, client, member, staff, create_event, create_slot,
                                       create_resource, insert_booking, insert_registration,
                                       insert_loan, feed_token, create_child):
    resource = create_resource(slug="counted")
    token = feed_token(member)
    staff_token = feed_token(staff)
    urls = ["/agenda.ics", "/agenda.ics?kind=workshop", "/machines/counted.ics",
            f"/calendar/{token}.ics", f"/calendar/{staff_token}.ics"]

    days = iter(range(2, 100))

    def add(n):
        from fablab.accounts.models import User
        from fablab.events.models import Event
        from fablab.extensions import db

        for _ in range(n):
            day = local_day(next(days))
            event = create_event(day=day)
            create_slot(day=day)
            insert_booking(resource, member, day)
            insert_registration(event, member, child=create_child(member, 2014))
            insert_loan(member, day)
            with app.app_context():
                db.session.get(Event, event.id).animators = [db.session.get(User, staff.id)]
                db.session.commit()

    add(1)
    few = {url: len(count_queries(app, client, url)[0]) for url in urls}
    add(6)
    many = {url: len(count_queries(app, client, url)[0]) for url in urls}
    assert few == many
    assert max(many.values()) <= 8


def test_fast_serialiser_writes_what_icalendar_writes(app):
    """ics.fast_vevent and ics.serialise skip icalendar's component machinery and
    per-character folding loop: their bytes must be those of Component.to_ical(),
    order, folding and escaping included."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from fablab.agenda import ics
    from fablab.agenda.services import Entry

    paris = ZoneInfo("Europe/Paris")
    stamp = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)
    entries = [
        Entry("event-1@localhost", "event", "Atelier ; soudure, à l'étain \\ « débutants »",
              datetime(2027, 3, 28, 18, tzinfo=paris), datetime(2027, 3, 28, 20, tzinfo=paris),
              "CONFIRMED", 3, stamp, stamp, "/events/atelier",
              "Une longue description qui dépasse largement soixante-quinze octets, avec des "
              "accents éèà, des virgules, des points-virgules; et des retours\nà la ligne.",
              "Salle 1, Fablab de la Ville, 12 rue des Ateliers, 69100 Villeurbanne",
              ["Atelier", "Tout public"]),
        Entry("loan-2@localhost", "loan", "Retour prévu : Perceuse", date(2027, 1, 5),
              date(2027, 1, 6), "CONFIRMED", 0, stamp, stamp, "", "", "", ["Retour"]),
        Entry("x" * 80 + "\\" + "y" * 80 + "@localhost", "busy", "é" * 60, datetime(
            2026, 12, 1, 9, tzinfo=paris), datetime(2026, 12, 1, 10, tzinfo=paris),
              "CANCELLED", 1, stamp, stamp, "/" + "a" * 100),
        Entry("slot-3@localhost", "slot", "Accès libre", datetime(2027, 7, 1, 9, tzinfo=paris),
              datetime(2027, 7, 1, 12, tzinfo=paris), "TENTATIVE", 0, stamp,
              datetime(2025, 1, 1, tzinfo=timezone.utc)),
    ]
    with app.test_request_context():
        for entry in entries:
            component = ics.vevent(entry)
            assert ics.serialise(component) == component.to_ical()
            assert ics.fast_vevent(entry) == component.to_ical()


@pytest.mark.parametrize("text", [
    "a" * 73 + "\\" + "b" * 10, "a" * 72 + "é" + "b" * 90, "^" * 200, "\\" * 151,
    "é" * 100, "€" * 80 + "\\n" + "x" * 3, "a" * 74, "a" * 75, "ab" * 37 + "é",
])
def test_fold_matches_icalendar(text):
    from icalendar.parser.string import _foldline

    from fablab.agenda.ics import _fold

    assert _fold(text) == _foldline(text)


def test_description_is_plain_text(client, create_event):
    event = create_event(summary="Résumé.", description="## Programme\n\n**Souder** un "
                         "[kit](https://example.org/kit) <b>facile</b> &amp; `rapide`")
    entry = parse(get_feed(client, "/agenda.ics").data)[f"event-{event.id}@localhost"]
    assert str(entry["DESCRIPTION"]) == (
        "Résumé.\n\nProgramme\n\nSouder un kit (https://example.org/kit) facile & rapide")


def test_two_sites_in_two_zones_keep_their_own_tzid(client, create_site, create_event):
    """Equal instants in two zones are equal datetimes: the encoders' caches must
    not give one site's wall-clock time to the other."""
    london = create_site(name="London lab", timezone="Europe/London")
    paris_event = create_event(day=local_day(6), start="14:00", end="15:00")
    instant = paris_event.starts_at
    london_event = create_event(on_site=london, starts_at=instant,
                                ends_at=paris_event.ends_at)
    events = parse(get_feed(client, "/agenda.ics").data)
    assert local_start(events[f"event-{paris_event.id}@localhost"]) == ("14:00", "Europe/Paris")
    assert local_start(events[f"event-{london_event.id}@localhost"]) == ("13:00",
                                                                        "Europe/London")
    body = get_feed(client, "/agenda.ics").get_data(as_text=True)
    assert "TZID:Europe/London" in body and "TZID:Europe/Paris" in body
