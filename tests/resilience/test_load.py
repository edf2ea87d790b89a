"""50 simulated members for 60 s against gunicorn on PostgreSQL — browsing, booking,
registering, cancelling — and, when CI allows it, PostgreSQL restarted in the
middle of the load.

Each member keeps the tally of what the app told them (booked, cancelled,
registered…); afterwards the database must hold exactly that: nothing lost,
nothing duplicated. No answer may be a 5xx, except 503 ("unavailable for a
moment") while PostgreSQL restarts; once it is back, the app recovers by itself.

FABLAB_LOAD_SECONDS sets the duration (60 by default). FABLAB_TEST_RESTART_POSTGRES
holds the command that restarts the server (.ci/run sets it); without it, the
load runs without the restart.
"""

from __future__ import annotations

import os
import random
import re
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from fablab import create_app
from fablab.extensions import db as _db
from tests.conftest import base_config
from tests.resilience.servers import FormBrowser, fresh_database, gunicorn
from tests.support.live_server import Response

MEMBERS = 50
SECONDS = float(os.environ.get("FABLAB_LOAD_SECONDS", "60"))
RESTART = os.environ.get("FABLAB_TEST_RESTART_POSTGRES", "")
PASSWORD = "load-test-pw-42"
PARIS = ZoneInfo("Europe/Paris")
MACHINES = [f"machine-{i}" for i in range(6)]
EVENTS = [f"atelier-{i}" for i in range(4)]
CANCEL_BOOKING = re.compile(r'action="/bookings/(\d+)/cancel"')
CANCEL_REGISTRATION = re.compile(r'action="/registrations/(\d+)/cancel"')


def _day() -> date:
    from fablab.core.timeutil import local_today

    return local_today(PARIS) + timedelta(days=4)


@pytest.fixture(scope="module")
def database(shared_services):
    """A site, six machines open all day, four workshops of 8 seats, 50 members."""
    from fablab.accounts.models import User
    from fablab.booking.models import OpenSlot
    from fablab.booking.services import local_to_utc
    from fablab.core.models import Site
    from fablab.core.timeutil import local_today, utcnow
    from fablab.events.models import Event
    from fablab.machines.models import Resource
    from fablab.memberships.models import Membership, Tariff

    url = fresh_database("load")
    app = create_app(base_config(url))
    day = _day()
    with app.app_context():
        site = Site(name="Atelier", slug="atelier", timezone="Europe/Paris", address="1 rue")
        tariff = Tariff(code="standard", name="Standard", price_cents=3000, active=True)
        _db.session.add_all([site, tariff])
        _db.session.flush()
        _db.session.add_all(
            Resource(site_id=site.id, name=f"Machine {slug}", slug=slug, kind="machine",
                     training_id=None, granularity_minutes=30, min_duration_minutes=30,
                     max_duration_minutes=120) for slug in MACHINES)
        _db.session.add(OpenSlot(site_id=site.id, starts_at=local_to_utc(day, clock(8), PARIS),
                                 ends_at=local_to_utc(day, clock(22), PARIS),
                                 capacity=MEMBERS))
        starts = local_to_utc(day + timedelta(days=1), clock(14), PARIS)
        _db.session.add_all(
            Event(site_id=site.id, title=f"Atelier {slug}", slug=slug, kind="workshop",
                  starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=8,
                  status="published") for slug in EVENTS)
        today = local_today()
        for i in range(MEMBERS):
            user = User(name=f"Load {i}", email=f"load{i}@example.org", role="member",
                        active=True, locale="en", email_confirmed_at=utcnow())
            user.set_password(PASSWORD)
            _db.session.add(user)
            _db.session.flush()
            _db.session.add(Membership(member_id=user.id, tariff_id=tariff.id,
                                       starts_on=today - timedelta(days=10),
                                       ends_on=today + timedelta(days=300),
                                       amount_cents=3000, payment_method="card"))
        _db.session.commit()
        _db.engine.dispose()
    return url


@dataclass
class Tally:
    """What the app told one member."""

    booked: int = 0
    cancelled: int = 0
    registered: int = 0
    unregistered: int = 0
    unsure: int = 0  # writes whose answer never came (503 or no answer)
    requests: int = 0
    unavailable: list[float] = field(default_factory=list)  # times of 503 answers
    server_errors: list[str] = field(default_factory=list)


class Member(threading.Thread):
    def __init__(self, index: int, base_url: str, deadline: float):
        super().__init__(daemon=True)
        self.email = f"load{index}@example.org"
        self.browser = FormBrowser(base_url)
        self.deadline = deadline
        self.random = random.Random(index)
        self.tally = Tally()

    def send(self, path: str, data: dict | None = None) -> Response | None:
        self.tally.requests += 1
        try:
            response = self.browser.request(path, data)
        except OSError:
            response = None
        if response is None or response.status == 503:
            self.tally.unavailable.append(time.monotonic())
            if data is not None:
                self.tally.unsure += 1
            time.sleep(0.2)
            return None
        if response.status >= 500:
            self.tally.server_errors.append(f"{response.status} {path}")
        return response

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            if self.send("/login") and self.send("/login", {"email": self.email,
                                                            "password": PASSWORD}):
                break
        actions = [self.browse] * 3 + [self.book] * 3 + [self.cancel_booking] * 2 + \
                  [self.register] * 2 + [self.unregister]
        while time.monotonic() < self.deadline:
            self.random.choice(actions)()

    def browse(self) -> None:
        self.send(self.random.choice(
            ["/", "/machines", "/events", f"/machines/{self.random.choice(MACHINES)}",
             f"/events/{self.random.choice(EVENTS)}", "/account/bookings"]))

    def book(self) -> None:
        start = datetime.combine(_day(), clock(8)) + timedelta(minutes=30 * self.random.randrange(26))
        end = start + timedelta(minutes=30 * self.random.choice((1, 2)))
        answer = self.send(f"/machines/{self.random.choice(MACHINES)}/book",
                           {"day": start.date().isoformat(), "start": start.strftime("%H:%M"),
                            "end": end.strftime("%H:%M")})
        if answer is not None and answer.location_path == "/account/bookings":
            self.tally.booked += 1

    def cancel_booking(self) -> None:
        page = self.send("/account/bookings")
        ids = CANCEL_BOOKING.findall(page.body) if page is not None else []
        if not ids:
            return
        if self.send(f"/bookings/{self.random.choice(ids)}/cancel", {}) is None:
            return
        after = self.send("/account/bookings")
        if after is None:
            self.tally.unsure += 1
        elif "The booking is cancelled." in after.body:
            self.tally.cancelled += 1

    def register(self) -> None:
        slug = self.random.choice(EVENTS)
        if self.send(f"/events/{slug}/register", {"participants": "me"}) is None:
            return
        after = self.send(f"/events/{slug}")
        if after is None:
            self.tally.unsure += 1
        elif "is registered." in after.body or "is on the waiting list" in after.body:
            self.tally.registered += 1

    def unregister(self) -> None:
        page = self.send("/account/registrations")
        ids = CANCEL_REGISTRATION.findall(page.body) if page is not None else []
        if not ids:
            return
        if self.send(f"/registrations/{self.random.choice(ids)}/cancel",
                     {"back": "account"}) is None:
            return
        after = self.send("/account/registrations")
        if after is None:
            self.tally.unsure += 1
        elif "is cancelled." in after.body:
            self.tally.unregistered += 1


def _checkpoint(database: str) -> None:
    """Write dirty pages now, so that the restart's own shutdown checkpoint is short (a
    server with much freshly written data took longer than pg_ctl's wait to stop)."""
    from sqlalchemy import create_engine, text

    from fablab import _sqlalchemy_url

    engine = create_engine(_sqlalchemy_url(database), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("CHECKPOINT"))
    finally:
        engine.dispose()


def _restart_postgres_after(delay: float, window: list[float],
                            failures: list[str]) -> threading.Thread:
    def restart() -> None:
        time.sleep(delay)
        window.append(time.monotonic())
        try:
            done = subprocess.run(shlex.split(RESTART), capture_output=True, text=True,
                                  timeout=300)
            if done.returncode != 0:
                failures.append(f"{RESTART!r} exited {done.returncode}: "
                                f"{done.stdout}{done.stderr}")
        except subprocess.TimeoutExpired as error:
            failures.append(f"{RESTART!r} did not finish: {error}")
        finally:
            window.append(time.monotonic())

    thread = threading.Thread(target=restart, daemon=True)
    thread.start()
    return thread


def _database_counts(url: str) -> tuple[dict, dict, int, int]:
    """Live bookings and registrations per member e-mail, overlapping bookings of a
    machine, and workshops over capacity."""
    from fablab.accounts.models import User
    from fablab.booking.models import LIVE_STATUSES, Booking
    from fablab.events.models import Event, Registration

    app = create_app(base_config(url))
    with app.app_context():
        bookings = dict(_db.session.execute(
            select(User.email, func.count(Booking.id)).join(Booking, Booking.member_id == User.id)
            .where(Booking.status.in_(LIVE_STATUSES)).group_by(User.email)).all())
        registrations = dict(_db.session.execute(
            select(User.email, func.count(Registration.id))
            .join(Registration, Registration.member_id == User.id)
            .where(Registration.status.in_(("confirmed", "waitlisted")))
            .group_by(User.email)).all())
        other = aliased(Booking)
        overlaps = _db.session.scalar(
            select(func.count()).select_from(Booking).join(other, (other.resource_id == Booking.resource_id) & (other.id > Booking.id))
            .where(Booking.status.in_(LIVE_STATUSES), other.status.in_(LIVE_STATUSES),
                   other.starts_at < Booking.ends_at, Booking.starts_at < other.ends_at))
        seats = select(Registration.event_id, func.count().label("taken")).where(
            Registration.status == "confirmed").group_by(Registration.event_id).subquery()
        overbooked = _db.session.scalar(
            select(func.count()).select_from(Event).join(seats, seats.c.event_id == Event.id)
            .where(seats.c.taken > Event.capacity))
        _db.engine.dispose()
    return bookings, registrations, overlaps, overbooked


def test_fifty_members_for_a_minute_nothing_lost_nothing_duplicated(database, tmp_path):
    restart_window: list[float] = []
    restart_failures: list[str] = []
    with gunicorn(database, tmp_path, BOOKING_WEEKLY_QUOTA_HOURS="1000",
                  RATELIMIT_ENABLED="false") as server:
        deadline = time.monotonic() + SECONDS
        members = [Member(i, server.base_url, deadline) for i in range(MEMBERS)]
        if RESTART:
            _checkpoint(database)
        restarter = _restart_postgres_after(SECONDS / 3, restart_window,
                                            restart_failures) if RESTART else None
        for member in members:
            member.start()
        for member in members:
            member.join(timeout=SECONDS + 120)
        assert not any(member.is_alive() for member in members), "a member never came back"
        if restarter is not None:
            restarter.join(timeout=320)
            assert restart_failures == [], "PostgreSQL could not be restarted"

        tallies = {member.email: member.tally for member in members}
        print("load:", {key: sum(getattr(t, key) for t in tallies.values()) for key in ("requests", "booked", "cancelled", "registered", "unregistered", "unsure")})
        assert [e for t in tallies.values() for e in t.server_errors] == []
        assert sum(t.requests for t in tallies.values()) > MEMBERS * 10
        assert sum(t.booked for t in tallies.values()) > 0
        assert sum(t.registered for t in tallies.values()) > 0
        unavailable = [moment for t in tallies.values() for moment in t.unavailable]
        if restart_window:
            started, ended = restart_window
            # 503 only while PostgreSQL restarts (and the few seconds the pools take to notice).
            assert all(started - 1 <= moment <= ended + 15 for moment in unavailable)
        else:
            assert unavailable == []
        # No traceback: a database that does not answer is a 503, not a crash.
        assert server.errors() == []
        # The app recovered by itself: the same gunicorn answers again.
        assert server.process.poll() is None
        assert FormBrowser(server.base_url).get("/healthz").status == 200

    bookings, registrations, overlaps, overbooked = _database_counts(database)
    assert overlaps == 0 and overbooked == 0
    for email, tally in tallies.items():
        told_bookings = tally.booked - tally.cancelled
        told_registrations = tally.registered - tally.unregistered
        assert abs(bookings.get(email, 0) - told_bookings) <= tally.unsure, (email, tally)
        assert abs(registrations.get(email, 0) - told_registrations) <= tally.unsure, (email, tally)
    if not restart_window:  # without a restart, every answer came and was definite
        assert sum(t.unsure for t in tallies.values()) == 0
