"""The desk's today screen runs the same number of SQL queries on a quiet day and on
a busy one: events with registrations (members and children), bookings (one for an
organisation), loans due, a ready hold, an open slot with its staff and an incident.
Every related row is joined, and the day's registrations (which give the seat counts
too) are one query whether the day has events or not."""

from __future__ import annotations

from datetime import timedelta

from tests.events.conftest import at
from tests.support.db_helpers import local_day, save
from tests.support.query_counter import count_queries


def test_the_desk_today_screen_does_not_grow(app, db, site, machine, desk, desk_client,
                                             create_borrower, create_item, insert_loan,
                                             insert_hold, create_organisation):
    from fablab.accounts.models import Child
    from fablab.booking.models import Booking, OpenSlot
    from fablab.events.models import Event, Registration
    from fablab.machines.models import Incident

    desk_client.get("/desk")  # warm up
    quiet, _ = count_queries(app, desk_client, "/desk")

    today = local_day(0)
    members = [create_borrower(name=f"Busy {n}") for n in range(4)]
    association = create_organisation(name="Les Bricoleurs", members=members[:1])
    with app.app_context():
        save(OpenSlot(site_id=site.id, starts_at=at(today, "09:00"), ends_at=at(today, "21:00"),
                      capacity=10, staff_id=desk.id))
        for n, member in enumerate(members):
            save(Booking(resource_id=machine.id, member_id=member.id,
                         organisation_id=association.id if n == 0 else None,
                         starts_at=at(today, f"{10 + n}:00"), ends_at=at(today, f"{10 + n}:45")))
        save(Incident(resource_id=machine.id, reported_by_id=members[1].id,
                      description="Le laser ne s'allume plus"))
        for n in range(2):
            event = save(Event(site_id=site.id, kind="workshop", audience="everyone",
                               title=f"Atelier du jour {n}", slug=f"atelier-du-jour-{n}",
                               starts_at=at(today, f"{14 + 2 * n}:00"),
                               ends_at=at(today, f"{15 + 2 * n}:00"),
                               capacity=3, status="published"))
            for m, member in enumerate(members):
                child = save(Child(guardian_id=member.id, first_name=f"Enfant {n}{m}",
                                   birth_year=2016)) if m % 2 else None
                save(Registration(event_id=event.id, member_id=member.id,
                                  child_id=child.id if child else None,
                                  participant_key=f"c:{child.id}" if child else f"m:{member.id}",
                                  status="confirmed" if m < 3 else "waitlisted"))
    for n, member in enumerate(members[:3]):
        insert_loan(create_item(name=f"Perceuse {n}"), member, due_on=today - timedelta(days=n),
                    organisation_id=association.id if n == 0 else None)
    insert_hold(create_item(name="Ponceuse"), members[3], status="ready",
                expires_on=today + timedelta(days=3))

    busy, page = count_queries(app, desk_client, "/desk")
    assert "Atelier du jour 1" in page and "Perceuse 2" in page and "Ponceuse" in page
    assert "Les Bricoleurs" in page
    assert len(busy) == len(quiet), "\n".join(s[:120] for s in busy)
