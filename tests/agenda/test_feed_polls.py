"""Polls of the public feed answered before Flask (fablab/agenda/polls.py): the same 304
as Flask's, never staler than Flask's, and only for requests that carry nothing
private."""

from __future__ import annotations

import pytest
from flask import request_started
from sqlalchemy import text, update

from tests.agenda.test_validator_row import other_worker_renames
from tests.events.conftest import local_day


@pytest.fixture
def flask_requests(app):
    """How many requests reached Flask."""
    seen = []

    def note(sender, **extra):
        seen.append(1)

    request_started.connect(note, app)
    yield seen
    request_started.disconnect(note, app)


def poll(client, etag, path="/agenda.ics", **headers):
    return client.get(path, headers={"If-None-Match": etag, "Accept-Language": "fr", **headers})


def first_poll(client, path="/agenda.ics"):
    """A 200, then the 304 Flask gives and the middleware remembers."""
    etag = client.get(path, headers={"Accept-Language": "fr"}).headers["ETag"]
    response = poll(client, etag, path)
    assert response.status_code == 304
    return etag, response


def test_a_repeated_poll_gets_flasks_304_without_flask(client, create_event, clock,
                                                       flask_requests):
    create_event(title="Atelier soudure", day=local_day(1))
    etag, by_flask = first_poll(client)
    reached = len(flask_requests)
    again = poll(client, etag)
    assert again.status_code == 304 and again.data == b""
    assert len(flask_requests) == reached  # answered before Flask
    assert sorted(again.headers.items()) == sorted(by_flask.headers.items())
    assert again.headers["ETag"] == etag
    assert "default-src 'self'" in again.headers["Content-Security-Policy"]
    weak = poll(client, f'"other", W/{etag}')
    assert weak.status_code == 304 and len(flask_requests) == reached


def test_a_change_through_this_process_is_seen_at_once(app, client, create_event, clock):
    from fablab.events.models import Event
    from fablab.extensions import db

    event = create_event(title="Atelier soudure", day=local_day(1))
    etag, _ = first_poll(client)
    with app.app_context():
        db.session.execute(update(Event).where(Event.id == event.id)
                           .values(title="Atelier brasure", sequence=Event.sequence + 1))
        db.session.commit()
    response = poll(client, etag)
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert "Atelier brasure" in response.get_data(as_text=True)


def test_a_change_made_elsewhere_is_seen_within_the_second(app, client, create_event, clock):
    event = create_event(title="Atelier soudure", day=local_day(1))
    etag, _ = first_poll(client)
    other_worker_renames(app, event.id, "Atelier brasure")
    clock[0] += 0.5
    assert poll(client, etag).status_code == 304  # as Flask would: the row is half a second old
    clock[0] += 0.6
    response = poll(client, etag)
    assert response.status_code == 200
    assert "Atelier brasure" in response.get_data(as_text=True)


def test_another_etag_language_or_query_goes_to_flask(client, create_event, clock,
                                                     flask_requests):
    create_event(title="Atelier soudure", day=local_day(1))
    etag, _ = first_poll(client)
    reached = len(flask_requests)
    assert poll(client, '"stale"').status_code == 200
    english = poll(client, etag, **{"Accept-Language": "en"})
    assert english.status_code == 200  # the English feed has its own ETag
    assert poll(client, etag, path="/agenda.ics?kind=workshop").status_code == 200
    assert len(flask_requests) == reached + 3


def test_requests_with_cookies_or_credentials_always_go_to_flask(
        client, create_event, clock, flask_requests):
    create_event(title="Atelier soudure", day=local_day(1))
    etag, _ = first_poll(client)
    reached = len(flask_requests)
    assert poll(client, etag, Authorization="Bearer x").status_code == 304
    assert client.head("/agenda.ics", headers={"If-None-Match": etag}).status_code == 304
    client.set_cookie("consent", "yes")  # any cookie: it might carry a session
    assert poll(client, etag).status_code == 304
    assert len(flask_requests) == reached + 3


def test_machine_and_personal_feeds_are_not_remembered(
        client, create_resource, member, feed_token, clock, flask_requests):
    create_resource(slug="laser")
    for path in ("/machines/laser.ics", f"/calendar/{feed_token(member)}.ics"):
        etag, _ = first_poll(client, path)
        reached = len(flask_requests)
        assert poll(client, etag, path).status_code == 304
        assert len(flask_requests) == reached + 1


def test_without_the_rendered_cache_nothing_is_remembered(make_app, create_event):
    app = make_app(AGENDA_RENDERED_CACHE=False)
    client = app.test_client()
    seen = []
    request_started.connect(lambda sender, **extra: seen.append(1), app, weak=False)
    create_event(title="Atelier soudure", day=local_day(1))
    etag, _ = first_poll(client)
    reached = len(seen)
    assert poll(client, etag).status_code == 304
    assert len(seen) == reached + 1


def test_a_worker_without_a_ttl_never_answers_from_memory(make_app, create_event):
    from fablab.extensions import db

    app = make_app(AGENDA_VALIDATOR_TTL=0)
    client = app.test_client()
    create_event(title="Atelier soudure", day=local_day(1))
    etag, _ = first_poll(client)
    with app.app_context():
        event_id = db.session.execute(text("SELECT id FROM events")).scalar_one()
    other_worker_renames(app, event_id, "Atelier brasure")
    assert poll(client, etag).status_code == 200
