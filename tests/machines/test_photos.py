"""Machine photos: checked from their content, re-encoded without EXIF, stored
under a random name and shown on the pages."""

import io
import os

from PIL import Image
from sqlalchemy import select

from fablab.machines.models import Resource


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (2400, 1800), (200, 80, 40))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (45.0, 46.0, 0.0)}  # GPSInfo
    exif[0x010F] = "Camera Maker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def machine_form(site_id, **extra):
    return {"name": "Laser", "kind": "machine", "site_id": str(site_id), "training_id": "0",
            "granularity_minutes": "30", "min_duration_minutes": "30",
            "max_duration_minutes": "120", "active": "y", **extra}


def test_photo_is_reencoded_without_exif_and_shown(staff_client, create_site, app, db, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    site = create_site()
    response = staff_client.post("/machines/new", data=machine_form(
        site.id, photo=(io.BytesIO(jpeg_with_gps()), "../../etc/passwd.jpg")),
        content_type="multipart/form-data")
    assert response.status_code == 302
    resource = db.session.scalar(select(Resource))
    assert resource.photo and "passwd" not in resource.photo and "/" not in resource.photo
    stored = Image.open(tmp_path / resource.photo)
    assert max(stored.size) == 1600
    assert not stored.getexif()
    assert os.path.exists(tmp_path / resource.photo.replace(".jpg", "-thumb.jpg"))
    page = staff_client.get(f"/machines/{resource.slug}").get_data(as_text=True)
    assert f"/uploads/{resource.photo}" in page
    served = staff_client.get(f"/uploads/{resource.photo}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_file_that_is_not_an_image_is_refused(staff_client, create_site, app, db, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    site = create_site()
    response = staff_client.post("/machines/new", data=machine_form(
        site.id, photo=(io.BytesIO(b"<svg onload=alert(1)>"), "photo.jpg")),
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(select(Resource)) is None
    assert list(tmp_path.iterdir()) == []


def test_uploads_cannot_escape_their_folder(client, app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    assert client.get("/uploads/../../setup.cfg").status_code == 404
