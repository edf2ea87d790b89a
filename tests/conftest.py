"""Fixtures shared by every test.

The whole suite runs once per database: SQLite always, PostgreSQL when
``FABLAB_TEST_DATABASE_URL`` is set (e.g. postgresql://postgres@127.0.0.1:5432/test).
The schema is built from the Alembic migrations once per database; every test
then starts from empty tables.

Tests that touch the database directly open ``with app.app_context():``;
requests made through ``client`` get their own context and session, as in
production.
"""

from __future__ import annotations

import itertools
import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import upgrade
from freezegun import freeze_time
from sqlalchemy import create_engine, text

from fablab import create_app
from fablab.extensions import db as _db

PG_URL = os.environ.get("FABLAB_TEST_DATABASE_URL", "")
TEST_SECRET = "test-secret-key-not-for-production"


def base_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "log",
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
    }


def reset_postgres_schema(url: str) -> None:
    from fablab import _sqlalchemy_url

    engine = create_engine(_sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """A database whose schema comes from the migrations; one per engine."""
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("PostgreSQL: set FABLAB_TEST_DATABASE_URL to run these tests")
        reset_postgres_schema(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    return url


def empty_tables(app) -> None:
    with app.app_context():
        tables = [t.name for t in _db.metadata.sorted_tables]
        if _db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t}"' for t in tables)
            _db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                _db.session.execute(text(f'DELETE FROM "{table}"'))
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def frozen_clock(request):
    """``@pytest.mark.frozen("2026-12-02 14:19")``: the test and its fixtures start at that
    wall-clock time of the lab (Europe/Paris unless an offset is given), the clock running
    on from there (``tick=False`` stops it); a test whose meaning depends on the day or
    the hour then holds whenever the suite runs."""
    marker = request.node.get_closest_marker("frozen")
    if marker is None:
        yield None
        return
    moment = datetime.fromisoformat(marker.args[0])
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/Paris"))
    with freeze_time(moment, tick=marker.kwargs.get("tick", True)) as frozen:
        yield frozen


@pytest.fixture
def make_app(database_url):
    """Build an app on the test database, with config overrides."""
    apps = []

    def factory(**overrides):
        app = create_app({**base_config(database_url), **overrides})
        apps.append(app)
        return app

    yield factory
    on_test_database = [a for a in apps if a.config["DATABASE_URL"] == database_url]
    if on_test_database:
        empty_tables(on_test_database[0])
    for app in apps:
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def db(app, make_app):
    """The database session, inside an app context, for direct checks.

    The context belongs to a second app on the same database: a request made
    through ``client`` then pushes its own context (Flask reuses a pushed context
    of the same app), with its own session and ``g``, as in production. Each
    statement commits on its own, so that a check sees what requests committed
    (call ``expire_all()`` before reading an object loaded earlier).
    """
    checker = make_app(SQLITE_IMMEDIATE_WRITES=False,
                       SQLALCHEMY_ENGINE_OPTIONS={"isolation_level": "AUTOCOMMIT"})
    with checker.app_context():
        yield _db
        _db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


def _detach(app, obj):
    """Load an object's columns and detach it so that tests can read them."""
    _db.session.refresh(obj)
    _db.session.expunge(obj)
    return obj


@pytest.fixture
def create_member(app):
    """Create a confirmed account; ``password`` is hashed only when given."""
    from fablab.accounts.models import User
    from fablab.core.timeutil import utcnow

    def factory(name=None, email=None, role="member", password=None, confirmed=True,
                active=True, locale="fr", **fields):
        n = next(_counter)
        with app.app_context():
            user = User(name=name or f"Member {n}", email=email or f"member{n}@example.org",
                        role=role, active=active, locale=locale,
                        email_confirmed_at=utcnow() if confirmed else None, **fields)
            if password:
                user.set_password(password)
            _db.session.add(user)
            _db.session.commit()
            return _detach(app, user)

    return factory


@pytest.fixture
def create_tariff(app):
    from fablab.memberships.models import Tariff

    def factory(code=None, name=None, price_cents=3000, active=True):
        n = next(_counter)
        with app.app_context():
            tariff = Tariff(code=code or f"tariff{n}", name=name or f"Tariff {n}",
                            price_cents=price_cents, active=active)
            _db.session.add(tariff)
            _db.session.commit()
            return _detach(app, tariff)

    return factory


@pytest.fixture
def create_membership(app, create_tariff):
    """A membership covering today (or the given period)."""
    from fablab.core.timeutil import local_today
    from fablab.memberships.models import Membership

    def factory(member, starts_on: date | None = None, ends_on: date | None = None,
                tariff=None, amount_cents=3000, payment_method="card"):
        tariff = tariff or create_tariff()
        with app.app_context():
            today = local_today()
            membership = Membership(
                member_id=member.id, tariff_id=tariff.id,
                starts_on=starts_on or today - timedelta(days=30),
                ends_on=ends_on or today + timedelta(days=335),
                amount_cents=amount_cents, payment_method=payment_method)
            _db.session.add(membership)
            _db.session.commit()
            return _detach(app, membership)

    return factory


@pytest.fixture
def create_site(app):
    from fablab.core.models import Site

    def factory(name=None, timezone="Europe/Paris"):
        n = next(_counter)
        with app.app_context():
            site = Site(name=name or f"Site {n}", slug=f"site-{n}", timezone=timezone,
                        address=f"{n} rue des Ateliers")
            _db.session.add(site)
            _db.session.commit()
            return _detach(app, site)

    return factory


def login(client, user) -> None:
    """Log a user in through the session, as Flask-Login would."""
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True


@pytest.fixture
def login_as(app):
    def factory(user):
        client = app.test_client()
        login(client, user)
        return client

    return factory


@pytest.fixture
def member(create_member):
    return create_member(name="Marie Membre", email="marie@example.org")


@pytest.fixture
def staff(create_member):
    return create_member(name="Samir Staff", email="samir@example.org", role="staff")


@pytest.fixture
def admin(create_member):
    return create_member(name="Alice Admin", email="alice@example.org", role="admin")


@pytest.fixture
def member_client(login_as, member):
    return login_as(member)


@pytest.fixture
def staff_client(login_as, staff):
    return login_as(staff)


@pytest.fixture
def admin_client(login_as, admin):
    return login_as(admin)


@pytest.fixture
def outbox(app):
    """The messages waiting in the outbox, newest last."""
    from fablab.core.models import OutboxMessage

    def read(kind=None):
        with app.app_context():
            query = _db.select(OutboxMessage).order_by(OutboxMessage.id)
            if kind:
                query = query.where(OutboxMessage.kind == kind)
            messages = _db.session.scalars(query).all()
            for message in messages:
                _db.session.expunge(message)
            return messages

    return read


def pytest_sessionfinish(session, exitstatus):
    """In CI every test must run: a skipped PostgreSQL, Redis or browser test fails
    the run (set FABLAB_FORBID_SKIPS=1, as .ci/run does)."""
    if not os.environ.get("FABLAB_FORBID_SKIPS") or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reasons = sorted({str(report.longrepr[-1]) if isinstance(report.longrepr, tuple)
                          else str(report.longrepr) for report in skipped})
        reporter.write_line(
            f"FABLAB_FORBID_SKIPS: {len(skipped)} test(s) skipped, which CI does not allow:",
            red=True)
        for reason in reasons:
            reporter.write_line(f"  - {reason}", red=True)
        session.exitstatus = 1
