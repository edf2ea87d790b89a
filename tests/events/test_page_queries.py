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
