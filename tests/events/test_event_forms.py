"""Staff create events through the form: volunteers, prices, series animators."""

from datetime import timedelta

from sqlalchemy import func, select

from fablab.events.models import Event
from tests.support.db_helpers import local_day


def event_form(site_id, **extra):
    start = local_day(10)  # the lab's day, as staff type it (not the machine's date)
    return {"title": "Atelier soudure", "kind": "workshop", "audience": "adults",
            "site_id": str(site_id), "room_id": "0", "capacity": "8",
            "starts_at": f"{start.isoformat()}T14:00", "ends_at": f"{start.isoformat()}T16:00",
            **extra}


def test_a_volunteer_member_animates_and_prices_are_saved(staff_client, staff, create_site,
                                                          create_member, create_tariff, db):
    site = create_site()
    volunteer = create_member(name="Inès Bénévole", email="ines@example.org")
    tariff = create_tariff(code="standard")
    response = staff_client.post("/events/new", data=event_form(
        site.id, animator_ids=str(staff.id), volunteers=f" {volunteer.card_code} ",
        **{f"price_{tariff.id}": "5.50"}))
    assert response.status_code == 302
    event = db.session.scalar(select(Event))
    assert sorted(u.id for u in event.animators) == sorted([staff.id, volunteer.id])
    assert [(p.tariff_id, p.price_cents) for p in event.prices] == [(tariff.id, 550)]
    assert event.status == "draft"


def test_an_unknown_volunteer_is_refused_and_nothing_is_created(staff_client, create_site, db):
    site = create_site()
    response = staff_client.post("/events/new", data=event_form(
        site.id, volunteers="nobody@example.org"))
    assert response.status_code == 200
    assert "nobody@example.org" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_a_series_keeps_its_animators(staff_client, staff, create_site, db):
    site = create_site()
    first = local_day(1)
    form = event_form(site.id, animator_ids=str(staff.id), rule="weekly",
                      weekday=str(first.isoweekday()), nth="1", start_time="14:00",
                      end_time="16:00", first_day=first.isoformat(),
                      last_day=(first + timedelta(days=20)).isoformat())
    for key in ("starts_at", "ends_at"):
        form.pop(key)
    assert staff_client.post("/events/series/new", data=form).status_code == 302
    events = db.session.scalars(select(Event)).all()
    assert len(events) == 3
    assert all([u.id for u in e.animators] == [staff.id] for e in events)


def test_an_event_image_is_stored_under_a_random_name(staff_client, create_site, app, db,
                                                      tmp_path):
    import io

    from PIL import Image

    app.config["UPLOAD_DIR"] = str(tmp_path)
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 120, 90)).save(buffer, "PNG")
    buffer.seek(0)
    site = create_site()
    response = staff_client.post("/events/new", data=event_form(
        site.id, image=(buffer, "atelier.png")), content_type="multipart/form-data")
    assert response.status_code == 302
    event = db.session.scalar(select(Event))
    assert event.image.endswith(".jpg") and "atelier" not in event.image
    assert (tmp_path / event.image).is_file()
    page = staff_client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f"/uploads/{event.image}" in page
