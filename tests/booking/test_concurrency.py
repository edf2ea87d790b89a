"""Real concurrent bookings against a real server, on every test database.

The app is served by werkzeug (threaded) on 127.0.0.1; each member logs in
through POST /login with their own cookie jar, then all of them send
POST /machines/<slug>/book at the same instant (a barrier). Whatever the
engine, the database must settle the race: one live booking per machine and
time, and a slot never holds more people than its capacity. No request may
fail with a 5xx (e.g. "database is locked" on SQLite, a deadlock on
PostgreSQL): the losers get the usual refusal, as a flash message on the
machine page. Also: the weekly quota holds when one member books several
slots at once, and two bookings by one staff member at once do not deadlock.
"""

from __future__ import annotations

import http.cookiejar
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fablab.extensions import db as _db

N = 12
PASSWORD = "race-condition-pw-42"
TIMEOUT = 30  # seconds, for every HTTP request and the barrier
PARIS = ZoneInfo("Europe/Paris")
ALREADY_BOOKED = "This time is already booked"
SLOT_FULL = "This open slot is full"


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
    """One member's browser: its own cookie jar, so its own Flask session."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
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
def _live(make_app):
    """The app (CSRF and rate limits off) served on a free port, threaded."""
    from werkzeug.serving import make_server

    # A pool that keeps a connection per racer: the racers do not queue to connect.
    app = make_app(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": N + 2, "max_overflow": 10})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    collector = _ErrorCollector()
    app.logger.addHandler(collector)
    # Alembic's fileConfig (the migrations, run once per database) disables the
    # loggers that existed then, "fablab" among them: errors would go unseen.
    was_disabled, app.logger.disabled = app.logger.disabled, False
    thread = threading.Thread(target=server.serve_forever, name="race-server", daemon=True)
    thread.start()
    try:
        live = _Live(app, f"http://127.0.0.1:{server.server_port}", collector.errors)
        _warm_up(live)
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.logger.removeHandler(collector)
        app.logger.disabled = was_disabled


def _warm_up(live: _Live) -> None:
    """N pages at once, so that the pool opens its connections before the races."""
    browsers = [_Browser(live.base_url) for _ in range(N)]
    barrier = threading.Barrier(N, timeout=TIMEOUT)
    statuses: list[int] = []

    def run(browser: _Browser) -> None:
        barrier.wait()
        statuses.append(browser.get("/machines").status)

    threads = [threading.Thread(target=run, args=(b,), daemon=True) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT + 10)
    assert statuses == [200] * N, statuses


# --- data ----------------------------------------------------------------------------------------


@pytest.fixture
def _make_resources(app):
    from fablab.machines.models import Resource

    def factory(site, count: int, prefix: str) -> list[Resource]:
        with app.app_context():
            resources = [Resource(site_id=site.id, name=f"{prefix} {i}", slug=f"{prefix}-{i}",
                                  kind="machine", training_id=None, granularity_minutes=30,
                                  min_duration_minutes=30, max_duration_minutes=240)
                         for i in range(count)]
            _db.session.add_all(resources)
            _db.session.commit()
            for resource in resources:
                _db.session.refresh(resource)
                _db.session.expunge(resource)
            return resources

    return factory


@pytest.fixture
def _make_slot(app):
    from fablab.booking.models import OpenSlot
    from fablab.booking.services import local_to_utc

    def factory(site, day: date, start: time, end: time, capacity: int) -> OpenSlot:
        with app.app_context():
            slot = OpenSlot(site_id=site.id, starts_at=local_to_utc(day, start, PARIS),
                            ends_at=local_to_utc(day, end, PARIS), capacity=capacity)
            _db.session.add(slot)
            _db.session.commit()
            _db.session.refresh(slot)
            _db.session.expunge(slot)
            return slot

    return factory


@pytest.fixture
def _logged_in_members(create_member, create_membership, create_tariff):
    """N members with an active membership, each logged in through POST /login
    in their own browser. Returns [(member, browser)]."""

    def factory(live: _Live):
        tariff = create_tariff()
        pairs = []
        for i in range(N):
            member = create_member(name=f"Racer {i}", email=f"racer{i}@example.org",
                                   password=PASSWORD, locale="en")
            create_membership(member, tariff=tariff)
            browser = _Browser(live.base_url)
            response = browser.post("/login", {"email": member.email, "password": PASSWORD})
            assert response.status == 302, (response.status, response.body[:500])
            assert response.location_path != "/login"
            assert any(cookie.name == "session" for cookie in browser.jar)
            pairs.append((member, browser))
        return pairs

    return factory


def _future_day() -> date:
    from fablab.core.timeutil import local_today

    return local_today(PARIS) + timedelta(days=3)


def _race(requests: list[tuple[_Browser, str, dict]]) -> list[_Response | BaseException]:
    """Send every request at the same instant; one thread per request."""
    barrier = threading.Barrier(len(requests), timeout=TIMEOUT)
    results: list[_Response | BaseException | None] = [None] * len(requests)

    def run(index: int, browser: _Browser, path: str, data: dict) -> None:
        try:
            barrier.wait()
            results[index] = browser.post(path, data)
        except BaseException as error:  # reported by the caller
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, *request), daemon=True)
               for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT + 10)
    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    return results


def _form(day: date, start: time, end: time) -> dict:
    return {"day": day.isoformat(), "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M")}


def _check_no_server_error(results, live: _Live) -> list[_Response]:
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    statuses = [r.status for r in results]
    assert all(status < 500 for status in statuses), (statuses, live.errors)
    assert all(status == 302 for status in statuses), statuses
    assert live.errors == []
    return results


# --- the tests -----------------------------------------------------------------------------------


def test_one_machine_one_time_only_one_member_wins(_live, db, create_site, _make_resources,
                                                   _make_slot, _logged_in_members):
    from fablab.booking.models import LIVE_STATUSES, Booking
    from fablab.booking.services import local_to_utc

    site = create_site()
    machine = _make_resources(site, 1, "laser")[0]
    day = _future_day()
    slot = _make_slot(site, day, time(9, 0), time(19, 0), capacity=N)
    members = _logged_in_members(_live)
    book_path = f"/machines/{machine.slug}/book"

    # Three rounds, three times: each is a fresh race between the N members.
    for start in (time(14, 0), time(15, 0), time(16, 0)):
        end = time(start.hour + 1, 0)
        results = _check_no_server_error(
            _race([(browser, book_path, _form(day, start, end)) for _, browser in members]),
            _live)

        starts_at, ends_at = local_to_utc(day, start, PARIS), local_to_utc(day, end, PARIS)
        db.session.expire_all()
        live = db.session.scalars(select(Booking).where(
            Booking.resource_id == machine.id, Booking.status.in_(LIVE_STATUSES),
            Booking.starts_at < ends_at, Booking.ends_at > starts_at)).all()
        assert len(live) == 1, [(b.member_id, b.starts_at, b.ends_at) for b in live]
        winner = live[0]
        assert (winner.starts_at, winner.ends_at, winner.slot_id) == (starts_at, ends_at, slot.id)

        winners = [(member, r) for (member, _), r in zip(members, results)
                   if r.location_path == "/account/bookings"]
        assert [member.id for member, _ in winners] == [winner.member_id]
        for (member, browser), response in zip(members, results):
            if member.id == winner.member_id:
                continue
            assert response.location_path == f"/machines/{machine.slug}", response.location
            page = browser.get(response.location.split("#")[0])
            assert page.status == 200
            assert ALREADY_BOOKED in page.body, f"member {member.id}: no refusal message shown"
            # The refused member has no booking at that time, whatever its status.
            assert db.session.scalar(select(Booking.id).where(
                Booking.member_id == member.id, Booking.starts_at == starts_at)) is None


def test_slot_capacity_holds_when_members_book_different_machines_at_once(
        _live, db, create_site, _make_resources, _make_slot, _logged_in_members):
    from fablab.booking.models import LIVE_STATUSES, Booking

    capacity = 3
    site = create_site()
    machines = _make_resources(site, N, "printer")
    day = _future_day()
    members = _logged_in_members(_live)

    # Three slots of capacity 3, one race in each.
    for start, end in ((time(9, 0), time(11, 0)), (time(11, 0), time(13, 0)),
                       (time(13, 0), time(15, 0))):
        slot = _make_slot(site, day, start, end, capacity=capacity)
        booking_start = time(start.hour + 1, 0)
        form = _form(day, booking_start, end)
        results = _check_no_server_error(
            _race([(browser, f"/machines/{machine.slug}/book", form)
                   for (_, browser), machine in zip(members, machines)]), _live)

        db.session.expire_all()
        live = db.session.scalars(select(Booking).where(
            Booking.slot_id == slot.id, Booking.status.in_(LIVE_STATUSES))).all()
        assert len(live) == capacity, [(b.member_id, b.resource_id) for b in live]
        assert len({b.member_id for b in live}) == capacity

        booked = {b.member_id for b in live}
        for (member, browser), machine, response in zip(members, machines, results):
            if member.id in booked:
                assert response.location_path == "/account/bookings", response.location
                continue
            assert response.location_path == f"/machines/{machine.slug}", response.location
            page = browser.get(response.location.split("#")[0])
            assert page.status == 200
            assert SLOT_FULL in page.body, f"member {member.id}: no refusal message shown"


def test_weekly_quota_holds_when_one_member_books_several_slots_at_once(
        _live, db, create_site, create_member, create_membership, create_tariff,
        _make_resources, _make_slot):
    """A member sends 12 bookings of 4 hours at once, each in its own slot of the
    same week: with a quota of 8 hours a week, 2 at most may go through. Three
    rounds, three members (and three sets of machines)."""
    from fablab.booking.models import LIVE_STATUSES, Booking
    from fablab.core.timeutil import local_today

    quota = _live.app.config["BOOKING_WEEKLY_QUOTA_HOURS"]
    assert quota == 8
    site = create_site()
    today = local_today(PARIS)
    monday = today + timedelta(days=7 - today.weekday())  # next week: 1 to 7 days ahead
    times = [(monday + timedelta(days=i), start, end)  # Monday → Saturday, ≤ 12 days ahead
             for i in range(N // 2) for start, end in ((time(9, 0), time(13, 0)),
                                                        (time(14, 0), time(18, 0)))]
    for day, start, end in times:
        _make_slot(site, day, start, end, capacity=3 * N)
    tariff = create_tariff()

    overbooked = []
    for round_ in range(3):
        machines = _make_resources(site, N, f"lathe-{round_}")
        member = create_member(name=f"Greedy {round_}", email=f"greedy{round_}@example.org",
                               password=PASSWORD, locale="en")
        create_membership(member, tariff=tariff)
        browser = _Browser(_live.base_url)
        response = browser.post("/login", {"email": member.email, "password": PASSWORD})
        assert response.status == 302

        # One session for all: the same member in several tabs.
        results = _check_no_server_error(_race([
            (browser, f"/machines/{machine.slug}/book", _form(day, start, end))
            for machine, (day, start, end) in zip(machines, times)]), _live)

        db.session.expire_all()
        live = db.session.scalars(select(Booking).where(
            Booking.member_id == member.id, Booking.status.in_(LIVE_STATUSES))).all()
        hours = sum(b.duration_hours for b in live)
        accepted = sum(r.location_path == "/account/bookings" for r in results)
        assert accepted == len(live)
        if hours > quota:
            overbooked.append(f"round {round_}: {len(live)} bookings, {hours:g} hours")
        else:
            assert len(live) == 2
    assert overbooked == [], f"weekly quota of {quota} hours exceeded: {overbooked}"


def test_staff_booking_for_a_member_and_for_themself_at_once_do_not_deadlock(
        _live, db, create_site, create_member, create_membership, create_tariff,
        _make_resources, _make_slot):
    """Two tabs of one staff member, in the same slot at the same instant: one
    books a machine for a walk-in member, the other a machine for the staff
    member. Both must go through, many times over (no 5xx).

    On PostgreSQL, book() locks the member's row: with a plain FOR UPDATE the
    staff's own booking (holding the staff's row, waiting for the slot) and the
    booking for the member (holding the slot, its INSERT waiting to KEY SHARE
    the staff's row through created_by_id) deadlocked, about one round in four.
    FOR NO KEY UPDATE does not block foreign-key checks."""
    site = create_site()
    day = _future_day()
    _make_slot(site, day, time(8, 0), time(20, 0), capacity=N)
    tariff = create_tariff()
    staff = create_member(name="Desk Staff", email="desk@example.org", role="staff",
                          password=PASSWORD, locale="en")
    walk_in = create_member(name="Walk-in", email="walkin@example.org", locale="en")
    create_membership(staff, tariff=tariff)
    create_membership(walk_in, tariff=tariff)
    tabs = [_Browser(_live.base_url), _Browser(_live.base_url)]
    for tab in tabs:
        assert tab.post("/login", {"email": staff.email, "password": PASSWORD}).status == 302
    machines = _make_resources(site, 4, "saw")

    statuses = []
    for round_ in range(40):  # 24 half hours a machine: two pairs of machines
        first = machines[0:2] if round_ < 24 else machines[2:4]
        start = time(8 + round_ % 24 // 2, 30 * (round_ % 2))
        end = (datetime.combine(day, start) + timedelta(minutes=30)).time()
        form = _form(day, start, end)
        results = _race([
            (tabs[0], f"/machines/{first[0].slug}/book",
             {**form, "member": walk_in.email, "override": "y"}),
            (tabs[1], f"/machines/{first[1].slug}/book", {**form, "override": "y"}),
        ])
        statuses.append(tuple(getattr(r, "status", repr(r)) for r in results))
    failures = [(i, s) for i, s in enumerate(statuses) if s != (302, 302)]
    assert failures == [], (f"{len(failures)} of 40 rounds failed", failures[:5],
                            _live.errors[:1])
    assert _live.errors == []
