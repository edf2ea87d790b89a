"""QR codes of items, machines and member cards.

Each encodes the absolute URL ``BASE_URL/q/<code>``, so that a phone's ordinary
camera opens the right page. The SVG is drawn from the module matrix as one path
(crisp at any print size); the PNG is drawn with Pillow. Both print the human
code under the symbol, for when the camera fails.
"""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

import qrcode
from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white around the symbol, as the standard asks


def code_url(code: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + "/q/" + code


def matrix(data: str) -> list[list[bool]]:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def svg(code: str, caption: bool = True) -> str:
    """An SVG of the code's QR, in modules as user units, with the code under it."""
    cells = matrix(code_url(code))
    size = len(cells)
    path = "".join(f"M{x},{y}h1v1h-1z" for y, row in enumerate(cells)
                   for x, dark in enumerate(row) if dark)
    text_height = 6 if caption else 0
    height = size + text_height
    # Monospace glyphs are about 0.6 em wide: long codes (machine slugs) get smaller type.
    font_size = round(min(4.0, (size - 2) / (0.62 * max(len(code), 1))), 2)
    label = (f'<text x="{size / 2}" y="{size + 3.5}" font-family="DejaVu Sans Mono, monospace" '
             f'font-size="{font_size}" font-weight="bold" text-anchor="middle">{escape(code)}</text>'
             if caption else "")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {height}" '
            f'shape-rendering="crispEdges" role="img" aria-label="{escape(code)}">'
            f'<rect width="{size}" height="{height}" fill="#fff"/>'
            f'<path d="{path}" fill="#000"/>{label}</svg>')


def png(code: str, scale: int = 8, caption: bool = True) -> bytes:
    cells = matrix(code_url(code))
    size = len(cells) * scale
    text_height = 6 * scale if caption else 0
    image = Image.new("L", (size, size + text_height), 255)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(cells):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle([x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1],
                               fill=0)
    if caption:
        font = ImageFont.load_default(size=4 * scale)
        draw.text((size / 2, size + text_height / 2 - scale), code, fill=0, font=font,
                  anchor="mm")
    out = BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
