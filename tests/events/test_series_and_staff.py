"""What staff do: save an event (more seats promote people waiting, a new date
bumps the sequence and tells everyone registered, the refusals), cancel and
publish it, mark attendance (a training session grants its trainings), check
people in; series (weekly, monthly, across daylight-saving changes), season
enrolments and "this and the following events"; and the number of queries of
the events list."""

from __future__ import annotations

import calendar
import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, insert, select, update

from fablab.core.errors import DomainError
from fablab.core.timeutil import local_today, utcnow
from fablab.events.models import Event, EventSeries, Registration
from fablab.events.services import EVENT_FIELDS
from fablab.extensions import db as _db
from fablab.machines.models import TrainingGrant
from tests.events.conftest import PARIS, at, key, local, local_day
from tests.support.query_counter import count_queries


def fresh(db, model, id_):
    return db.session.get(model, id_, populate_existing=True)


def fields_of(event: Event, **changes) -> dict:
    """Every field the staff form sends, as the event holds them, with changes."""
    return {**{name: getattr(event, name) for name in EVENT_FIELDS}, **changes}


def save(run, staff, event, **changes):
    from fablab.events.services import save_event

    return run(lambda event, staff: save_event(staff, event, **fields_of(event, **changes)),
               event=event, staff=staff)


def new_event_fields(site, **changes) -> dict:
    day = local_day(10)
    return {"site_id": site.id, "room_id": None, "kind": "workshop", "audience": "everyone",
            "min_age": None, "max_age": None, "title": "Arduino evening", "summary": "",
            "description": "", "starts_at": at(day, "18:00"), "ends_at": at(day, "21:00"),
            "capacity": 12, "requires_membership": False, "registration_opens_at": None,
            "registration_closes_at": None, **changes}


@pytest.fixture
def waiting_line(create_event, create_member, register_as):
    """An event of ``capacity`` seats, all taken, and ``waiting`` people waiting."""

    def build(capacity=1, waiting=3, **fields):
        event = create_event(capacity=capacity, **fields)
        seated = [create_member() for _ in range(capacity)]
        queue = [create_member() for _ in range(waiting)]
        for person in seated + queue:
            register_as(event, person)
        return event, seated, queue

    return build


# --- save_event ---------------------------------------------------------------------------------


def test_creating_an_event_makes_a_draft(site, staff, run, db):
    from fablab.events.services import save_event

    created = run(lambda staff: save_event(staff, None, **new_event_fields(site)), staff=staff)
    stored = fresh(db, Event, created.id)
    assert (stored.status, stored.title, stored.slug, stored.sequence) == (
        "draft", "Arduino evening", "arduino-evening", 0)
    assert local(stored.starts_at).time() == time(18, 0)


def test_more_seats_promote_the_people_waiting_in_order(waiting_line, staff, run,
                                                        registrations_of, outbox):
    event, seated, queue = waiting_line(capacity=1, waiting=3)
    mails = len(outbox())

    save(run, staff, event, capacity=3)

    assert registrations_of(event) == [(key(seated[0]), "confirmed"),
                                       (key(queue[0]), "confirmed"),
                                       (key(queue[1]), "confirmed"),
                                       (key(queue[2]), "waitlisted")]
    assert [(m.kind, m.recipient) for m in outbox()[mails:]] == [
        ("event.promoted", queue[0].email), ("event.promoted", queue[1].email)]


def test_a_new_date_bumps_the_sequence_and_tells_everyone_registered(
        waiting_line, create_member, insert_registration, staff, run, db, outbox):
    event, seated, queue = waiting_line(capacity=1, waiting=1)
    gone = create_member()
    insert_registration(event, gone, status="cancelled", cancelled_at=utcnow())
    mails = len(outbox())

    # Saving without a change of date or place: nothing to tell.
    save(run, staff, event, title="Renamed workshop")
    assert fresh(db, Event, event.id).sequence == 0
    assert len(outbox()) == mails

    day = local_day(9)
    save(run, staff, event, starts_at=at(day, "10:00"), ends_at=at(day, "12:00"))
    stored = fresh(db, Event, event.id)
    assert stored.sequence == 1
    assert (stored.starts_at, stored.ends_at) == (at(day, "10:00"), at(day, "12:00"))
    changed = outbox("event.changed")
    assert sorted(m.recipient for m in changed) == sorted([seated[0].email, queue[0].email])
    assert len(outbox()) == mails + 2

    # A new end time is a change too.
    save(run, staff, stored, ends_at=at(day, "12:30"))
    assert fresh(db, Event, event.id).sequence == 2
    assert len(outbox("event.changed")) == 4


def refused_fields() -> dict:
    """Each refused change of an event of local_day(10) 18:00–21:00, and its message.
    A function, not a constant: dates computed at import were a day behind the event
    when the run crossed midnight."""
    day = local_day(10)
    return {
        "end-before-start": ({"ends_at": at(day, "17:00")}, "end must be after"),
        "end-equals-start": ({"ends_at": at(day, "18:00")}, "end must be after"),
        "capacity-0": ({"capacity": 0}, "capacity is at least one"),
        "capacity-negative": ({"capacity": -3}, "capacity is at least one"),
        "min-age-above-max-age": ({"min_age": 12, "max_age": 8},
                                  "youngest age cannot be above"),
        "registrations-close-after-the-start": (
            {"registration_closes_at": at(day, "18:30")}, "close at the start at the latest"),
        "registrations-close-before-they-open": (
            {"registration_opens_at": at(local_day(5), "12:00"),
             "registration_closes_at": at(local_day(4), "12:00")}, "must close after they open"),
    }


@pytest.mark.parametrize("case", list(refused_fields()))
def test_a_refused_event_writes_nothing(case, site, staff, run, db_state):
    from fablab.events.services import save_event

    changes, message = refused_fields()[case]
    before = db_state()
    with pytest.raises(DomainError, match=message):
        run(lambda staff: save_event(staff, None, **new_event_fields(site, **changes)),
            staff=staff)
    assert db_state() == before


@pytest.mark.parametrize("case", list(refused_fields()))
def test_a_refused_edit_changes_nothing(case, waiting_line, staff, run, db, db_state, outbox):
    event, _, _ = waiting_line(capacity=1, waiting=1, day=local_day(10), start="18:00",
                               end="21:00")
    changes, message = refused_fields()[case]
    before, mails = db_state(), len(outbox())
    with pytest.raises(DomainError, match=message):
        save(run, staff, event, title="Changed", **changes)
    assert db_state() == before and len(outbox()) == mails
    stored = fresh(db, Event, event.id)
    assert (stored.title, stored.capacity, stored.sequence, stored.ends_at) == (
        event.title, event.capacity, 0, event.ends_at)


# --- cancel_event and publish -----------------------------------------------------------------


def test_cancelling_an_event_cancels_every_registration_and_tells_each_person(
        waiting_line, create_member, insert_registration, staff, run, db, registrations_of,
        outbox):
    from fablab.events.services import cancel_event

    event, seated, queue = waiting_line(capacity=2, waiting=1)
    gone = create_member()
    insert_registration(event, gone, status="cancelled", cancelled_at=utcnow())
    mails = len(outbox())

    count = run(lambda event, staff: cancel_event(staff, event, " The teacher is ill "),
                event=event, staff=staff)

    assert count == 3
    stored = fresh(db, Event, event.id)
    assert (stored.status, stored.cancel_reason, stored.sequence) == (
        "cancelled", "The teacher is ill", 1)
    assert {status for _, status in registrations_of(event)} == {"cancelled"}
    assert all(r.cancelled_by_id == staff.id for r in db.session.scalars(
        select(Registration).where(Registration.event_id == event.id,
                                   Registration.member_id != gone.id)))
    assert sorted((m.kind, m.recipient) for m in outbox()[mails:]) == sorted(
        ("event.cancelled", p.email) for p in [*seated, *queue])

    with pytest.raises(DomainError, match="already cancelled"):
        run(lambda event, staff: cancel_event(staff, event), event=event, staff=staff)


def test_publishing_opens_registrations(create_event, member, staff, run, register_as, db):
    from fablab.events.services import publish

    draft = create_event(status="draft")
    with pytest.raises(DomainError):
        register_as(draft, member)
    run(lambda event, staff: publish(staff, event), event=draft, staff=staff)
    assert fresh(db, Event, draft.id).status == "published"
    assert register_as(draft, member).status == "confirmed"


def test_a_cancelled_event_cannot_be_published(create_event, staff, run, db, db_state):
    from fablab.events.services import publish

    cancelled = create_event(status="cancelled")
    before = db_state()
    with pytest.raises(DomainError, match="cannot be published"):
        run(lambda event, staff: publish(staff, event), event=cancelled, staff=staff)
    assert db_state() == before and fresh(db, Event, cancelled.id).status == "cancelled"


# --- attendance and check-in ----------------------------------------------------------------


@pytest.fixture
def training_session(app, create_event, create_training, member, create_child,
                     insert_registration):
    """A training session granting two trainings; the member and a child of theirs
    have a seat."""

    def build(kind="training"):
        laser = create_training(name="Laser cutter", validity_months=12)
        lathe = create_training(name="Lathe")
        session_event = create_event(kind=kind, day=local_day(-1), title="Laser induction")
        with app.app_context():
            from fablab.machines.models import Training

            stored = _db.session.get(Event, session_event.id)
            stored.trainings = [_db.session.get(Training, laser.id),
                                _db.session.get(Training, lathe.id)]
            _db.session.commit()
        child = create_child(member, local_day(0).year - 12)
        mine = insert_registration(session_event, member)
        childs = insert_registration(session_event, member, child)
        return session_event, (laser, lathe), mine, childs

    return build


def _attend(run, registration, staff, attended=True):
    from fablab.events.services import set_attendance

    run(lambda registration, staff: set_attendance(staff, registration, attended),
        registration=registration, staff=staff)


def test_attending_a_training_session_grants_its_trainings(training_session, member, staff,
                                                           run, db):
    _, (laser, lathe), mine, _ = training_session()

    _attend(run, mine, staff)

    assert fresh(db, Registration, mine.id).attended_at is not None
    grants = {g.training_id: g for g in db.session.scalars(
        select(TrainingGrant).where(TrainingGrant.member_id == member.id))}
    assert set(grants) == {laser.id, lathe.id}
    assert all(g.is_valid() and g.granted_by_id == staff.id for g in grants.values())
    assert grants[laser.id].expires_at > utcnow() + timedelta(days=360)
    assert grants[lathe.id].expires_at is None


def test_a_child_attending_grants_nothing(training_session, member, staff, run, db):
    _, _, _, childs = training_session()
    _attend(run, childs, staff)
    assert fresh(db, Registration, childs.id).attended_at is not None
    assert db.session.scalar(select(func.count(TrainingGrant.id))) == 0


def test_attending_a_workshop_grants_nothing(training_session, staff, run, db):
    _, _, mine, _ = training_session(kind="workshop")
    _attend(run, mine, staff)
    assert db.session.scalar(select(func.count(TrainingGrant.id))) == 0


def test_attendance_is_recorded_from_an_hour_before_the_start(create_event, member,
                                                               insert_registration, staff,
                                                               run, db, db_state):
    soon = create_event(starts_at=utcnow() + timedelta(minutes=50),
                        ends_at=utcnow() + timedelta(hours=3))
    later = create_event(starts_at=utcnow() + timedelta(minutes=70),
                         ends_at=utcnow() + timedelta(hours=3))
    early = insert_registration(later, member)
    on_time = insert_registration(soon, member)
    before = db_state()
    with pytest.raises(DomainError, match="from an hour before"):
        _attend(run, early, staff)
    assert db_state() == before and fresh(db, Registration, early.id).attended_at is None
    _attend(run, on_time, staff)
    assert fresh(db, Registration, on_time.id).attended_at is not None


def test_only_a_confirmed_seat_can_be_marked_attended(create_event, create_member,
                                                      insert_registration, staff, run,
                                                      db_state):
    event = create_event(capacity=1)
    waiting = insert_registration(event, create_member(), status="waitlisted")
    before = db_state()
    with pytest.raises(DomainError, match="Only a confirmed registration"):
        _attend(run, waiting, staff)
    assert db_state() == before


def _check_in(run, event, staff, **who):
    from fablab.events.services import check_in_participant

    return run(lambda event, staff: check_in_participant(staff, event, **who),
               event=event, staff=staff)


def test_check_in_by_member_and_by_registration(training_session, member, staff, run, db):
    session_event, _, mine, childs = training_session()

    assert _check_in(run, session_event, staff, member_id=member.id).id == mine.id
    assert fresh(db, Registration, mine.id).attended_at is not None
    assert fresh(db, Registration, childs.id).attended_at is None  # only the member
    assert db.session.scalar(select(func.count(TrainingGrant.id))) == 2

    assert _check_in(run, session_event, staff, registration_id=childs.id).id == childs.id
    assert fresh(db, Registration, childs.id).attended_at is not None


def test_check_in_refuses_whoever_has_no_confirmed_seat(create_event, create_member,
                                                        insert_registration, staff, run,
                                                        db_state):
    event, other_event = create_event(capacity=1), create_event()
    seated, waiting, stranger = create_member(), create_member(), create_member()
    insert_registration(event, seated)
    waitlisted = insert_registration(event, waiting, status="waitlisted")
    gone = insert_registration(event, create_member(), status="cancelled", cancelled_at=utcnow())
    elsewhere = insert_registration(other_event, stranger)
    before = db_state()

    for who in ({"member_id": waiting.id}, {"member_id": stranger.id},
                {"registration_id": waitlisted.id}, {"registration_id": gone.id},
                {"registration_id": elsewhere.id}):
        with pytest.raises(DomainError, match="no confirmed seat"):
            _check_in(run, event, staff, **who)
    with pytest.raises(DomainError, match="Nobody to check in"):
        _check_in(run, event, staff)
    assert db_state() == before


# --- series -------------------------------------------------------------------------------------


def last_sunday(year: int, month: int) -> date:
    day = date(year, month, calendar.monthrange(year, month)[1])
    return day - timedelta(days=(day.isoweekday() % 7))


def paris_offset_hours(day: date) -> int:
    """The offset of Paris at 14:00 on ``day``: summer time from the last Sunday of
    March to the day before the last Sunday of October."""
    return 2 if last_sunday(day.year, 3) <= day < last_sunday(day.year, 10) else 1


TEMPLATE = {"title": "Robotics club", "kind": "club", "audience": "teens", "min_age": None,
            "max_age": None, "summary": "", "description": "", "capacity": 8,
            "requires_membership": False, "room_id": None, "registration_opens_at": None,
            "registration_closes_at": None}


def make_series(run, staff, site, rule="weekly", weekday=6, nth=None, first_day=None,
                last_day=None, start=time(14, 0), end=time(16, 0), publish_now=True,
                allows_enrolment=False, **template):
    from fablab.events.services import create_series

    def go(staff, site):
        return create_series(staff, site, {**TEMPLATE, **template}, rule, weekday, nth, start,
                             end, first_day, last_day, allows_enrolment=allows_enrolment,
                             publish_now=publish_now)

    return run(go, staff=staff, site=site)


def sessions_of(db, series_id) -> list[Event]:
    db.session.expire_all()
    return db.session.scalars(select(Event).where(Event.series_id == series_id)
                              .order_by(Event.starts_at)).all()


def test_a_weekly_series_keeps_its_local_time_across_daylight_saving_changes(site, staff, run,
                                                                             db):
    year = local_today(PARIS).year + 1
    first, last = date(year, 10, 1), date(year + 1, 4, 15)
    series, count = make_series(run, staff, site, rule="weekly", weekday=7, first_day=first,
                                last_day=last)

    expected = [first + timedelta(days=i) for i in range((last - first).days + 1)
                if (first + timedelta(days=i)).isoweekday() == 7]
    assert last_sunday(year, 10) in expected and last_sunday(year + 1, 3) in expected
    sessions = sessions_of(db, series.id)
    assert count == len(sessions) == len(expected)
    assert [local(e.starts_at).date() for e in sessions] == expected
    assert {(local(e.starts_at).time(), local(e.ends_at).time()) for e in sessions} == {
        (time(14, 0), time(16, 0))}
    assert [e.starts_at.hour for e in sessions] == [14 - paris_offset_hours(d) for d in expected]
    assert {e.starts_at.hour for e in sessions} == {12, 13}  # the UTC hour does change
    assert {e.status for e in sessions} == {"published"}
    assert len({e.slug for e in sessions}) == len(sessions)
    stored = fresh(db, EventSeries, series.id)
    assert (stored.rule, stored.weekday, stored.first_day, stored.last_day) == (
        "weekly", 7, first, last)


def test_a_monthly_series_on_the_first_saturday(site, staff, run, db):
    year = local_today(PARIS).year + 1
    first, last = date(year, 9, 2), date(year + 1, 5, 31)
    series, count = make_series(run, staff, site, rule="monthly", weekday=6, nth=1,
                                first_day=first, last_day=last, publish_now=False)

    expected = []
    for y, m in [(year, m) for m in range(9, 13)] + [(year + 1, m) for m in range(1, 6)]:
        day = date(y, m, 1)
        day += timedelta(days=(6 - day.isoweekday()) % 7)
        if first <= day <= last:
            expected.append(day)
    sessions = sessions_of(db, series.id)
    assert count == len(sessions) == len(expected) >= 8
    assert [local(e.starts_at).date() for e in sessions] == expected
    assert all(d.isoweekday() == 6 and d.day <= 7 for d in expected)
    assert {local(e.starts_at).time() for e in sessions} == {time(14, 0)}
    assert [e.starts_at.hour for e in sessions] == [14 - paris_offset_hours(d) for d in expected]
    assert {e.status for e in sessions} == {"draft"}


@pytest.mark.parametrize("args, message", [
    ({"rule": "daily"}, "weekly or monthly"),
    ({"weekday": 0}, "choose a weekday"),
    ({"rule": "monthly", "nth": None}, "which week"),
    ({"start": time(16, 0), "end": time(14, 0)}, "end must be after"),
    ({"last_day_offset": -1}, "on or after the first day"),
    ({"last_day_offset": 401}, "400 days at most"),
])
def test_a_refused_series_writes_nothing(args, message, site, staff, run, db_state):
    args = dict(args)
    first = local_day(30)
    last = first + timedelta(days=args.pop("last_day_offset", 60))
    before = db_state()
    with pytest.raises(DomainError, match=message):
        make_series(run, staff, site, first_day=first, last_day=last, **args)
    assert db_state() == before


@pytest.fixture
def season(site, staff, run, db):
    """A weekly series with enrolment: two sessions past, five to come."""

    def build(allows_enrolment=True):
        weekday = local_day(3).isoweekday()
        series, _ = make_series(run, staff, site, weekday=weekday, first_day=local_day(-13),
                                last_day=local_day(33), allows_enrolment=allows_enrolment)
        sessions = sessions_of(db, series.id)
        for session_event in sessions:
            db.session.expunge(session_event)
        assert [local(e.starts_at).date() for e in sessions] == [
            local_day(d) for d in (-11, -4, 3, 10, 17, 24, 31)]
        return series, sessions

    return build


def _enrol(run, series, member, child=None):
    from fablab.events.services import Participant, enrol

    return run(lambda series, member, child: enrol(series, Participant(member, child)),
               series=series, member=member, child=child)


def test_enrolment_registers_to_every_future_published_session(season, member, create_member,
                                                               insert_registration, run, db,
                                                               outbox):
    series, sessions = season()
    past, (s3, s10, s17, s24, s31) = sessions[:2], sessions[2:]
    db.session.execute(update(Event).where(Event.id == s10.id).values(status="cancelled"))
    db.session.execute(update(Event).where(Event.id == s17.id).values(capacity=1))
    insert_registration(s17, create_member())  # full: the waiting list
    already = insert_registration(s24, member)
    mails = len(outbox())

    assert _enrol(run, series, member) == (2, 1)

    mine = {r.event_id: r for r in db.session.scalars(
        select(Registration).where(Registration.member_id == member.id))}
    assert set(mine) == {s3.id, s17.id, s24.id, s31.id}
    assert (mine[s3.id].status, mine[s17.id].status, mine[s31.id].status) == (
        "confirmed", "waitlisted", "confirmed")
    assert all(mine[e.id].via_enrolment for e in (s3, s17, s31))
    assert mine[s24.id].id == already.id and not mine[s24.id].via_enrolment
    assert sorted(m.kind for m in outbox()[mails:]) == [
        "event.confirmed", "event.confirmed", "event.waitlisted"]
    assert not any(e.id in mine for e in past)


def test_enrolling_again_skips_every_session(season, member, run, db, db_state):
    series, _ = season()
    assert _enrol(run, series, member) == (5, 0)
    before = db_state()
    with pytest.raises(DomainError, match="No session left"):
        _enrol(run, series, member)
    assert db_state() == before


def test_a_child_is_enrolled_too(season, member, create_child, run, db):
    series, _ = season()
    child = create_child(member, local_day(0).year - 14)
    assert _enrol(run, series, member, child) == (5, 0)
    assert db.session.scalar(select(func.count(Registration.id)).where(
        Registration.child_id == child.id, Registration.via_enrolment.is_(True))) == 5


def test_enrolment_is_refused_when_the_series_does_not_take_it(season, member, run, db_state,
                                                               outbox):
    series, _ = season(allows_enrolment=False)
    before = db_state()
    with pytest.raises(DomainError, match="does not take season enrolments"):
        _enrol(run, series, member)
    assert db_state() == before and outbox() == []


def _update_following(run, staff, event, **changes):
    from fablab.events.services import update_following

    return run(lambda event, staff: update_following(staff, event,
                                                     **fields_of(event, **changes)),
               event=event, staff=staff)


def test_this_and_the_following_events_change_and_only_them(site, staff, run, db, member,
                                                             insert_registration, outbox):
    """A new title, capacity and time from the third session on, across the end of
    summer time: every following session is at 15:00 local time."""
    year = local_today(PARIS).year + 1
    october = last_sunday(year, 10)
    first = october - timedelta(days=29)  # a Saturday, four weeks before the change
    series, count = make_series(run, staff, site, weekday=6, first_day=first,
                                last_day=first + timedelta(weeks=8))
    other, _ = make_series(run, staff, site, weekday=6, first_day=first,
                           last_day=first + timedelta(weeks=8), title="Other club")
    sessions = sessions_of(db, series.id)
    others_before = [(e.id, e.title, e.starts_at, e.capacity) for e in sessions_of(db, other.id)]
    assert count == len(sessions) == 9
    third = sessions[2]
    insert_registration(sessions[5], member)
    day = local(third.starts_at).date()

    changed = _update_following(run, staff, third, title="Robotics club (new room)",
                                capacity=6, starts_at=at(day, "15:00"),
                                ends_at=at(day, "17:30"))

    assert changed == 7
    after = sessions_of(db, series.id)
    for before, now in zip(sessions[:2], after[:2]):
        assert (now.title, now.capacity, now.starts_at, now.sequence) == (
            before.title, before.capacity, before.starts_at, 0)
    for before, now in zip(sessions[2:], after[2:]):
        assert (now.title, now.capacity) == ("Robotics club (new room)", 6)
        assert local(now.starts_at).date() == local(before.starts_at).date()
        assert (local(now.starts_at).time(), local(now.ends_at).time()) == (time(15, 0),
                                                                            time(17, 30))
        assert now.sequence == 1
    assert {e.starts_at.hour for e in after[2:]} == {13, 14}  # across the change
    assert [(e.id, e.title, e.starts_at, e.capacity)
            for e in sessions_of(db, other.id)] == others_before
    assert [m.recipient for m in outbox("event.changed")] == [member.email]


def test_moving_the_following_events_by_a_day_keeps_their_local_time(site, staff, run, db):
    """The shift is one of wall-clock time: the session of the eve of the end of
    summer time, moved to the Sunday of the change, stays at 14:00 (a shift of 24
    hours of UTC time put it at 13:00)."""
    year = local_today(PARIS).year + 1
    october = last_sunday(year, 10)
    first = october - timedelta(days=15)  # Saturdays: -15, -8, -1 (the eve of the change)...
    series, _ = make_series(run, staff, site, weekday=6, first_day=first,
                            last_day=first + timedelta(weeks=4))
    sessions = sessions_of(db, series.id)
    second = sessions[1]
    sunday = local(second.starts_at).date() + timedelta(days=1)

    _update_following(run, staff, second, starts_at=at(sunday, "14:00"),
                      ends_at=at(sunday, "16:00"))

    after = sessions_of(db, series.id)
    assert [local(e.starts_at).time() for e in after] == [time(14, 0)] * len(after)


# --- the number of queries of the events list ------------------------------------------------


def _add_events(db, sites, members, tariff, up_to: int, already: int) -> None:
    """Published events (one in five a draft, one in seven cancelled) on two
    sites, each with registrations: two seats, one waiting, one cancelled, and a
    price for some."""
    from fablab.events.models import EventPrice

    rows = []
    for i in range(already, up_to):
        day = local_day(1 + i % 30)
        rows.append({"site_id": sites[i % 2].id, "kind": "workshop", "audience": "everyone",
                     "title": f"Counted event {i}", "slug": f"counted-event-{i}",
                     "summary": "", "description": "", "starts_at": at(day, "10:00"),
                     "ends_at": at(day, "12:00"), "capacity": 2,
                     "status": "draft" if i % 5 == 4 else ("cancelled" if i % 7 == 3
                                                            else "published"),
                     "requires_membership": False, "cancel_reason": "", "sequence": 0,
                     "min_age": 8 if i % 3 == 0 else None, "max_age": None,
                     "updated_at": utcnow(), "created_at": utcnow()})
    ids = [db.session.execute(insert(Event).values(**row).returning(Event.id)).scalar_one()
           for row in rows]
    registrations, prices = [], []
    for event_id in ids:
        for j, status in enumerate(("confirmed", "confirmed", "waitlisted", "cancelled")):
            member = members[(event_id + j) % len(members)]
            registrations.append({"event_id": event_id, "member_id": member.id,
                                  "participant_key": f"m:{member.id}", "status": status,
                                  "via_enrolment": False, "created_at": utcnow()})
        if event_id % 2:
            prices.append({"event_id": event_id, "tariff_id": tariff.id, "price_cents": 500})
    db.session.execute(insert(Registration), registrations)
    if prices:
        db.session.execute(insert(EventPrice), prices)


@pytest.mark.parametrize("who", ["anonymous", "member", "staff"])
def test_the_events_list_makes_as_many_queries_with_60_events_as_with_5(
        who, app, db, create_site, create_member, create_tariff, login_as, member, staff):
    sites = [create_site(), create_site()]
    members = [create_member() for _ in range(4)]
    tariff = create_tariff()
    client = {"anonymous": app.test_client(), "member": None, "staff": None}[who] or \
        login_as(member if who == "member" else staff)

    _add_events(db, sites, members, tariff, 5, 0)
    count_queries(app, client, "/events")  # warm-up
    few, page_few = count_queries(app, client, "/events")
    _add_events(db, sites, members, tariff, 60, 5)
    many, page_many = count_queries(app, client, "/events")
    last_page, page_last = count_queries(app, client, "/events?page=3")

    shown = len(re.findall(r'href="/events/counted-event-', page_few))
    assert shown == (5 if who == "staff" else 4)
    assert len(re.findall(r'href="/events/counted-event-', page_many)) == 20
    assert 'href="/events/counted-event-' in page_last
    assert len(few) == len(many) == len(last_page), (len(few), len(many), len(last_page),
                                                     many)
