"""A file stored during a refused save is deleted with the rollback."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from fablab.core.storage import save_image
from fablab.core.timeutil import local_today
from fablab.events.models import Event
from fablab.extensions import db as _db


def png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 90)).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def stored_files(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_rollback_deletes_the_images_stored_since_the_commit(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    with app.app_context():
        kept = save_image(png())
        _db.session.commit()
        dropped = save_image(png())
        with _db.session.begin_nested():  # a savepoint's end leaves the transaction's files
            pass
        assert len(stored_files(tmp_path)) == 4  # each image and its thumbnail
        _db.session.rollback()
    assert stored_files(tmp_path) == sorted([kept, kept.replace(".jpg", "-thumb.jpg")])
    assert dropped not in stored_files(tmp_path)


def test_a_refused_event_leaves_no_image_behind(staff_client, create_site, app, db, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    site = create_site()
    day = (local_today() + timedelta(days=10)).isoformat()
    response = staff_client.post("/events/new", data={
        "title": "Atelier soudure", "kind": "workshop", "audience": "adults",
        "site_id": str(site.id), "room_id": "0", "capacity": "8",
        "starts_at": f"{day}T14:00", "ends_at": f"{day}T16:00",
        # refused by the service, after the image was read: closes after the start
        "registration_closes_at": f"{day}T15:00", "image": (png(), "atelier.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Les inscriptions se terminent au plus tard au début" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Event.id))) == 0
    assert stored_files(tmp_path) == []
