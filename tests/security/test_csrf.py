"""CSRF: with the protection on (as in production), every POST route of the
url_map refuses a request without a valid token with 400, and changes nothing.

The routes are found by walking the url_map, never listed by hand: a POST route
added later is checked without touching this file. Each POST carries the valid
form of ``test_permissions.form_for`` (so that, were the token not checked, the
request would change something), from an admin and from an anonymous visitor,
with no token or with a genuine token issued to another session.
The whole database is compared before and after each request.
"""

from __future__ import annotations

import logging
import re

import pytest

from fablab import create_app
from tests.conftest import base_config
from tests.security.test_permissions import (IGNORED_ENDPOINTS, World, build_url, client_for,
                                             form_for, make_lab)

ROLES = ("admin", "anonymous")
TOKENS = ("missing", "foreign")
TOKEN_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CSRF_LOGGER = "flask_wtf.csrf"  # logs the reason of every refused token


@pytest.fixture
def csrf_refusals(caplog, monkeypatch):
    """The reasons Flask-WTF gave for refusing a token during the test: tells a
    CSRF 400 from a 400 for an invalid form."""
    logger = logging.getLogger(CSRF_LOGGER)
    # Alembic's fileConfig (the migrations run by conftest) disables existing loggers.
    monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.INFO, logger=CSRF_LOGGER)
    return lambda: [record.getMessage() for record in caplog.records
                    if record.name == CSRF_LOGGER]


def post_endpoints() -> list[str]:
    """The POST endpoints of the url_map (built once, at collection)."""
    app = create_app(base_config("sqlite://"))
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if "POST" in rule.methods and rule.endpoint not in IGNORED_ENDPOINTS})


POST_ENDPOINTS = post_endpoints()


@pytest.fixture(scope="module")
def csrf_lab(database_url):
    yield from make_lab(database_url, WTF_CSRF_ENABLED=True)


@pytest.fixture(autouse=True)
def _count_tests(csrf_lab):
    csrf_lab.test_number += 1


@pytest.fixture
def csrf_app(csrf_lab):
    return csrf_lab.app


@pytest.fixture
def world(csrf_lab) -> World:
    return csrf_lab.fresh_world()


def page_token(client, path: str = "/") -> str:
    """Visit a page (the session now holds a CSRF secret) and read its token."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    match = TOKEN_INPUT.search(response.get_data(as_text=True))
    assert match, f"no csrf_token in {path}"
    return match.group(1)


def test_the_url_map_has_post_routes():
    assert len(POST_ENDPOINTS) >= 10, POST_ENDPOINTS
    assert "accounts.logout" in POST_ENDPOINTS and "core.set_language" in POST_ENDPOINTS


def test_csrf_is_on(csrf_app):
    assert csrf_app.config["WTF_CSRF_ENABLED"] is True
    assert csrf_app.config.get("WTF_CSRF_CHECK_DEFAULT", True) is True


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_post_without_a_valid_token_is_refused(csrf_lab, csrf_app, world, csrf_refusals, endpoint,
                                              role, token):
    # A variable the world has no object for gets an unknown id: the token is
    # checked before the view runs, so the URL need not point to a real object.
    url = build_url(csrf_app, endpoint, world.url_values(), placeholders=True)
    client = client_for(csrf_app, world, role)
    page_token(client)  # a real visitor's session already holds a CSRF secret
    data = dict(form_for(endpoint, world))
    if token == "foreign":  # genuine, but issued to another visitor's session
        data["csrf_token"] = page_token(csrf_app.test_client())

    response = client.post(url, data=data)

    assert response.status_code == 400, (
        f"POST {url} as {role} with a {token} token: HTTP {response.status_code} "
        f"{response.headers.get('Location', '')}")
    assert csrf_refusals(), f"POST {url}: a 400, but not from the CSRF check"
    changes = csrf_lab.changes()  # against the world as the test received it
    assert not changes, f"POST {url} as {role} with a {token} token changed {changes}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_the_same_post_with_its_token_passes_the_csrf_check(csrf_app, world, csrf_refusals,
                                                           endpoint, role):
    """The control: with the session's own token, the CSRF check lets the same
    request through (the view then answers whatever it answers, never a 5xx)."""
    url = build_url(csrf_app, endpoint, world.url_values(), placeholders=True)
    client = client_for(csrf_app, world, role)
    data = {**form_for(endpoint, world), "csrf_token": page_token(client)}
    response = client.post(url, data=data)
    assert not csrf_refusals(), (url, role, csrf_refusals())
    assert response.status_code < 500, (url, role, response.status_code)


def test_a_token_makes_the_change(csrf_app, world):
    """End to end: the admin's form, with its token, creates the organisation."""
    from sqlalchemy import func, select

    from fablab.accounts.models import Organisation
    from fablab.extensions import db

    def count():
        with csrf_app.app_context():
            return db.session.scalar(select(func.count(Organisation.id)))

    client = client_for(csrf_app, world, "admin")
    before = count()
    response = client.post("/organisations/new", data={"name": "Sans jeton", "kind": "school"})
    assert response.status_code == 400 and count() == before
    token = page_token(client, "/organisations/new")
    response = client.post("/organisations/new",
                           data={"name": "Avec jeton", "kind": "school", "csrf_token": token})
    assert response.status_code == 302 and count() == before + 1


def test_a_tokenless_post_to_an_unknown_api_url_answers_json(csrf_app):
    response = csrf_app.test_client().post("/api/anything", data={})
    assert response.status_code in (400, 404, 405)
    assert response.mimetype == "application/json"
