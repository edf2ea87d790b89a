"""Real concurrent registrations against a real server, on every test database.

The app is served by werkzeug (threaded) on 127.0.0.1; each member logs in
through POST /login with their own cookie jar, then they all send their
requests at the same instant (a barrier). Whatever the engine, the seats are
never oversold, no request fails with a 5xx (e.g. "database is locked" on
SQLite, a deadlock on PostgreSQL), and a freed seat never stays empty while
someone waits: the waiting list moves up in order (first come, first served).
Races: ten members for the last seat; a cancellation against a registration;
three cancellations against five registrations; one member's five tabs
registering at once (a double click).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fablab.events.models import Registration
from tests.support.live_server import (Browser, Response, check_no_server_error, live_server,
                                       log_in, race)

N = 10
PASSWORD = "race-condition-pw-42"
REGISTERED = "is registered."
WAITLISTED = "is on the waiting list"


@pytest.fixture
def live(make_app):
    """The app served on a free port, threaded (see tests/support/live_server.py)."""
    with live_server(make_app, racers=N, warm_up_path="/events") as live:
        yield live


@pytest.fixture(scope="module")
def _password_hash():
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method="scrypt")  # once: scrypt is slow


@pytest.fixture
def racers(live, create_member, _password_hash):
    """N members, each logged in through POST /login in their own browser, one after
    the other: [(member, browser)]. Not all at once: on SQLite each login holds the
    write lock while it checks the password hash, so the last of ten waited nine hashes
    and, on a slow machine, went over busy_timeout (a 503 before the race began)."""
    members = [create_member(name=f"Racer {i}", email=f"racer{i}@example.org", locale="en",
                             password_hash=_password_hash) for i in range(N)]
    browsers = [Browser(live.base_url) for _ in members]
    for member, browser in zip(members, browsers):
        log_in(browser, member.email, PASSWORD)
    return list(zip(members, browsers))


def _race(requests: list[tuple[Browser, str, dict | None]]) -> list[Response]:
    """Send every request at the same instant; each must come back with a response."""
    results = race(requests)
    for result in results:
        assert isinstance(result, Response), repr(result)
    return results


def _registrations(db, event) -> list[Registration]:
    db.session.expire_all()
    return db.session.scalars(select(Registration).where(Registration.event_id == event.id)
                              .order_by(Registration.id)).all()


def _check_the_waiting_list(registrations: list[Registration], capacity: int) -> None:
    """Never more seats than the capacity; no empty seat while someone waits."""
    confirmed = [r for r in registrations if r.status == "confirmed"]
    waiting = [r for r in registrations if r.status == "waitlisted"]
    assert len(confirmed) <= capacity
    assert not (waiting and len(confirmed) < capacity), (
        f"{capacity - len(confirmed)} seat(s) empty while {len(waiting)} people wait")
    live_keys = [r.participant_key for r in confirmed + waiting]
    assert len(live_keys) == len(set(live_keys))


# --- the tests -----------------------------------------------------------------------------------


def test_ten_members_register_at_once_for_the_last_seat(live, racers, create_event, db):
    for round_ in range(3):
        event = create_event(capacity=1, title=f"Race {round_}", slug=f"race-{round_}")
        results = _race([(browser, f"/events/{event.slug}/register", {"participants": "me"})
                         for _, browser in racers])
        check_no_server_error(results, live)
        assert {r.location_path for r in results} == {f"/events/{event.slug}"}

        registrations = _registrations(db, event)
        assert sorted(r.status for r in registrations) == ["confirmed"] + ["waitlisted"] * 9
        assert sorted(r.member_id for r in registrations) == sorted(m.id for m, _ in racers)
        _check_the_waiting_list(registrations, 1)

        # Each racer is told which it is.
        winner = next(r.member_id for r in registrations if r.status == "confirmed")
        for member, browser in racers:
            page = browser.get(f"/events/{event.slug}")
            assert page.status == 200
            expected = REGISTERED if member.id == winner else WAITLISTED
            assert expected in page.body, f"member {member.id}: no {expected!r} shown"


def test_a_cancellation_and_a_registration_at_once_leave_no_seat_empty(
        live, racers, create_event, insert_registration, db):
    """Capacity 1, taken: the holder cancels while another member registers.
    Whichever comes first, the newcomer ends with the seat."""
    for round_ in range(6):
        holder, holder_browser = racers[2 * round_ % N]
        newcomer, newcomer_browser = racers[(2 * round_ + 1) % N]
        event = create_event(capacity=1, title=f"Swap {round_}", slug=f"swap-{round_}")
        seat = insert_registration(event, holder)

        results = _race([
            (holder_browser, f"/registrations/{seat.id}/cancel", {}),
            (newcomer_browser, f"/events/{event.slug}/register", {"participants": "me"}),
        ])
        check_no_server_error(results, live)

        registrations = _registrations(db, event)
        assert [(r.member_id, r.status) for r in registrations] == [
            (holder.id, "cancelled"), (newcomer.id, "confirmed")]
        _check_the_waiting_list(registrations, 1)


def test_cancellations_and_registrations_at_once_keep_first_come_first_served(
        live, racers, create_event, insert_registration, db):
    """Capacity 3, taken by three racers, two more waiting: the three cancel
    while the five others register, all at once. In the end three seats are
    taken: the two who waited first, and the first of the newcomers."""
    members = [member for member, _ in racers]
    browsers = [browser for _, browser in racers]
    for round_ in range(2):
        event = create_event(capacity=3, title=f"Crowd {round_}", slug=f"crowd-{round_}")
        seats = [insert_registration(event, m) for m in members[:3]]
        waited = [insert_registration(event, m, status="waitlisted") for m in members[3:5]]

        results = _race(
            [(browsers[i], f"/registrations/{seats[i].id}/cancel", {}) for i in range(3)]
            + [(browsers[i], f"/events/{event.slug}/register", {"participants": "me"})
               for i in range(5, N)])
        check_no_server_error(results, live)

        registrations = _registrations(db, event)
        _check_the_waiting_list(registrations, 3)
        status = {r.member_id: r.status for r in registrations}
        assert [status[m.id] for m in members[:3]] == ["cancelled"] * 3
        assert [status[r.member_id] for r in waited] == ["confirmed"] * 2
        newcomers = [r for r in registrations if r.member_id in {m.id for m in members[5:]}]
        assert [r.status for r in newcomers] == ["confirmed"] + ["waitlisted"] * 4
        promoted = [r for r in registrations if r.promoted_at is not None]
        assert {r.member_id for r in waited} <= {r.member_id for r in promoted}


def test_one_member_registering_from_several_tabs_at_once_gets_one_registration(
        request, database_url, live, racers, create_event, db):
    """A double click (five tabs here): one registration, the others the usual
    "already registered", never a 5xx. Five rounds."""
    member, browser = racers[0]
    tabs = [browser] + [Browser(live.base_url, browser.jar) for _ in range(4)]
    failures = []
    for round_ in range(5):
        event = create_event(capacity=5, title=f"Double {round_}", slug=f"double-{round_}")
        results = _race([(tab, f"/events/{event.slug}/register", {"participants": "me"})
                         for tab in tabs])
        statuses = [r.status for r in results]
        registrations = _registrations(db, event)
        if statuses != [302] * len(tabs) or len(registrations) != 1:
            failures.append((round_, statuses, [r.status for r in registrations]))
    assert failures == [], (failures, live.errors[:1])
    assert live.errors == []
