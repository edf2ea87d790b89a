"""The dataset generator of bench/make_dataset.py, at a small scale, on both
databases: the rules that hold in the application hold in its data, the counts
follow the scale, and the main pages answer on it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bench.make_dataset import SCALE_10, Size, load_dataset
from fablab.core.timeutil import local_today, utcnow
from fablab.extensions import db as _db
from tests.conftest import login

SCALE = 0.1


@pytest.fixture
def loaded(app):
    counts = load_dataset(app, SCALE)
    return app, counts


def scalar(app, sql: str, **params):
    with app.app_context():
        with _db.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()


def rows(app, sql: str, **params):
    with app.app_context():
        with _db.engine.connect() as conn:
            return conn.execute(text(sql), params).all()


def local_date(app, column: str) -> str:
    """SQL for the Paris date of a UTC datetime column."""
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            return f"(({column}) AT TIME ZONE 'Europe/Paris')::date"
    # SQLite keeps naive UTC text; Paris is 1 or 2 hours ahead, and nothing
    # generated happens between 22:00 and 02:00, so the UTC date is the local one.
    return f"date({column})"


def test_sizes_follow_the_scale():
    ten, one, tenth = Size.for_scale(10), Size.for_scale(1), Size.for_scale(0.1)
    assert (ten.sites, ten.years, ten.members, ten.machines) == (5, 5, 20000, 60)
    assert (ten.bookings, ten.events, ten.registrations, ten.items, ten.loans) == \
        (300000, 10000, 150000, 3000, 100000)
    assert (ten.projects, ten.visits) == (SCALE_10["projects"], SCALE_10["visits"])
    assert (one.sites, one.years, one.members, one.machines, one.items) == (1, 1, 500, 15, 300)
    assert tenth.members == 50 and tenth.bookings == one.bookings // 10
    assert Size.for_scale(0.2).registrations == 2 * tenth.registrations
    with pytest.raises(ValueError):
        Size.for_scale(0)


def test_counts_are_near_the_targets_of_the_scale(loaded, create_member):
    app, counts = loaded
    size = Size.for_scale(SCALE)
    assert scalar(app, "SELECT count(*) FROM users WHERE role = 'member'") == size.members
    assert scalar(app, "SELECT count(*) FROM resources WHERE kind = 'machine'") == size.machines
    assert scalar(app, "SELECT count(*) FROM items") == size.items
    assert scalar(app, "SELECT count(*) FROM events") == size.events
    for table, target in (("bookings", size.bookings), ("registrations", size.registrations),
                          ("loans", size.loans), ("visits", size.visits)):
        found = scalar(app, f"SELECT count(*) FROM {table}")
        assert found == counts[table]
        assert 0.6 * target <= found <= 1.3 * target, (table, found, target)
    # A year of history: accounts, bookings and loans spread over it.
    joined = local_date(app, "created_at")
    first, last = (date.fromisoformat(str(day)) for day in rows(
        app, f"SELECT min({joined}), max({joined}) FROM users WHERE role = 'member'")[0])
    assert (last - first).days > 300 and last >= local_today() - timedelta(days=30)
    span = scalar(app, "SELECT count(DISTINCT " + local_date(app, "starts_at") + ") FROM bookings")
    assert span > 100
    # Every account shares one password hash, which works.
    assert scalar(app, "SELECT count(DISTINCT password_hash) FROM users") == 1
    email = scalar(app, "SELECT email FROM users WHERE role = 'member' ORDER BY id LIMIT 1")
    response = app.test_client().post("/login", data={"email": email,
                                                      "password": "bench-password"})
    assert response.status_code == 302
    # The ids were chosen by the generator: the database's next one comes after them.
    newcomer = create_member()
    assert newcomer.id == scalar(app, "SELECT max(id) FROM users") > counts["users"] - 1


def test_no_two_live_bookings_of_a_resource_overlap_and_the_database_still_says_so(loaded):
    app, _ = loaded
    assert scalar(app, """
        SELECT count(*) FROM bookings a JOIN bookings b
          ON a.resource_id = b.resource_id AND a.id < b.id
         AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
        WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
    """) == 0
    # The guard set aside during the SQLite load is back: an overlap is refused.
    with app.app_context():
        with pytest.raises(IntegrityError):
            with _db.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO bookings (resource_id, member_id, starts_at, ends_at, status, "
                    "purpose, quota_override, no_show, decision_reason, cancel_reason, created_at) "
                    "SELECT resource_id, member_id, starts_at, ends_at, 'confirmed', '', false, "
                    "false, '', '', created_at FROM bookings WHERE id = "
                    "(SELECT max(id) FROM bookings WHERE status = 'confirmed')"))


def test_bookings_sit_in_open_slots_of_their_site_and_slots_are_never_over_capacity(loaded):
    app, _ = loaded
    assert scalar(app, "SELECT count(*) FROM bookings WHERE slot_id IS NULL") == 0
    assert scalar(app, """
        SELECT count(*) FROM bookings b
          JOIN open_slots s ON s.id = b.slot_id JOIN resources r ON r.id = b.resource_id
        WHERE s.site_id != r.site_id OR b.starts_at < s.starts_at OR b.ends_at > s.ends_at
           OR s.cancelled_at IS NOT NULL
    """) == 0
    assert scalar(app, """
        SELECT count(*) FROM (
          SELECT s.id FROM open_slots s JOIN bookings b ON b.slot_id = s.id
          WHERE b.status IN ('pending', 'confirmed')
          GROUP BY s.id, s.capacity HAVING count(DISTINCT b.member_id) > s.capacity) full_slots
    """) == 0
    # Bookings last whole steps of their resource, between its shortest and longest.
    minutes = ("(extract(epoch FROM b.ends_at - b.starts_at) / 60)"
               if _dialect(app) == "postgresql"
               else "((julianday(b.ends_at) - julianday(b.starts_at)) * 1440)")
    assert scalar(app, f"""
        SELECT count(*) FROM bookings b JOIN resources r ON r.id = b.resource_id
        WHERE round({minutes}) < r.min_duration_minutes
           OR round({minutes}) > r.max_duration_minutes
           OR CAST(round({minutes}) AS INTEGER) % r.granularity_minutes != 0
    """) == 0


def test_bookers_were_members_that_day_and_trained_for_the_machine(loaded):
    app, _ = loaded
    day = local_date(app, "b.starts_at")
    assert scalar(app, f"""
        SELECT count(*) FROM bookings b WHERE NOT EXISTS (
          SELECT 1 FROM memberships m WHERE m.member_id = b.member_id
             AND m.starts_on <= {day} AND m.ends_on >= {day})
    """) == 0
    assert scalar(app, """
        SELECT count(*) FROM bookings b JOIN resources r ON r.id = b.resource_id
        WHERE r.training_id IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM training_grants g WHERE g.member_id = b.member_id
             AND g.training_id = r.training_id AND g.granted_at <= b.starts_at
             AND (g.expires_at IS NULL OR g.expires_at > b.starts_at))
    """) == 0
    assert scalar(app, "SELECT count(*) FROM bookings b JOIN resources r ON r.id = b.resource_id "
                       "WHERE r.training_id IS NOT NULL") > 0
    # Membership periods of a member never overlap.
    assert scalar(app, """
        SELECT count(*) FROM memberships a JOIN memberships b
          ON a.member_id = b.member_id AND a.id < b.id
         AND a.starts_on <= b.ends_on AND b.starts_on <= a.ends_on
    """) == 0


def test_past_bookings_were_checked_in_or_missed_future_ones_not(loaded):
    app, _ = loaded
    now = utcnow()
    past = rows(app, "SELECT checked_in_at IS NOT NULL, no_show FROM bookings "
                     "WHERE status = 'confirmed' AND ends_at <= :now", now=_bind(app, now))
    assert past and all(checked != bool(missed) for checked, missed in past)
    no_shows = sum(1 for _, missed in past if missed) / len(past)
    assert 0.02 <= no_shows <= 0.25
    assert scalar(app, "SELECT count(*) FROM bookings WHERE starts_at > :now "
                       "AND (checked_in_at IS NOT NULL OR no_show)", now=_bind(app, now)) == 0
    assert scalar(app, "SELECT count(*) FROM bookings WHERE status = 'cancelled' "
                       "AND cancelled_at IS NULL") == 0
    assert scalar(app, "SELECT count(*) FROM bookings WHERE status = 'cancelled'") > 0
    future = scalar(app, "SELECT count(*) FROM bookings WHERE starts_at > :now",
                    now=_bind(app, now))
    assert future > 0
    assert scalar(app, "SELECT count(*) FROM bookings WHERE starts_at > :later",
                  later=_bind(app, now + timedelta(days=15))) == 0


def test_events_are_never_over_capacity_and_past_ones_have_attendance(loaded):
    app, _ = loaded
    assert scalar(app, """
        SELECT count(*) FROM (
          SELECT e.id FROM events e JOIN registrations r ON r.event_id = e.id
          WHERE r.status = 'confirmed' GROUP BY e.id, e.capacity
          HAVING count(*) > e.capacity) over_capacity
    """) == 0
    assert scalar(app, """
        SELECT count(*) FROM (
          SELECT event_id, participant_key FROM registrations
          WHERE status IN ('confirmed', 'waitlisted')
          GROUP BY event_id, participant_key HAVING count(*) > 1) twice
    """) == 0
    # Someone waits only when the event is full.
    assert scalar(app, """
        SELECT count(*) FROM events e WHERE EXISTS (
            SELECT 1 FROM registrations w WHERE w.event_id = e.id AND w.status = 'waitlisted')
          AND (SELECT count(*) FROM registrations c
               WHERE c.event_id = e.id AND c.status = 'confirmed') < e.capacity
    """) == 0
    now = _bind(app, utcnow())
    attended, confirmed = rows(app, """
        SELECT sum(CASE WHEN r.attended_at IS NOT NULL THEN 1 ELSE 0 END), count(*)
        FROM registrations r JOIN events e ON e.id = r.event_id
        WHERE r.status = 'confirmed' AND e.ends_at < :now""", now=now)[0]
    assert confirmed and 0.7 <= attended / confirmed <= 0.98
    assert scalar(app, "SELECT count(*) FROM registrations r JOIN events e ON e.id = r.event_id "
                       "WHERE r.attended_at IS NOT NULL AND (r.status != 'confirmed' "
                       "OR e.starts_at > :now)", now=now) == 0
    assert scalar(app, "SELECT count(*) FROM registrations WHERE created_at > :now", now=now) == 0
    assert scalar(app, "SELECT count(*) FROM registrations r JOIN users u ON u.id = r.member_id "
                       "WHERE r.created_at < u.created_at") == 0
    # Repair items belong to past repair cafés.
    assert scalar(app, "SELECT count(*) FROM repair_items") > 0
    assert scalar(app, "SELECT count(*) FROM repair_items i JOIN events e ON e.id = i.event_id "
                       "WHERE e.kind != 'repair_cafe' OR e.starts_at > :now", now=now) == 0


def test_items_have_at_most_one_open_loan_and_history_is_coherent(loaded):
    app, _ = loaded
    assert scalar(app, "SELECT count(*) FROM (SELECT item_id FROM loans WHERE returned_at IS NULL "
                       "GROUP BY item_id HAVING count(*) > 1) twice") == 0
    # No two loans of an item at once, open or not.
    assert scalar(app, """
        SELECT count(*) FROM loans a JOIN loans b ON a.item_id = b.item_id AND a.id != b.id
        WHERE a.checked_out_at <= b.checked_out_at
          AND (a.returned_at IS NULL OR a.returned_at > b.checked_out_at)
    """) == 0
    # An item is on loan exactly when it has an open loan.
    assert scalar(app, """
        SELECT count(*) FROM items i WHERE (i.status = 'on_loan') != EXISTS (
          SELECT 1 FROM loans l WHERE l.item_id = i.id AND l.returned_at IS NULL)
    """) == 0
    today = local_today()
    overdue = scalar(app, "SELECT count(*) FROM loans WHERE returned_at IS NULL "
                          "AND due_on < :today", today=today)
    open_loans = scalar(app, "SELECT count(*) FROM loans WHERE returned_at IS NULL")
    assert 1 <= overdue < open_loans
    returned_day = local_date(app, "returned_at")
    late = scalar(app, f"SELECT count(*) FROM loans WHERE returned_at IS NOT NULL "
                       f"AND {returned_day} > due_on")
    returned = scalar(app, "SELECT count(*) FROM loans WHERE returned_at IS NOT NULL")
    assert 0.05 <= late / returned <= 0.3
    assert scalar(app, "SELECT count(*) FROM holds WHERE status = 'waiting'") > 0
    assert scalar(app, "SELECT count(*) FROM item_events WHERE kind = 'checked_out'") == \
        scalar(app, "SELECT count(*) FROM loans")


def test_projects_have_one_owner_their_steps_and_revisions(loaded):
    app, _ = loaded
    size = Size.for_scale(SCALE)
    projects = scalar(app, "SELECT count(*) FROM projects")
    assert 0.8 * size.projects <= projects <= size.projects
    assert scalar(app, "SELECT count(*) FROM projects p WHERE (SELECT count(*) FROM "
                       "project_authors a WHERE a.project_id = p.id AND a.is_owner) != 1") == 0
    assert scalar(app, "SELECT count(*) FROM projects p WHERE NOT EXISTS (SELECT 1 FROM "
                       "project_steps s WHERE s.project_id = p.id)") == 0
    # The last revision holds the project as it is; revisions are numbered 1..count.
    assert scalar(app, "SELECT count(*) FROM projects p WHERE revision_count != (SELECT "
                       "count(*) FROM project_revisions r WHERE r.project_id = p.id) OR "
                       "revision_count != (SELECT max(number) FROM project_revisions r "
                       "WHERE r.project_id = p.id)") == 0
    assert scalar(app, "SELECT count(*) FROM projects WHERE status = 'published' "
                       "AND (published_at IS NULL OR published_at < created_at)") == 0
    assert scalar(app, "SELECT count(*) FROM projects WHERE status = 'published'") > \
        projects * 0.7
    # Every accepted author has a public name; listed members have skills.
    assert scalar(app, "SELECT count(*) FROM project_authors a WHERE a.accepted_at IS NOT NULL "
                       "AND NOT EXISTS (SELECT 1 FROM public_profiles p "
                       "WHERE p.user_id = a.user_id)") == 0
    assert scalar(app, "SELECT count(*) FROM public_profiles p WHERE p.in_directory AND NOT "
                       "EXISTS (SELECT 1 FROM skills s WHERE s.user_id = p.user_id)") == 0


def test_main_pages_answer_on_the_dataset(loaded):
    app, _ = loaded
    client = app.test_client()
    machine = scalar(app, "SELECT slug FROM resources WHERE kind = 'machine' ORDER BY id LIMIT 1")
    event = scalar(app, "SELECT slug FROM events WHERE status = 'published' "
                        "ORDER BY starts_at DESC LIMIT 1")
    item = scalar(app, "SELECT code FROM items WHERE status = 'on_loan' ORDER BY id LIMIT 1")
    project = scalar(app, "SELECT id FROM projects WHERE status = 'published' "
                          "ORDER BY id LIMIT 1")
    for url in ("/", "/machines", "/events", "/items", f"/machines/{machine}",
                f"/events/{event}", f"/items/{item}", "/repair-cafe", "/projects",
                f"/projects/{project}", f"/projects/{project}/history", "/skills"):
        response = client.get(url)
        assert response.status_code == 200, url
    # The full-text index (FTS5 on SQLite, GIN on PostgreSQL) finds a loaded project.
    title, tag = rows(app, "SELECT p.title, t.tag FROM projects p JOIN project_tags t "
                           "ON t.project_id = p.id WHERE p.status = 'published' "
                           "ORDER BY p.id, t.tag LIMIT 1")[0]
    found = client.get("/projects", query_string={"q": tag})
    assert found.status_code == 200
    assert str(escape(title)) in found.get_data(as_text=True)
    busiest = scalar(app, "SELECT member_id FROM bookings GROUP BY member_id "
                          "ORDER BY count(*) DESC, member_id LIMIT 1")

    class Someone:
        id = busiest

    login(client, Someone)
    name = scalar(app, "SELECT name FROM users WHERE id = :id", id=busiest)
    for url in ("/account", "/account/bookings", "/account/registrations", "/account/loans"):
        response = client.get(url)
        assert response.status_code == 200, url
        if url == "/account":
            assert name in response.get_data(as_text=True)


def test_visits_count_a_member_once_per_site_and_day(loaded):
    app, _ = loaded
    assert scalar(app, "SELECT count(*) FROM (SELECT site_id, day, member_id FROM visits "
                       "WHERE member_id IS NOT NULL GROUP BY site_id, day, member_id "
                       "HAVING count(*) > 1) twice") == 0
    walk_ins = scalar(app, "SELECT count(*) FROM visits WHERE source = 'walk_in'")
    assert 0 < walk_ins < scalar(app, "SELECT count(*) FROM visits")
    assert scalar(app, "SELECT count(*) FROM visits WHERE source = 'walk_in' "
                       "AND member_id IS NOT NULL") == 0


def test_staff_pages_feeds_and_api_answer_on_the_dataset(loaded):
    app, _ = loaded
    client = app.test_client()
    staff = scalar(app, "SELECT id FROM users WHERE role = 'staff' ORDER BY id LIMIT 1")

    class Someone:
        id = staff

    for url in ("/agenda", "/agenda/week", "/agenda/month", "/agenda.ics", "/api/v1/events",
                "/api/v1/projects", "/api/v1/items"):
        assert client.get(url).status_code == 200, url
    login(client, Someone)
    for url in ("/desk", f"/reports?year={local_today().year}", "/reports"):
        response = client.get(url)
        assert response.status_code == 200, url
    visits = scalar(app, "SELECT count(*) FROM visits")
    assert visits > 0


def _dialect(app) -> str:
    with app.app_context():
        return _db.engine.dialect.name


def _bind(app, moment):
    """A UTC datetime as the column stores it (naive on SQLite)."""
    return moment.replace(tzinfo=None) if _dialect(app) == "sqlite" else moment


def test_the_same_seed_and_hour_give_the_same_rows(tmp_path):
    from bench.harness import bench_app

    moment = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
    loads = []
    for name in ("one", "two"):
        app = bench_app(f"sqlite:///{tmp_path / name}.sqlite")
        counts = load_dataset(app, 0.05, seed=7, now=moment)
        loads.append((counts,
                      rows(app, "SELECT resource_id, member_id, starts_at, status "
                                "FROM bookings ORDER BY id"),
                      rows(app, "SELECT event_id, participant_key, status FROM registrations "
                                "ORDER BY id"),
                      rows(app, "SELECT item_id, member_id, checked_out_at, returned_at "
                                "FROM loans ORDER BY id")))
    assert loads[0] == loads[1]
    other = bench_app(f"sqlite:///{tmp_path / 'other'}.sqlite")
    load_dataset(other, 0.05, seed=8, now=moment)
    assert rows(other, "SELECT resource_id, member_id, starts_at, status FROM bookings "
                       "ORDER BY id") != loads[0][1]
