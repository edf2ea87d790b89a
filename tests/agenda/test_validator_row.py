"""The public validator's row is reused by a worker for a second (AGENDA_VALIDATOR_TTL,
fablab/agenda/cache.py): a change made through this process is seen at once, a change
made elsewhere (another worker or server) within the second."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from fablab.agenda import cache
from tests.events.conftest import local_day

# A Wednesday: tomorrow's event is on this week's page (/agenda), whatever day the suite runs.
pytestmark = pytest.mark.frozen("2026-12-02 14:19")


def etag(client, path="/agenda.ics"):
    response = client.get(path)
    assert response.status_code == 200
    return response.headers["ETag"]


def other_worker_renames(app, event_id: int, title: str) -> None:
    """A write that never passes through this process's sessions: another server's."""
    from fablab.extensions import db

    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(
                text("UPDATE events SET title = :title, sequence = sequence + 1, "
                     "updated_at = CURRENT_TIMESTAMP WHERE id = :id"),
                {"title": title, "id": event_id})


def test_a_change_made_elsewhere_is_seen_within_the_second(app, client, create_event, clock):
    event = create_event(title="Atelier soudure", day=local_day(1))
    first = etag(client)
    assert "Atelier soudure" in client.get("/agenda").get_data(as_text=True)
    other_worker_renames(app, event.id, "Atelier brasure")
    clock[0] += 0.5
    assert etag(client) == first  # still the row read half a second ago
    assert "Atelier soudure" in client.get("/agenda").get_data(as_text=True)  # the cached page
    clock[0] += 0.6
    assert etag(client) != first
    assert "Atelier brasure" in client.get("/agenda").get_data(as_text=True)


def test_a_change_made_through_this_process_is_seen_at_once(app, client, create_event, clock):
    from fablab.events.models import Event
    from fablab.extensions import db

    event = create_event(title="Atelier soudure", day=local_day(1))
    first = etag(client)
    with app.app_context():  # a bulk statement, not a flushed object
        db.session.execute(update(Event).where(Event.id == event.id)
                           .values(title="Atelier brasure", sequence=Event.sequence + 1))
        db.session.commit()
    second = etag(client)
    assert second != first
    assert "Atelier brasure" in client.get("/agenda").get_data(as_text=True)
    with app.app_context():  # a flushed object
        row = db.session.get(Event, event.id)
        row.status = "cancelled"
        row.sequence += 1
        db.session.commit()
    assert etag(client) not in (first, second)


def test_a_rolled_back_change_keeps_the_row(app, client, create_event, clock):
    from fablab.events.models import Event
    from fablab.extensions import db

    create_event(title="Atelier soudure", day=local_day(1))
    etag(client)
    queries = []
    with app.app_context():
        event = db.session.scalar(select(Event))
        event.title = "Atelier brasure"
        db.session.flush()
        db.session.rollback()
        from sqlalchemy import event as sa_event

        sa_event.listen(db.engine, "before_cursor_execute",
                        lambda *args: queries.append(args[2]))
    client.get("/agenda.ics")
    assert not [q for q in queries if "count" in q.lower()]  # the row was not forgotten


def test_without_a_ttl_every_answer_asks_the_database(make_app, create_event):
    from fablab.extensions import db

    app = make_app(AGENDA_VALIDATOR_TTL=0)
    client = app.test_client()
    create_event(title="Atelier soudure", day=local_day(1))
    first = etag(client)
    with app.app_context():
        event_id = db.session.execute(text("SELECT id FROM events")).scalar_one()
    other_worker_renames(app, event_id, "Atelier brasure")
    assert etag(client) != first


def test_a_site_moving_gives_new_etags_for_the_public_and_machine_feeds(
        app, client, create_event, site):
    from fablab.core.models import Site
    from fablab.extensions import db
    from fablab.machines.models import Resource

    create_event(title="Atelier soudure", day=local_day(1))
    with app.app_context():
        machine = Resource(site_id=site.id, kind="machine", name="Découpe laser",
                           slug="decoupe-laser")
        db.session.add(machine)
        db.session.commit()
    public, machine_feed = etag(client), etag(client, "/machines/decoupe-laser.ics")
    with app.app_context():
        db.session.get(Site, site.id).address = "12 rue Neuve, 69100 Villeurbanne"
        db.session.commit()
    assert etag(client) != public
    assert etag(client, "/machines/decoupe-laser.ics") != machine_feed
    assert "12 rue Neuve" in client.get("/agenda.ics").get_data(as_text=True)


def test_a_row_read_while_a_commit_made_it_forget_is_not_kept(clock):
    row = cache.RecentRow(ttl=60)

    def read_while_someone_commits():
        row.forget()  # a commit in another thread, while this query runs
        return ("before the commit",)

    assert row.get(read_while_someone_commits) == ("before the commit",)
    assert row.get(lambda: ("after the commit",)) == ("after the commit",)
    assert row.get(lambda: ("not asked",)) == ("after the commit",)
