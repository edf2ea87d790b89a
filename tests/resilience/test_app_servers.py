"""Two gunicorn instances on two ports, sharing one PostgreSQL and one Redis,
behave as one application: a session opened on one is valid on the other, and
the login rate limit counts across both."""

from __future__ import annotations

import pytest

from fablab import create_app
from fablab.extensions import db as _db
from tests.conftest import base_config
from tests.resilience.servers import FormBrowser, fresh_database, two_servers

PASSWORD = "two-servers-pw-42"


@pytest.fixture(scope="module")
def database(shared_services):
    from fablab.accounts.models import User
    from fablab.core.timeutil import utcnow

    url = fresh_database("servers")
    app = create_app(base_config(url))
    with app.app_context():
        user = User(name="Inès Deux-Serveurs", email="ines@example.org", role="member",
                    active=True, locale="en", email_confirmed_at=utcnow())
        user.set_password(PASSWORD)
        _db.session.add(user)
        _db.session.commit()
        _db.engine.dispose()
    return url


def test_a_session_opened_on_one_server_is_valid_on_the_other(database, tmp_path):
    with two_servers(database, tmp_path) as (first, second):
        browser = FormBrowser(first.base_url)
        login = browser.log_in("ines@example.org", PASSWORD)
        assert login.status == 302 and login.location_path != "/login", login.body[:300]

        browser.base_url = second.base_url
        account = browser.get("/account")
        assert account.status == 200
        assert "Inès Deux-Serveurs" in account.body
        # A form posted to the second server with the first one's CSRF token is accepted.
        logout = browser.post("/logout", {})
        assert logout.status == 302

        browser.base_url = first.base_url
        assert browser.get("/account").status == 302  # logged out everywhere
        assert first.errors() == [] and second.errors() == []


def test_the_login_rate_limit_counts_across_both_servers(database, tmp_path):
    with two_servers(database, tmp_path, LOGIN_RATE_LIMIT="3 per minute") as servers:
        browsers = [FormBrowser(server.base_url) for server in servers]
        wrong = {"email": "ines@example.org", "password": "not-the-password"}
        codes = []
        for attempt in range(4):
            browser = browsers[attempt % 2]
            browser.get("/login")
            codes.append(browser.post("/login", wrong).status)
        assert codes == [200, 200, 200, 429]
        # The right password is refused too while the limit holds, on both servers.
        assert browsers[0].post("/login", {**wrong, "password": PASSWORD}).status == 429
