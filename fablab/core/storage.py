"""Uploaded images: checked from their content, re-encoded, stored under a
random name in UPLOAD_DIR (never the uploaded name), EXIF (GPS) dropped.

A file stored during a transaction that is then rolled back (a refused save) is
deleted with it, so that a refusal leaves nothing behind on disk either.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from fablab.core.errors import DomainError
from fablab.extensions import db

_NEW_FILES = "fablab.new_files"  # key of Session.info: paths stored since the last commit

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
THUMB_SIDE = 480


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_image(stream, field: str = "photo") -> str:
    """Store an uploaded image as JPEG (and a thumbnail); return its file name."""
    data = stream.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise DomainError(_("The image is larger than 10 MB."), field)
    try:
        from io import BytesIO

        image = Image.open(BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise DomainError(_("This file is not an image we can read (JPEG, PNG or WebP)."),
                          field) from error
    if image.format not in ("JPEG", "PNG", "WEBP", "GIF"):
        raise DomainError(_("This file is not an image we can read (JPEG, PNG or WebP)."), field)
    # Turn the picture upright, then drop every metadata (EXIF, GPS) by re-encoding.
    image = ImageOps.exif_transpose(image).convert("RGB")
    name = secrets.token_hex(16)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    folder = upload_dir()
    forget_on_rollback(folder / f"{name}.jpg", folder / f"{name}-thumb.jpg")
    image.save(folder / f"{name}.jpg", "JPEG", quality=85, optimize=True)
    image.thumbnail((THUMB_SIDE, THUMB_SIDE))
    image.save(folder / f"{name}-thumb.jpg", "JPEG", quality=80, optimize=True)
    return f"{name}.jpg"


def forget_on_rollback(*paths: Path) -> None:
    """Delete these new files if the current transaction is rolled back."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # the rollback to come must have a transaction to end
    session.info.setdefault(_NEW_FILES, []).extend(paths)


@event.listens_for(Session, "after_commit")
def _keep_new_files(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint released: not yet committed
        session.info.pop(_NEW_FILES, None)


@event.listens_for(Session, "after_soft_rollback")
def _delete_new_files(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is not None:  # a savepoint: the transaction goes on
        return
    for path in session.info.pop(_NEW_FILES, []):
        path.unlink(missing_ok=True)


def delete_image(name: str | None) -> None:
    if not name:
        return
    for candidate in (name, name.replace(".jpg", "-thumb.jpg")):
        path = upload_dir() / os.path.basename(candidate)
        if path.is_file():
            path.unlink()


def thumbnail_name(name: str) -> str:
    return name.replace(".jpg", "-thumb.jpg")
