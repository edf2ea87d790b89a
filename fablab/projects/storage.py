"""Project uploads: the type is read from the content (magic bytes, ZIP
members), never from the name; images are re-encoded with Pillow (EXIF and GPS
dropped) with a thumbnail; everything is stored under a random name in
``UPLOAD_DIR/projects``. The uploaded name is only kept, cleaned, as the name
offered on download."""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.utils import secure_filename

from fablab.core.errors import DomainError
from fablab.core.storage import forget_on_rollback

FOLDER = "projects"
MAX_SIDE = 1600
THUMB_SIDE = 480
MAX_PIXELS = 50_000_000
# Extensions by kind: the name must agree with what the content is.
EXTENSIONS = {
    "stl": ("stl",), "3mf": ("3mf",), "step": ("step", "stp"), "dxf": ("dxf",),
    "svg": ("svg",), "scad": ("scad",), "fcstd": ("fcstd",), "gerber": ("zip",),
    "ino": ("ino",), "pdf": ("pdf",), "image": ("jpg", "jpeg", "png", "webp", "gif"),
}
GERBER_EXTENSIONS = {"gbr", "gtl", "gbl", "gto", "gbo", "gts", "gbs", "gtp", "gbp", "gko",
                     "gm1", "gml", "drl", "xln", "txt", "g1", "g2"}
STORED_NAME = re.compile(r"^[0-9a-f]{32}(-thumb)?\.(jpg|bin)$")


class UploadTooLarge(DomainError):
    """Past the per-file or per-project limit: the view answers 413."""


@dataclass
class StoredFile:
    stored_name: str
    filename: str
    kind: str
    size: int
    sha256: str


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(stored_name: str) -> Path | None:
    """The file on disk for a stored name, or None: only names we made are accepted,
    so "../" and the like never reach the file system."""
    if not STORED_NAME.match(stored_name or ""):
        return None
    path = folder() / stored_name
    return path if path.is_file() else None


def read_limited(stream, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(_("This file is larger than the limit of %(size)s per file.",
                               size=human_size(limit)), "upload")
    return data


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:65536]:
        return False
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is fine.
        return error.start > len(data[:65536]) - 4
    return True


def _zip_names(data: bytes) -> list[str] | None:
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _is_binary_stl(data: bytes) -> bool:
    if len(data) < 84:
        return False
    count = int.from_bytes(data[80:84], "little")
    return len(data) == 84 + 50 * count and count > 0


def detect_kind(data: bytes, extension: str) -> str | None:
    """What the content is; ``extension`` only tells text formats apart."""
    head = data[:2048]
    if data.startswith(b"%PDF-"):
        return "pdf"
    names = _zip_names(data)
    if names is not None:
        if "3D/3dmodel.model" in names:
            return "3mf"
        if "Document.xml" in names:
            return "fcstd"
        if names and any(name.rsplit(".", 1)[-1].lower() in GERBER_EXTENSIONS
                         for name in names if "." in name):
            return "gerber"
        return None
    if _is_binary_stl(data):
        return "stl"
    if not _is_text(data):
        return None
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith("ISO-10303-21;"):
        return "step"
    if stripped.startswith("solid") and "facet" in data[:65536].decode("utf-8", "replace"):
        return "stl"
    if extension == "svg" and re.search(r"<svg[\s>]", text, re.IGNORECASE):
        return "svg"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines[:2] == ["0", "SECTION"]:
        return "dxf"
    if extension in ("scad", "ino"):
        return extension
    return None


def clean_filename(name: str, kind: str, default: str) -> str:
    """A harmless name to offer on download, with an extension that matches."""
    base = secure_filename(os.path.basename((name or "").replace("\\", "/")))[:100]
    stem, _dot, extension = base.rpartition(".")
    if not stem:
        stem, extension = base or default, ""
    if extension.lower() not in EXTENSIONS[kind]:
        extension = EXTENSIONS[kind][0]
    return f"{stem or default}.{extension.lower()}"


def store_upload(stream, filename: str, limit: int) -> StoredFile:
    """Check and store one upload; raise DomainError (UploadTooLarge past ``limit``)."""
    data = read_limited(stream, limit)
    if not data:
        raise DomainError(_("The file is empty."), "upload")
    extension = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if extension in EXTENSIONS["image"] or _looks_like_image(data):
        return _store_image(data, filename)
    kind = detect_kind(data, extension)
    if kind is None:
        raise DomainError(_("This type of file is not accepted: send STL, 3MF, STEP, DXF, SVG, "
                            "SCAD, FCStd, a Gerber ZIP, INO, PDF or an image (JPEG, PNG, WebP)."),
                          "upload")
    stored_name = secrets.token_hex(16) + ".bin"
    forget_on_rollback(folder() / stored_name)
    (folder() / stored_name).write_bytes(data)
    return StoredFile(stored_name, clean_filename(filename, kind, "file"), kind, len(data),
                      hashlib.sha256(data).hexdigest())


def _looks_like_image(data: bytes) -> bool:
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _store_image(data: bytes, filename: str) -> StoredFile:
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:  # a decompression bomb: refused unread
            raise DomainError(_("This image is too large (%(num)d megapixels at most).",
                                num=MAX_PIXELS // 1_000_000), "upload")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError,
            SyntaxError, ValueError) as error:
        raise DomainError(_("This file is not an image we can read (JPEG, PNG or WebP)."),
                          "upload") from error
    if image.format not in ("JPEG", "PNG", "WEBP", "GIF"):
        raise DomainError(_("This file is not an image we can read (JPEG, PNG or WebP)."),
                          "upload")
    # Upright, then re-encoded: every metadata (EXIF, GPS) is dropped.
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    name = secrets.token_hex(16)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    encoded = out.getvalue()
    forget_on_rollback(folder() / f"{name}.jpg", folder() / f"{name}-thumb.jpg")
    (folder() / f"{name}.jpg").write_bytes(encoded)
    image.thumbnail((THUMB_SIDE, THUMB_SIDE))
    image.save(folder() / f"{name}-thumb.jpg", "JPEG", quality=80, optimize=True)
    return StoredFile(f"{name}.jpg", clean_filename(filename, "image", "image").rsplit(".", 1)[0]
                      + ".jpg", "image", len(encoded), hashlib.sha256(encoded).hexdigest())


def thumb_name(stored_name: str) -> str:
    return stored_name.replace(".jpg", "-thumb.jpg")


def delete_stored(stored_name: str) -> None:
    for name in (stored_name, thumb_name(stored_name)):
        path = path_of(name)
        if path is not None:
            path.unlink()


def human_size(size: int) -> str:
    from flask_babel import format_decimal

    if size >= 1024 * 1024:
        return _("%(num)s MB", num=format_decimal(round(size / 1024 / 1024, 1)))
    if size >= 1024:
        return _("%(num)s kB", num=format_decimal(round(size / 1024)))
    return _("%(num)s bytes", num=size)
