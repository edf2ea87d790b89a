"""Desks recording overlapping memberships of one member at the same instant,
through a real server (see tests/support/live_server.py), on every test database.

Each desk is a staff member logged in with their own browser, French or English.
All of them send POST /members/<id>/memberships/new at once (a barrier), each a
year starting a day later than the previous desk's: every two periods overlap.
Exactly one is recorded; every other desk sees its form again with the refusal
in its own language, and nothing of theirs is written (no audit entry, no e-mail).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fablab.core.models import AuditLog, OutboxMessage
from fablab.core.timeutil import local_today
from fablab.memberships.models import Membership
from fablab.memberships.services import one_year_from
from tests.support.live_server import Browser, live_server, log_in, race

DESKS = 4
ROUNDS = 5
PASSWORD = "race-condition-pw-42"
REFUSAL = {"en": "This period overlaps a membership from {start} to {end}.",
           "fr": "Cette période chevauche une adhésion du {start} au {end}."}


@pytest.fixture
def _live(make_app):
    with live_server(make_app, racers=DESKS, warm_up_path="/machines") as live:
        yield live


@pytest.fixture
def _desks(_live, create_member):
    """DESKS staff members, alternately French and English, each logged in."""
    desks = []
    for i in range(DESKS):
        locale = ("fr", "en")[i % 2]
        staff = create_member(name=f"Desk {i}", email=f"desk{i}@example.org", role="staff",
                              password=PASSWORD, locale=locale)
        browser = Browser(_live.base_url)
        log_in(browser, staff.email, PASSWORD)
        desks.append((locale, browser))
    return desks


def test_desks_recording_overlapping_memberships_at_once_record_one(
        _live, _desks, db, create_member, create_tariff):
    tariff = create_tariff()
    today = local_today()
    for round_ in range(ROUNDS):
        member = create_member(name=f"Walk-in {round_}", email=f"walkin{round_}@example.org")
        forms = []
        for i in range(DESKS):
            starts_on = today + timedelta(days=i)
            forms.append({"tariff": str(tariff.id), "starts_on": starts_on.isoformat(),
                          "ends_on": one_year_from(starts_on).isoformat(), "amount": "30.00",
                          "payment_method": "card", "note": f"desk {i}"})
        path = f"/members/{member.id}/memberships/new"
        results = race([(browser, path, form) for (_, browser), form in zip(_desks, forms)])

        db.session.expire_all()
        rows = db.session.scalars(select(Membership).where(
            Membership.member_id == member.id)).all()
        assert len(rows) == 1, [(m.starts_on, m.ends_on) for m in rows]
        winner = rows[0]
        start, end = winner.starts_on.isoformat(), winner.ends_on.isoformat()
        statuses = [getattr(r, "status", repr(r)) for r in results]
        assert sorted(statuses) == [200] * (DESKS - 1) + [302], (statuses, _live.errors[:1])
        for (locale, _), form, response in zip(_desks, forms, results):
            if response.status == 302:
                assert response.location_path == f"/members/{member.id}"
                assert form["note"] == winner.note
                continue
            assert "is-invalid" in response.body
            assert REFUSAL[locale].format(start=start, end=end) in response.body, locale
        assert db.session.scalars(select(AuditLog.action).where(
            AuditLog.action == "membership.create",
            AuditLog.summary.startswith(f"{member.name}:"))).all() == ["membership.create"]
        assert db.session.scalars(select(OutboxMessage.recipient).where(
            OutboxMessage.kind == "membership.recorded",
            OutboxMessage.recipient == member.email)).all() == [member.email]
    assert _live.errors == []
