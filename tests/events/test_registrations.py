"""Registrations to events: seats, the waiting list, every refusal (which
writes nothing), the partial unique index on live registrations, and
cancellations (cut-off, staff, the automatic promotion of the first person
waiting, in the same transaction)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fablab.core.errors import DomainError
from fablab.core.models import AuditLog
from fablab.core.timeutil import local_today, utcnow
from fablab.events.models import Registration
from tests.events.conftest import PARIS, key, local_day


def fresh(db, model, id_):
    return db.session.get(model, id_, populate_existing=True)


def kinds(outbox, kind=None):
    return [(m.kind, m.recipient) for m in outbox(kind)]


# --- registering ----------------------------------------------------------------------------


def test_a_seat_is_confirmed_and_e_mailed(create_event, member, register_as, db, outbox):
    event = create_event(capacity=2, title="Soldering for beginners")

    registration = register_as(event, member)

    assert (registration.status, registration.participant_key, registration.child_id,
            registration.via_enrolment) == ("confirmed", key(member), None, False)
    stored = fresh(db, Registration, registration.id)
    assert (stored.event_id, stored.member_id, stored.status) == (event.id, member.id,
                                                                  "confirmed")
    [message] = outbox()
    assert (message.kind, message.recipient) == ("event.confirmed", member.email)
    assert "Soldering for beginners" in message.subject + message.body


def test_a_full_event_puts_the_participant_on_the_waiting_list(
        create_event, create_member, register_as, registrations_of, outbox):
    event = create_event(capacity=1)
    first, second = create_member(), create_member()

    assert register_as(event, first).status == "confirmed"
    assert register_as(event, second).status == "waitlisted"

    assert registrations_of(event) == [(key(first), "confirmed"), (key(second), "waitlisted")]
    assert kinds(outbox) == [("event.confirmed", first.email),
                             ("event.waitlisted", second.email)]


def test_a_child_of_the_right_age_and_a_member_of_a_members_only_event(
        create_event, create_child, create_membership, member, register_as, registrations_of):
    year = local_day(7).year
    kids = create_event(min_age=8, max_age=12, audience="children")
    low, high = create_child(member, year - 8), create_child(member, year - 12)
    assert register_as(kids, member, low).status == "confirmed"
    assert register_as(kids, member, high).status == "confirmed"
    assert registrations_of(kids) == [(key(member, low), "confirmed"),
                                      (key(member, high), "confirmed")]

    members_only = create_event(requires_membership=True)
    create_membership(member)
    assert register_as(members_only, member).status == "confirmed"


def test_the_age_is_the_age_at_the_event_not_today(create_event, create_child, member,
                                                   register_as):
    """Seven today but eight at a January event: accepted; twelve today but
    thirteen then: refused."""
    next_year = local_today(PARIS).year + 1
    event = create_event(day=date(next_year, 1, 10), min_age=8, max_age=12)
    seven_today = create_child(member, next_year - 1 - 7)
    twelve_today = create_child(member, next_year - 1 - 12)

    assert register_as(event, member, seven_today).status == "confirmed"
    with pytest.raises(DomainError, match="is 13"):
        register_as(event, member, twelve_today)


def test_a_registration_window_that_is_open_accepts(create_event, member, register_as):
    event = create_event(registration_opens_at=utcnow() - timedelta(days=1),
                         registration_closes_at=utcnow() + timedelta(days=1))
    assert register_as(event, member).status == "confirmed"


# Each refusal: (how to build the case, the message). ``case`` returns the
# event, the member who registers and the child (or None).


def _draft(f):
    return f.event(status="draft"), f.member, None


def _cancelled(f):
    return f.event(status="cancelled"), f.member, None


def _started(f):
    return f.event(starts_at=utcnow() - timedelta(minutes=10),
                   ends_at=utcnow() + timedelta(hours=1)), f.member, None


def _past(f):
    return f.event(day=local_day(-3)), f.member, None


def _not_open_yet(f):
    return f.event(registration_opens_at=utcnow() + timedelta(days=1)), f.member, None


def _closed(f):
    return f.event(registration_closes_at=utcnow() - timedelta(minutes=1)), f.member, None


def _members_only(f):
    return f.event(requires_membership=True), f.member, None


def _members_only_expired(f):
    f.create_membership(f.member, starts_on=local_day(-400), ends_on=local_day(-35))
    return f.event(requires_membership=True), f.member, None


def _child_too_young(f):
    year = local_day(7).year
    return f.event(min_age=8, max_age=12), f.member, f.create_child(f.member, year - 7)


def _child_too_old(f):
    year = local_day(7).year
    return f.event(min_age=8, max_age=12), f.member, f.create_child(f.member, year - 13)


def _adult_without_birth_year_at_a_kids_event(f):
    return f.event(min_age=8, max_age=14), f.member, None


def _adult_with_birth_year_at_a_kids_event(f):
    adult = f.create_member(birth_year=1990)
    return f.event(max_age=14), adult, None


def _child_of_another_member(f):
    other = f.create_member()
    return f.event(), f.member, f.create_child(other, local_day(7).year - 10)


def _already_registered(f):
    event = f.event()
    f.insert_registration(event, f.member, status="waitlisted")
    return event, f.member, None


def _child_already_registered(f):
    event = f.event()
    child = f.create_child(f.member, local_day(7).year - 10)
    f.insert_registration(event, f.member, child)
    return event, f.member, child


def _inactive_account(f):
    return f.event(), f.create_member(active=False), None


REFUSALS = {
    "draft": (_draft, "not open"),
    "cancelled": (_cancelled, "cancelled"),
    "started": (_started, "already started"),
    "past": (_past, "already started"),
    "window-not-open-yet": (_not_open_yet, "Registrations open on"),
    "window-closed": (_closed, "Registrations are closed"),
    "members-only-no-membership": (_members_only, "membership is needed"),
    "members-only-expired-membership": (_members_only_expired, "membership is needed"),
    "child-too-young": (_child_too_young, "is 7: this event is for ages 8 to 12"),
    "child-too-old": (_child_too_old, "is 13: this event is for ages 8 to 12"),
    "adult-at-kids-event-no-birth-year": (_adult_without_birth_year_at_a_kids_event,
                                          "register your child"),
    "adult-at-kids-event-with-birth-year": (_adult_with_birth_year_at_a_kids_event,
                                            "this event is for ages"),
    "child-of-another-member": (_child_of_another_member, "not on your account"),
    "already-registered": (_already_registered, "already registered"),
    "child-already-registered": (_child_already_registered, "already registered"),
    "inactive-account": (_inactive_account, "not active"),
}


class _Factories:
    def __init__(self, **factories):
        self.__dict__.update(factories)


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_registration_writes_nothing(case, create_event, create_member,
                                               create_membership, create_child,
                                               insert_registration, member, register_as,
                                               db_state, outbox):
    build, message = REFUSALS[case]
    f = _Factories(event=create_event, member=member, create_member=create_member,
                   create_membership=create_membership, create_child=create_child,
                   insert_registration=insert_registration)
    event, who, child = build(f)
    before = db_state()

    with pytest.raises(DomainError, match=message):
        register_as(event, who, child)

    assert db_state() == before
    assert outbox() == []


def test_staff_registering_a_member_is_audited(create_event, member, staff, register_as, db):
    event = create_event()
    registration = register_as(event, member, by=staff)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "registration.create"))
    assert (entry.actor_id, entry.object_id) == (staff.id, registration.id)


# --- the partial unique index -----------------------------------------------------------------


@pytest.mark.parametrize("statuses", [("confirmed", "confirmed"), ("confirmed", "waitlisted"),
                                      ("waitlisted", "waitlisted")])
def test_two_live_registrations_of_one_participant_are_refused_by_the_database(
        statuses, create_event, member, insert_registration, registrations_of):
    event = create_event()
    insert_registration(event, member, status=statuses[0])
    with pytest.raises(IntegrityError):
        insert_registration(event, member, status=statuses[1])
    assert registrations_of(event) == [(key(member), statuses[0])]


def test_the_index_is_per_event_and_per_participant(create_event, create_child, member,
                                                    insert_registration, registrations_of):
    event, other_event = create_event(), create_event()
    child = create_child(member, local_day(7).year - 10)
    insert_registration(event, member)
    insert_registration(event, member, child)  # the child: another participant
    insert_registration(other_event, member)
    assert len(registrations_of(event)) == 2 and len(registrations_of(other_event)) == 1


def test_a_cancelled_registration_does_not_block_registering_again(
        create_event, member, insert_registration, register_as, registrations_of):
    event = create_event()
    insert_registration(event, member, status="cancelled", cancelled_at=utcnow())
    insert_registration(event, member, status="cancelled", cancelled_at=utcnow())

    assert register_as(event, member).status == "confirmed"
    assert registrations_of(event) == [(key(member), "cancelled"), (key(member), "cancelled"),
                                       (key(member), "confirmed")]


def test_the_service_turns_a_lost_race_into_a_refusal(create_event, member, insert_registration,
                                                      run, registrations_of, monkeypatch):
    """Two requests at once pass the check; the index stops the second one, and
    the service answers with the usual message, not an error 500."""
    from fablab.events import services

    event = create_event()
    monkeypatch.setattr(services, "check_can_register", lambda *args, **kwargs: None)
    insert_registration(event, member)
    with pytest.raises(DomainError, match="already registered"):
        run(lambda event, member: services.register(event, services.Participant(member)),
            event=event, member=member)
    assert registrations_of(event) == [(key(member), "confirmed")]


# --- cancelling ---------------------------------------------------------------------------------


def _cancel(run, registration, by):
    from fablab.events.services import cancel_registration

    return run(lambda registration, by: cancel_registration(registration, by),
               registration=registration, by=by)


def test_a_member_cancels_before_the_cut_off_but_not_after(app, create_event, member,
                                                           register_as, run, db, db_state,
                                                           outbox):
    app.config["EVENT_CANCEL_CUTOFF_HOURS"] = 24
    in_two_days = create_event(starts_at=utcnow() + timedelta(hours=48),
                               ends_at=utcnow() + timedelta(hours=50))
    tomorrow = create_event(starts_at=utcnow() + timedelta(hours=23),
                            ends_at=utcnow() + timedelta(hours=25))
    early = register_as(in_two_days, member)
    late = register_as(tomorrow, member)

    _cancel(run, early, member)
    stored = fresh(db, Registration, early.id)
    assert stored.status == "cancelled" and stored.cancelled_by_id == member.id
    assert stored.cancelled_at is not None

    before, mails = db_state(), len(outbox())
    with pytest.raises(DomainError, match="can no longer be cancelled"):
        _cancel(run, late, member)
    assert db_state() == before and len(outbox()) == mails
    assert fresh(db, Registration, late.id).status == "confirmed"


def test_staff_cancel_anyones_registration_even_after_the_cut_off(app, create_event, member,
                                                                  staff, register_as, run, db):
    app.config["EVENT_CANCEL_CUTOFF_HOURS"] = 24
    event = create_event(starts_at=utcnow() + timedelta(hours=2),
                         ends_at=utcnow() + timedelta(hours=4))
    registration = register_as(event, member)

    _cancel(run, registration, staff)

    stored = fresh(db, Registration, registration.id)
    assert (stored.status, stored.cancelled_by_id) == ("cancelled", staff.id)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "registration.cancel"))
    assert (entry.actor_id, entry.object_id) == (staff.id, registration.id)


def test_a_member_cannot_cancel_someone_elses_registration(create_event, member, create_member,
                                                           register_as, run, db, db_state):
    event = create_event()
    registration = register_as(event, member)
    intruder = create_member()
    before = db_state()

    with pytest.raises(DomainError, match="not yours"):
        _cancel(run, registration, intruder)
    assert db_state() == before
    assert fresh(db, Registration, registration.id).status == "confirmed"


def test_a_cancelled_registration_cannot_be_cancelled_again(create_event, member, register_as,
                                                            run, db_state):
    registration = register_as(create_event(), member)
    _cancel(run, registration, member)
    before = db_state()
    with pytest.raises(DomainError, match="already cancelled"):
        _cancel(run, registration, member)
    assert db_state() == before


@pytest.fixture
def full_event(create_event, create_member, register_as):
    """Two seats taken (``seated``), three people waiting (``waiting``), in order."""

    def build():
        event = create_event(capacity=2)
        seated = [create_member() for _ in range(2)]
        waiting = [create_member() for _ in range(3)]
        for person in seated + waiting:
            register_as(event, person)
        return event, seated, waiting

    return build


def test_a_freed_seat_goes_to_the_first_person_waiting_in_the_same_transaction(
        full_event, app, run, db, registrations_of, outbox):
    from fablab.events.services import cancel_registration

    event, seated, waiting = full_event()
    [cancelled] = db.session.scalars(select(Registration).where(
        Registration.member_id == seated[0].id)).all()
    db.session.expunge(cancelled)
    mails_before = len(outbox())

    seen_before_commit = {}

    def go(registration, by):
        cancel_registration(registration, by)
        # Still inside the cancelling transaction: the promotion is already there.
        from fablab.extensions import db as session_db

        seen_before_commit.update({r.member_id: r.status for r in session_db.session.scalars(
            select(Registration).where(Registration.event_id == event.id))})

    run(go, registration=cancelled, by=seated[0])

    assert seen_before_commit == {seated[0].id: "cancelled", seated[1].id: "confirmed",
                                  waiting[0].id: "confirmed", waiting[1].id: "waitlisted",
                                  waiting[2].id: "waitlisted"}
    assert registrations_of(event) == [
        (key(seated[0]), "cancelled"), (key(seated[1]), "confirmed"),
        (key(waiting[0]), "confirmed"), (key(waiting[1]), "waitlisted"),
        (key(waiting[2]), "waitlisted")]
    promoted = db.session.scalar(select(Registration).where(
        Registration.member_id == waiting[0].id))
    assert promoted.promoted_at is not None
    assert all(r.promoted_at is None for r in db.session.scalars(select(Registration).where(
        Registration.member_id.in_([waiting[1].id, waiting[2].id]))))
    new = outbox()[mails_before:]
    assert [(m.kind, m.recipient) for m in new] == [("event.promoted", waiting[0].email)]


def test_a_cancellation_that_is_rolled_back_promotes_nobody(full_event, run, db,
                                                            registrations_of, outbox):
    from fablab.events.services import cancel_registration

    event, seated, waiting = full_event()
    before, mails = registrations_of(event), len(outbox())
    cancelled = db.session.scalar(select(Registration).where(
        Registration.member_id == seated[0].id))
    db.session.expunge(cancelled)

    def go(registration, by):
        cancel_registration(registration, by)
        raise RuntimeError("the request fails after the cancellation")

    with pytest.raises(RuntimeError):
        run(go, registration=cancelled, by=seated[0])
    assert registrations_of(event) == before and len(outbox()) == mails


def test_cancelling_frees_only_the_seats_it_frees(create_event, create_member,
                                                  insert_registration, staff, run, db,
                                                  registrations_of, outbox):
    """Three seats taken for a capacity of two (the capacity was lowered): one
    cancellation leaves the event full, so nobody moves up."""
    event = create_event(capacity=2)
    seated = [create_member() for _ in range(3)]
    waiting = create_member()
    registrations = [insert_registration(event, person) for person in seated]
    insert_registration(event, waiting, status="waitlisted")

    _cancel(run, registrations[0], staff)

    assert registrations_of(event)[-1] == (key(waiting), "waitlisted")
    assert outbox("event.promoted") == []


def test_two_cancellations_promote_two_people_in_order(full_event, staff, run, db,
                                                       registrations_of, outbox):
    event, seated, waiting = full_event()
    for person in seated:
        registration = db.session.scalar(select(Registration).where(
            Registration.member_id == person.id))
        db.session.expunge(registration)
        _cancel(run, registration, staff)
    assert registrations_of(event)[2:] == [(key(waiting[0]), "confirmed"),
                                           (key(waiting[1]), "confirmed"),
                                           (key(waiting[2]), "waitlisted")]
    assert kinds(outbox, "event.promoted") == [("event.promoted", waiting[0].email),
                                               ("event.promoted", waiting[1].email)]


def test_cancelling_a_waitlisted_registration_promotes_nobody(full_event, run, db,
                                                              registrations_of, outbox):
    event, seated, waiting = full_event()
    registration = db.session.scalar(select(Registration).where(
        Registration.member_id == waiting[1].id))
    db.session.expunge(registration)

    _cancel(run, registration, waiting[1])

    assert registrations_of(event) == [
        (key(seated[0]), "confirmed"), (key(seated[1]), "confirmed"),
        (key(waiting[0]), "waitlisted"), (key(waiting[1]), "cancelled"),
        (key(waiting[2]), "waitlisted")]
    assert outbox("event.promoted") == []
