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

import http.cookiejar
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from fablab.events.models import Registration

N = 10
PASSWORD = "race-condition-pw-42"
TIMEOUT = 30  # seconds, for every HTTP request and the barrier
REGISTERED = "is registered."
WAITLISTED = "is on the waiting list"


# --- a tiny browser: urllib with a cookie jar, redirects not followed ------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # give the 3xx back to the caller (as an HTTPError)


@dataclass
class _Response:
    status: int
    location: str | None
    body: str

    @property
    def location_path(self) -> str | None:
        return urllib.parse.urlsplit(self.location).path if self.location else None


class _Browser:
    """One member's browser: its own cookie jar, so its own Flask session (or
    another browser's jar: another tab of the same session)."""

    def __init__(self, base_url: str, jar: http.cookiejar.CookieJar | None = None):
        self.base_url = base_url
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # never go through an http_proxy
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, path: str, data: dict | None = None) -> _Response:
        url = path if path.startswith("http") else self.base_url + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers={"Accept-Language": "en"})
        try:
            with self.opener.open(req, timeout=TIMEOUT) as response:
                return _Response(response.status, response.headers.get("Location"),
                                 response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
            with error:
                return _Response(error.code, error.headers.get("Location"),
                                 error.read().decode("utf-8", "replace"))

    def get(self, path: str) -> _Response:
        return self.request(path)

    def post(self, path: str, data: dict) -> _Response:
        return self.request(path, data)


# --- the live server ---------------------------------------------------------------------------


class _ErrorCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(self.format(record))


@dataclass
class _Live:
    app: object
    base_url: str
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def live(make_app):
    """The app (CSRF and rate limits off) served on a free port, threaded."""
    from werkzeug.serving import make_server

    app = make_app(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": N + 2, "max_overflow": 10})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    collector = _ErrorCollector()
    app.logger.addHandler(collector)
    # Alembic's fileConfig (run once per database) disables the loggers that
    # existed then, "fablab" among them: errors would go unseen.
    was_disabled, app.logger.disabled = app.logger.disabled, False
    thread = threading.Thread(target=server.serve_forever, name="race-server", daemon=True)
    thread.start()
    try:
        live = _Live(app, f"http://127.0.0.1:{server.server_port}", collector.errors)
        # N pages at once, so that the pool opens its connections before the races.
        results = _race([(_Browser(live.base_url), "/events", None) for _ in range(N)])
        assert [r.status for r in results] == [200] * N, results
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.logger.removeHandler(collector)
        app.logger.disabled = was_disabled


@pytest.fixture(scope="module")
def _password_hash():
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method="scrypt")  # once: scrypt is slow


@pytest.fixture
def racers(live, create_member, _password_hash):
    """N members, each logged in through POST /login in their own browser (all
    at once): [(member, browser)]."""
    members = [create_member(name=f"Racer {i}", email=f"racer{i}@example.org", locale="en",
                             password_hash=_password_hash) for i in range(N)]
    browsers = [_Browser(live.base_url) for _ in members]
    results = _race([(browser, "/login", {"email": member.email, "password": PASSWORD})
                     for member, browser in zip(members, browsers)])
    for response in results:
        assert response.status == 302, (response.status, response.body[:500])
        assert response.location_path != "/login"
    return list(zip(members, browsers))


def _race(requests: list[tuple[_Browser, str, dict | None]]) -> list[_Response]:
    """Send every request at the same instant; one thread per request."""
    barrier = threading.Barrier(len(requests), timeout=TIMEOUT)
    results: list[_Response | BaseException | None] = [None] * len(requests)

    def run(index: int, browser: _Browser, path: str, data: dict | None) -> None:
        try:
            barrier.wait()
            results[index] = browser.request(path, data)
        except BaseException as error:  # reported below
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, *request), daemon=True)
               for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT + 10)
    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    for result in results:
        assert isinstance(result, _Response), repr(result)
    return results


def _check_no_server_error(results: list[_Response], live: _Live) -> None:
    statuses = [r.status for r in results]
    assert all(status < 500 for status in statuses), (statuses, live.errors[:1])
    assert statuses == [302] * len(results), statuses
    assert live.errors == []


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
        _check_no_server_error(results, live)
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
        _check_no_server_error(results, live)

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
        _check_no_server_error(results, live)

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
    tabs = [browser] + [_Browser(live.base_url, browser.jar) for _ in range(4)]
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
