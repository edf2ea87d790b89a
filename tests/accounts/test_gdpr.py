"""Every column holding a member's personal data has an eraser, and erasing an account
clears them all. A column is marked ``info={"personal": True}`` (fablab/accounts/gdpr.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from fablab.accounts import gdpr
from fablab.extensions import db as _db

MARK = "zyxqmark"  # in every personal value of the erased member, found nowhere after


def test_every_personal_column_has_an_eraser(app):
    personal = gdpr.personal_columns(_db.metadata)
    erased = gdpr.erased_columns(app)
    assert {"users.name", "users.email", "children.first_name", "bookings.purpose"} <= personal
    assert personal - erased == set(), "personal columns that no registered eraser clears"
    assert erased - personal == set(), "erasers claim columns not marked personal"


def test_a_part_cannot_be_registered_twice(app):
    import pytest

    with pytest.raises(ValueError):
        gdpr.register(app, "account")


def test_erasing_an_account_clears_every_personal_column(app, create_member, create_site,
                                                         create_membership, db):
    from fablab.accounts.models import Child, PublicProfile, Skill, User
    from fablab.accounts.services import anonymise
    from fablab.booking.models import Booking
    from fablab.core import audit
    from fablab.core.mail import queue_email
    from fablab.core.timeutil import utcnow
    from fablab.machines.models import Resource
    from fablab.memberships.models import Membership

    member = create_member(name=f"Paul {MARK}", email=f"{MARK}@example.org",
                           phone=f"06 {MARK}", commune=f"Bron {MARK}")
    other = create_member(name="Zoé Reste", email="zoe@example.org")
    site = create_site()
    membership = create_membership(member)
    with app.app_context():
        session = _db.session
        session.get(Membership, membership.id).note = f"paid by {MARK}"
        child = Child(guardian_id=member.id, first_name=f"Léo{MARK}", birth_year=2018)
        session.add_all([
            child,
            PublicProfile(user_id=member.id, display_name=f"P. {MARK}", about=f"I {MARK}"),
            Skill(user_id=member.id, name=f"arduino {MARK}")])
        resource = Resource(site_id=site.id, name="Laser", slug="laser")
        session.add(resource)
        session.flush()
        start = utcnow() + timedelta(days=2)
        session.add(Booking(resource_id=resource.id, member_id=member.id, starts_at=start,
                            ends_at=start + timedelta(hours=1), purpose=f"meeting {MARK}"))
        user = session.get(User, member.id)
        audit.record(other, "member.create", user, summary=user.email)
        audit.record(other, "booking.check_in", resource, summary=user.name)
        # A child's registration is logged under their first name.
        audit.record(other, "registration.create", child,
                     summary=child.first_name).object_type = "Registration"
        session.flush()
        queue_email(user.email, "confirm_email", user=user, link="http://x/confirm")
        queue_email(other.email, "confirm_email", user=session.get(User, other.id),
                    link="http://x/confirm")
        session.commit()

    with app.app_context():
        anonymise(_db.session.get(User, member.id))
        _db.session.commit()

    # Every personal column of every table, whatever the domain: no trace left.
    for table in _db.metadata.tables.values():
        for column in table.columns:
            if column.info.get("personal"):
                left = db.session.scalar(select(func.count()).select_from(table).where(
                    func.lower(column).contains(MARK)))
                assert left == 0, f"{table.name}.{column.name} keeps the erased member's data"
    # The other member's data and the history stay.
    from fablab.core.models import AuditLog, OutboxMessage

    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1
    assert db.session.scalar(select(func.count(AuditLog.id))) == 3
    assert db.session.scalar(select(func.count(Booking.id))) == 1
