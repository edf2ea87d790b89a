"""The anonymous agenda pages and the public feeds come from a small in-memory
cache keyed by the public validator's ETag (fablab/agenda/cache.py): what a visitor
sees must still be current, personal (their own CSRF token), and a logged-in
member's page is never cached."""

from __future__ import annotations

import re

import pytest

from fablab.agenda import cache
from tests.events.conftest import local_day
from tests.support.query_counter import count_queries

# A Wednesday: tomorrow's event is on this week's page (/agenda), whatever day the suite runs.
pytestmark = pytest.mark.frozen("2026-12-02 14:19")

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def _pages(app):
    with app.app_context():
        return cache.pages()


def test_each_visitor_gets_a_token_of_their_own_that_works(csrf_app, create_site):
    first, second = csrf_app.test_client(), csrf_app.test_client()
    page_one = first.get("/agenda").get_data(as_text=True)
    page_two = second.get("/agenda").get_data(as_text=True)
    assert len(_pages(csrf_app)) == 1  # the second page came from the cache
    token_one, token_two = TOKEN.search(page_one).group(1), TOKEN.search(page_two).group(1)
    assert token_one != token_two
    assert cache.CSRF_MARK not in page_one + page_two
    # The second visitor's language switch is accepted with the token of their page...
    switched = second.post("/language", data={"lang": "en", "next": "/agenda",
                                              "csrf_token": token_two})
    assert switched.status_code == 302
    assert "lang=en" in switched.headers["Set-Cookie"]
    # ...and refused with the first visitor's token.
    refused = second.post("/language", data={"lang": "en", "csrf_token": token_one})
    assert refused.status_code == 400


def test_a_cached_page_shows_a_new_event_at_once(app, client, create_event):
    create_event(title="Atelier soudure", day=local_day(1))
    assert "Atelier soudure" in client.get("/agenda").get_data(as_text=True)
    assert "Atelier soudure" in client.get("/agenda").get_data(as_text=True)
    create_event(title="Café réparation", day=local_day(1))
    page = client.get("/agenda").get_data(as_text=True)
    assert "Atelier soudure" in page and "Café réparation" in page


def test_a_cached_page_runs_only_the_validator(app, client, create_event):
    create_event(title="Atelier soudure", day=local_day(1))
    rendered, _ = count_queries(app, client, "/agenda/week")
    cached, page = count_queries(app, client, "/agenda/week")
    assert "Atelier soudure" in page
    # the validator's row is reused for a second (the clock fixture stops that clock, so
    # the second request comes "within" it however slow the machine): nothing is asked
    assert cached == [] and len(rendered) > 0


def test_the_language_and_the_filters_have_pages_of_their_own(app, client, create_event):
    create_event(title="Atelier soudure", day=local_day(1), kind="workshop")
    french = client.get("/agenda", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    english = client.get("/agenda", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="fr"' in french and 'lang="en"' in english
    clubs = client.get("/agenda?kind=club").get_data(as_text=True)
    assert "Atelier soudure" not in clubs


def test_a_member_page_is_never_cached(app, member_client, create_event):
    create_event(title="Atelier soudure", day=local_day(1))
    assert "Atelier soudure" in member_client.get("/agenda").get_data(as_text=True)
    assert "Atelier soudure" in member_client.get("/agenda").get_data(as_text=True)
    assert len(_pages(app)) == 0


def test_a_waiting_message_is_shown_not_cached(app, client, create_event):
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Message rien que pour vous")]
    assert "Message rien que pour vous" in client.get("/agenda").get_data(as_text=True)
    assert len(_pages(app)) == 0
    assert "Message rien que pour vous" not in client.get("/agenda").get_data(as_text=True)


def test_a_public_feed_body_is_built_once_per_etag(app, client, create_event):
    create_event(title="Atelier soudure", day=local_day(1))
    first = client.get("/agenda.ics")
    assert b"Atelier soudure" in first.data
    assert client.get("/agenda.ics").data == first.data
    create_event(title="Café réparation", day=local_day(2))
    changed = client.get("/agenda.ics")
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert b"Caf" in changed.data and b"Atelier soudure" in changed.data
