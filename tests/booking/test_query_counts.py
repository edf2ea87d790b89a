"""The pages that list bookings make a fixed number of SQL queries, whatever the
number of bookings (no N+1): a machine's page (anonymous, member, staff), the
staff's day view and a member's bookings.

Each page is rendered with 10 bookings in the database, its queries counted
(``before_cursor_execute`` on the app's engine, during the request); then the
bookings grow to 1,000 (bulk insert: confirmed, pending and cancelled, some on
behalf of an organisation, some in the past, spread over several machines and
the half-hour steps of a week of slots, never overlapping) and the page is
counted again: the counts must be equal.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from tests.support.query_counter import count_queries

PARIS = ZoneInfo("Europe/Paris")
RESOURCES = 20
MEMBERS = 25
ORGANISATIONS = 3
DAYS = 6
SLOT_START, SLOT_END = time(8, 0), time(20, 0)
STEP = timedelta(minutes=30)
STEPS_PER_SLOT = 24  # 08:00 → 20:00
FEW, MANY = 10, 1000


@dataclass
class _World:
    site_id: int
    resource_ids: list[int]
    resource_slugs: list[str]
    member_ids: list[int]
    organisation_ids: list[int]
    future_slots: dict[date, int]  # local day → slot id
    past_slots: dict[date, int]
    first_day: date
    member: object  # detached: the member whose bookings are listed
    staff: object
    inserted: int = 0


@pytest.fixture
def _world(db, create_site, create_member, create_membership, create_tariff):
    """A site, 20 free machines, one slot a day over the 6 days to come and the
    6 days gone, 25 members (the first one with a membership and in an
    organisation), 3 organisations, and staff. No booking yet."""
    from fablab.accounts.models import Organisation, OrganisationMember
    from fablab.booking.models import OpenSlot
    from fablab.booking.services import local_to_utc
    from fablab.core.timeutil import local_today
    from fablab.machines.models import Resource

    site = create_site()
    tariff = create_tariff()
    members = [create_member(name=f"Counted {i}", locale="en") for i in range(MEMBERS)]
    create_membership(members[0], tariff=tariff)
    staff = create_member(name="Counting Staff", role="staff", locale="en")

    resources = [Resource(site_id=site.id, name=f"Machine {i}", slug=f"counted-machine-{i}",
                          kind="machine", granularity_minutes=30, min_duration_minutes=30,
                          max_duration_minutes=240) for i in range(RESOURCES)]
    organisations = [Organisation(name=f"Counting Club {i}", kind="association")
                     for i in range(ORGANISATIONS)]
    db.session.add_all([*resources, *organisations])
    db.session.commit()
    db.session.add(OrganisationMember(organisation_id=organisations[0].id,
                                      user_id=members[0].id))

    today = local_today(PARIS)
    slots = {}
    for offset in [*range(1, DAYS + 1), *range(-DAYS, 0)]:
        day = today + timedelta(days=offset)
        slots[day] = OpenSlot(site_id=site.id, capacity=50,
                              starts_at=local_to_utc(day, SLOT_START, PARIS),
                              ends_at=local_to_utc(day, SLOT_END, PARIS))
    db.session.add_all(slots.values())
    db.session.commit()
    return _World(
        site_id=site.id, resource_ids=[r.id for r in resources],
        resource_slugs=[r.slug for r in resources], member_ids=[m.id for m in members],
        organisation_ids=[o.id for o in organisations],
        future_slots={d: s.id for d, s in slots.items() if d > today},
        past_slots={d: s.id for d, s in slots.items() if d < today},
        first_day=today + timedelta(days=1), member=members[0], staff=staff)


def _position(k: int, days: list[date]) -> tuple[int, date, int]:
    """The k-th free (resource, day, step): machines first, then days, then steps,
    so that even the first few bookings touch the first machine and the first day."""
    resource, day, step = k % RESOURCES, (k // RESOURCES) % len(days), k // (RESOURCES * len(days))
    assert step < STEPS_PER_SLOT, "too many bookings for the slots"
    return resource, days[day], step


def _add_bookings(db, world: _World, up_to: int) -> None:
    """Bulk-insert bookings until there are ``up_to``: 4 in 5 to come, 1 in 5 past
    (checked in, so that no page marks them as no-shows); 1 in 7 cancelled, 1 in
    11 pending, 1 in 6 on behalf of an organisation; 1 in 3 are the first
    member's, the others go round the other members.

    The first ten already hold every kind (a pending request on behalf of an
    organisation, a cancelled one, a past one of the first member): a page that
    loads a relation with one query, only when some row needs it, makes that
    query in both counts. The thousand bring more machines, members and
    organisations to the pages than the ten: a query per booking, or per
    machine, member or organisation, makes the count grow."""
    from fablab.booking.models import Booking
    from fablab.booking.services import local_to_utc

    future_days, past_days = sorted(world.future_slots), sorted(world.past_slots)
    rows = []
    for i in range(up_to):
        past = i % 5 == 4
        k = i // 5 if past else i - (i + 1) // 5  # rank among the past, or the future, ones
        resource, day, step = _position(k, past_days if past else future_days)
        starts_at = local_to_utc(day, SLOT_START, PARIS) + step * STEP
        status = "cancelled" if i % 7 == 3 else ("pending" if i % 11 == 5 and not past
                                                 else "confirmed")
        if i < world.inserted:
            continue
        member_id = world.member_ids[0 if i % 3 == 0 else 1 + i % (MEMBERS - 1)]
        rows.append({
            "resource_id": world.resource_ids[resource],
            "member_id": member_id,
            "organisation_id": (world.organisation_ids[(i // 6) % ORGANISATIONS]
                                if i % 6 == 5 else None),
            "slot_id": (world.past_slots if past else world.future_slots)[day],
            "starts_at": starts_at, "ends_at": starts_at + STEP, "status": status,
            "checked_in_at": starts_at if past and status == "confirmed" else None,
            "cancelled_at": starts_at - timedelta(days=2) if status == "cancelled" else None,
            "cancel_reason": "changed my mind" if status == "cancelled" else "",
            "created_by_id": member_id,
        })
    if rows:
        db.session.execute(insert(Booking), rows)
        db.session.commit()
    world.inserted = up_to
    assert db.session.scalar(select(func.count(Booking.id))) == up_to


def _normalise(statement: str) -> str:
    return re.sub(r"\s+", " ", statement).strip()[:160]


PAGES = {
    "machine-anonymous": (None, lambda w: f"/machines/{w.resource_slugs[0]}"),
    "machine-member": ("member", lambda w: f"/machines/{w.resource_slugs[0]}"),
    "machine-staff": ("staff", lambda w: f"/machines/{w.resource_slugs[0]}"),
    "day-staff": ("staff", lambda w: f"/bookings/day?site={w.site_id}"
                                     f"&date={w.first_day.isoformat()}"),
    "my-bookings": ("member", lambda w: "/account/bookings"),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_page_queries_do_not_grow_with_bookings(page, app, db, _world, login_as):
    who, url_of = PAGES[page]
    client = login_as(getattr(_world, who)) if who else app.test_client()
    url = url_of(_world)

    _add_bookings(db, _world, FEW)
    count_queries(app, client, url)  # warm-up: first-request work is not counted
    few, page_few = count_queries(app, client, url)
    assert few == count_queries(app, client, url)[0], "the count is not stable"

    _add_bookings(db, _world, MANY)
    many, page_many = count_queries(app, client, url)

    # The page does show the bookings (otherwise equal counts would prove nothing).
    if page in ("day-staff", "my-bookings"):
        assert page_many.count("<tr") > page_few.count("<tr") + 50
    else:
        assert "booked" in page_few and "booked" in page_many

    if len(few) != len(many):
        before, after = Counter(map(_normalise, few)), Counter(map(_normalise, many))
        details = [f"  +{n}: {sql}" for sql, n in (after - before).most_common(10)]
        details += [f"  -{n}: {sql}" for sql, n in (before - after).most_common(10)]
        pytest.fail(f"{page}: {len(few)} queries with {FEW} bookings, {len(many)} with "
                    f"{MANY}; the statements that differ:\n" + "\n".join(details))
