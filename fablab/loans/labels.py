"""A4 sheets of adhesive labels: the geometry of common formats, in millimetres,
and the labels of the chosen items and machines laid out on them.

Printed at 100 % (no "fit to page"), each label falls on the sheet's cut lines:
the page is positioned in absolute millimetres by print CSS.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from fablab.core import qr
from fablab.core.errors import DomainError
from fablab.extensions import db
from fablab.loans.models import Item
from fablab.machines.models import Resource


@dataclass(frozen=True)
class LabelFormat:
    key: str
    name: object  # a lazy string
    columns: int
    rows: int
    width: float  # label, mm
    height: float
    top: float  # page margin to the first label, mm
    left: float
    column_pitch: float  # from one label's left edge to the next one's
    row_pitch: float

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def position(self, index: int) -> tuple[float, float]:
        """Top-left corner of the label at ``index`` on its sheet, in mm."""
        row, column = divmod(index % self.per_sheet, self.columns)
        return (round(self.left + column * self.column_pitch, 2),
                round(self.top + row * self.row_pitch, 2))


FORMATS = {
    # Avery L7160 / J8160 and compatibles: 21 labels of 63.5 × 38.1 mm.
    "3x7": LabelFormat("3x7", _l("21 labels, 3 × 7 (63.5 × 38.1 mm, Avery L7160)"),
                       3, 7, 63.5, 38.1, 15.15, 7.25, 66.04, 38.1),
    # Avery L7163 / J8163 and compatibles: 14 labels of 99.1 × 38.1 mm.
    "2x7": LabelFormat("2x7", _l("14 labels, 2 × 7 (99.1 × 38.1 mm, Avery L7163)"),
                       2, 7, 99.1, 38.1, 15.15, 4.65, 101.6, 38.1),
    # 3 × 8 of 70 × 36 mm, edge to edge (Avery 3475 and most A4 office sheets).
    "3x8": LabelFormat("3x8", _l("24 labels, 3 × 8 (70 × 36 mm, Avery 3475)"),
                       3, 8, 70.0, 36.0, 4.5, 0.0, 70.0, 36.0),
}


@dataclass
class Label:
    code: str
    title: str
    detail: str
    svg: Markup
    position: int  # on its sheet, 0 at the top left


def stylesheet() -> str:
    """The geometry of every format as CSS (the CSP allows no inline style)."""
    rules = ["@page { size: A4 portrait; margin: 0; }"]
    for key, layout in FORMATS.items():
        qr_side = min(layout.height - 4, layout.width / 2)
        rules.append(f".fmt-{key} .label {{ width: {layout.width}mm; height: {layout.height}mm; }}")
        rules.append(f".fmt-{key} .label-qr {{ width: {qr_side}mm; }}")
        for index in range(layout.per_sheet):
            left, top = layout.position(index)
            rules.append(f".fmt-{key} .pos-{index} {{ left: {left}mm; top: {top}mm; }}")
    return "\n".join(rules) + "\n"


@dataclass
class Sheet:
    format: LabelFormat
    pages: list[list[Label]]
    count: int


def build_sheet(format_key: str, item_ids: list[int], resource_ids: list[int],
                skip: int = 0) -> Sheet:
    """Labels for the chosen items and machines; ``skip`` leaves the first labels of
    the first sheet empty (already used)."""
    layout = FORMATS.get(format_key)
    if layout is None:
        raise DomainError(_("Please choose a label format."))
    if not item_ids and not resource_ids:
        raise DomainError(_("Please choose at least one item or machine."))
    if len(item_ids) + len(resource_ids) > 1000:
        raise DomainError(_("At most 1,000 labels at a time."))
    skip = min(max(skip, 0), layout.per_sheet - 1)
    entries = []
    if item_ids:
        for item in db.session.scalars(select(Item).where(Item.id.in_(item_ids))
                                       .order_by(Item.code)):
            entries.append((item.code, item.name, item.location))
    if resource_ids:
        for resource in db.session.scalars(select(Resource).where(Resource.id.in_(resource_ids))
                                           .order_by(Resource.name)):
            entries.append((resource.slug, resource.name, resource.category))
    pages: list[list[Label]] = []
    for index, (code, title, detail) in enumerate(entries, start=skip):
        if index % layout.per_sheet == 0 or not pages:
            pages.append([])
        pages[-1].append(Label(code, title, detail, Markup(qr.svg(code)),
                               index % layout.per_sheet))
    return Sheet(layout, pages, len(entries))
