"""The member pages show the parts the higher domains add through accounts' signals
(membership, trainings, bookings), in the order of the layers."""

from __future__ import annotations

from datetime import timedelta

from fablab.extensions import db as _db


def _trained_member_with_a_booking(app, create_member, create_site, create_membership):
    from fablab.booking.models import Booking
    from fablab.core.timeutil import utcnow
    from fablab.machines.models import Resource, Training, TrainingGrant

    member = create_member(name="Inès Laurent")
    create_membership(member)
    site = create_site()
    with app.app_context():
        training = Training(name="Découpe laser")
        resource = Resource(site_id=site.id, name="Trotec Speedy", slug="trotec",
                            training=training)
        _db.session.add_all([training, resource])
        _db.session.flush()
        _db.session.add(TrainingGrant(member_id=member.id, training_id=training.id))
        start = utcnow() + timedelta(days=3)
        _db.session.add(Booking(resource_id=resource.id, member_id=member.id, starts_at=start,
                                ends_at=start + timedelta(hours=1)))
        _db.session.commit()
    return member


def test_the_staff_page_of_a_member_shows_membership_trainings_and_bookings(
        app, staff_client, create_member, create_site, create_membership):
    member = _trained_member_with_a_booking(app, create_member, create_site, create_membership)
    html = staff_client.get(f"/members/{member.id}").get_data(as_text=True)
    membership = html.index('aria-labelledby="membership-title"')
    trainings = html.index('aria-labelledby="trainings-title"')
    bookings = html.index('aria-labelledby="bookings-title"')
    assert membership < trainings < bookings
    assert "Adhérent·e à jour" in html[membership:trainings]
    assert "Découpe laser" in html[trainings:bookings]
    assert "Trotec Speedy" in html[bookings:]


def test_the_members_own_account_shows_their_membership(app, login_as, create_member,
                                                       create_site, create_membership):
    member = _trained_member_with_a_booking(app, create_member, create_site, create_membership)
    html = login_as(member).get("/account").get_data(as_text=True)
    assert html.count('aria-labelledby="membership-title"') == 1
    assert "Adhérent·e à jour" in html
