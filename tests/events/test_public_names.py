"""A public event page names its animators by the name they chose to show the public
(their public profile), never by their own name; an animator without a public profile
is not named."""

from __future__ import annotations

from datetime import datetime, timezone


def test_the_event_page_names_animators_by_their_public_names_only(
        app, client, create_event, create_member):
    from fablab.accounts.services import save_public_profile
    from fablab.events.models import event_animators
    from fablab.extensions import db

    event = create_event(slug="atelier-soudure")
    chose = create_member(name="Samir Benali")
    silent = create_member(name="Zoé Martin")
    gone = create_member(name="Octave Durand")
    with app.app_context():
        save_public_profile(db.session.merge(chose), "Samir (équipe)", "", in_directory=False)
        save_public_profile(db.session.merge(gone), "Octave D.", "", in_directory=False)
        db.session.merge(gone).anonymised_at = datetime.now(timezone.utc)
        db.session.execute(event_animators.insert(), [
            {"event_id": event.id, "user_id": user.id} for user in (chose, silent, gone)])
        db.session.commit()
    page = client.get("/events/atelier-soudure", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Samir (équipe)" in html
    for private in ("Benali", "Zoé", "Martin", "Octave", "Durand"):
        assert private not in html


def test_no_animator_line_when_none_chose_a_public_name(app, client, create_event,
                                                        create_member):
    from fablab.events.models import event_animators
    from fablab.extensions import db

    event = create_event(slug="atelier-couture")
    with app.app_context():
        db.session.execute(event_animators.insert(), [
            {"event_id": event.id, "user_id": create_member(name="Zoé Martin").id}])
        db.session.commit()
    html = client.get("/events/atelier-couture",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Zoé" not in html and ">With<" not in html
