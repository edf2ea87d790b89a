"""An event page and its registration list run the same number of SQL queries
with 5 or 60 registrations."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event as sa_event

from fablab.accounts.models import Child, User
from fablab.events.models import Event, Registration


@pytest.fixture
def crowded(app, create_site):
    from fablab.extensions import db

    site = create_site()
    with app.app_context():
        start = datetime.now(timezone.utc) + timedelta(days=5)
        event = Event(site_id=site.id, title="Atelier", slug="atelier-queries", kind="workshop",
                      status="published", starts_at=start, ends_at=start + timedelta(hours=2),
                      capacity=30)
        db.session.add(event)
        db.session.commit()
        return event.id


def add_registrations(app, event_id, count, offset):
    from fablab.extensions import db

    with app.app_context():
        for n in range(offset, offset + count):
            parent = User(name=f"Parent {n}", email=f"parent{n}@example.org")
            child = Child(guardian=parent, first_name=f"Enfant {n}", birth_year=2015)
            db.session.add_all([parent, child])
            db.session.flush()
            db.session.add(Registration(event_id=event_id, member_id=parent.id,
                                        child_id=child.id if n % 2 else None,
                                        participant_key=f"c:{child.id}" if n % 2 else f"m:{parent.id}",
                                        status="confirmed" if n < 30 else "waitlisted"))
        db.session.commit()


def count_queries(app, client, path) -> int:
    from fablab.extensions import db

    with app.app_context():
        engine = db.engine
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    return len(statements)


@pytest.mark.parametrize("path", ["/events/atelier-queries",
                                  "/events/atelier-queries/registrations"])
def test_queries_do_not_grow_with_registrations(app, staff_client, crowded, path):
    add_registrations(app, crowded, 5, 0)
    staff_client.get(path)  # warm up
    few = count_queries(app, staff_client, path)
    add_registrations(app, crowded, 55, 5)
    many = count_queries(app, staff_client, path)
    assert few == many


def test_event_page_queries_do_not_grow_with_prices_and_animators(
        app, client, create_event, create_tariff, create_member, create_training):
    """Each price's tariff used to be loaded on its own (one query per price)."""
    from fablab.events.models import EventPrice, event_animators, event_trainings
    from fablab.extensions import db

    create_event(slug="sans-rien")
    full = create_event(slug="avec-tout")
    tariffs = [create_tariff() for _ in range(4)]
    animators = [create_member() for _ in range(3)]
    trainings = [create_training() for _ in range(2)]
    with app.app_context():
        db.session.add_all(EventPrice(event_id=full.id, tariff_id=t.id, price_cents=500 + i)
                           for i, t in enumerate(tariffs))
        db.session.execute(event_animators.insert(),
                           [{"event_id": full.id, "user_id": a.id} for a in animators])
        db.session.execute(event_trainings.insert(),
                           [{"event_id": full.id, "training_id": t.id} for t in trainings])
        db.session.commit()
    client.get("/events/sans-rien")  # warm up
    bare = count_queries(app, client, "/events/sans-rien")
    page = client.get("/events/avec-tout").get_data(as_text=True)
    assert all(t.name in page for t in tariffs + trainings)
    assert count_queries(app, client, "/events/avec-tout") == bare


def test_my_registrations_queries_do_not_depend_on_the_lists(
        app, login_as, create_member, create_event, create_child, insert_registration):
    """Empty or not, each list (upcoming, past) is one query with its events, sites,
    children and members joined."""
    from tests.events.conftest import local_day

    newcomer, regular = create_member(), create_member()
    child = create_child(regular, 2015)
    for offset in (3, 10, -10, -40):
        event = create_event(day=local_day(offset))
        insert_registration(event, regular)
        insert_registration(event, regular, child=child)
    empty_client, busy_client = login_as(newcomer), login_as(regular)
    empty_client.get("/account/registrations")
    empty = count_queries(app, empty_client, "/account/registrations")
    assert count_queries(app, busy_client, "/account/registrations") == empty
