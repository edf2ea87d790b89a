"""The repair café log: objects brought, outcomes, and the impact they add up to.

Impact follows the Restart Project's method: kg of waste avoided is the weight of
the fixed objects (their own weight when staff weighed them, otherwise their
category's reference weight); kg CO2e avoided is their categories' footprint times
a displacement factor (REPAIR_DISPLACEMENT, 0.5 by default). Aggregated in SQL.

The export follows the Open Repair Data Standard 0.3 (see events/ords.py).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from fablab.accounts.services import member_by_email_or_card
from fablab.core import audit
from fablab.core.errors import DomainError
from fablab.core.forms import MAX_ID
from fablab.core.models import Site
from fablab.core.spreadsheet import formula_safe
from fablab.core.timeutil import local_today
from fablab.events import ords
from fablab.events.models import (REPAIR_BARRIERS, REPAIR_MAX_WEIGHT_KG, REPAIR_MIN_YEAR,
                                  REPAIR_OUTCOMES, Event, RepairCategory, RepairItem)
from fablab.events.services import zone_of
from fablab.extensions import db

OUTCOME_LABELS = {"fixed": _l("Fixed"), "repairable": _l("Repairable"),
                  "end_of_life": _l("End of life")}
BARRIER_LABELS = {
    "spare_parts_unavailable": _l("Spare parts not available"),
    "spare_parts_too_expensive": _l("Spare parts too expensive"),
    "cannot_open": _l("Cannot open the product"),
    "no_repair_information": _l("No repair information"),
    "lack_of_equipment": _l("Lack of equipment"),
    "too_worn_out": _l("Too worn out"),
}


def categories(active_only: bool = True) -> list[RepairCategory]:
    stmt = select(RepairCategory).order_by(RepairCategory.name)
    if active_only:
        stmt = stmt.where(RepairCategory.active.is_(True))
    return db.session.scalars(stmt).all()


@dataclass
class RepairEntry:
    """What staff type about one object (the log form and the correction form)."""

    category_id: int | None
    outcome: str
    barrier: str | None = None
    owner: str = ""  # a member's e-mail address or card code
    owner_first_name: str = ""  # or a visitor's first name
    brand: str = ""
    model: str = ""
    problem: str = ""
    repairer_id: int | None = None
    notes: str = ""
    year_of_manufacture: int | None = None
    weight_kg: float | Decimal | None = None


def record_item(actor, event: Event, entry: RepairEntry) -> RepairItem:
    if event.kind != "repair_cafe":
        raise DomainError(_("Objects are logged at repair café events only."))
    item = RepairItem(event_id=event.id)
    _apply(item, event, entry)
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "repair.log", item, summary=f"{item.category.name}: {item.outcome}")
    return item


# Written to the audit log with their old and new values when corrected; the owner is
# only said to have changed (the log keeps no one's name for a repair).
AUDITED_FIELDS = ("category_id", "outcome", "barrier", "brand", "model", "problem",
                  "repairer_id", "notes", "year_of_manufacture", "weight_kg")


def correct_item(actor, item: RepairItem, entry: RepairEntry) -> RepairItem:
    """Staff correct a logged object: the same rules as when it was logged."""
    before = {name: getattr(item, name) for name in AUDITED_FIELDS}
    owner_before = (item.owner_member_id, item.owner_first_name)
    _apply(item, item.event, entry)
    db.session.flush()
    changes = {name: [before[name], getattr(item, name)] for name in AUDITED_FIELDS
               if before[name] != getattr(item, name)}
    if owner_before != (item.owner_member_id, item.owner_first_name):
        changes["owner"] = "changed"
    audit.record(actor, "repair.correct", item, summary=f"{item.category.name}: {item.outcome}",
                 **changes)
    return item


def _apply(item: RepairItem, event: Event, entry: RepairEntry) -> None:
    """Check every field of ``entry``, then write them all to ``item``."""
    category = db.session.get(RepairCategory, entry.category_id) if entry.category_id else None
    if category is None:
        raise DomainError(_("Please choose a category."), "category_id")
    if entry.outcome not in REPAIR_OUTCOMES:
        raise DomainError(_("Please choose the outcome."), "outcome")
    barrier = entry.barrier or None
    if barrier is not None and barrier not in REPAIR_BARRIERS:
        raise DomainError(_("Unknown barrier to repair."), "barrier")
    if entry.outcome == "fixed" and barrier:
        raise DomainError(_("A fixed object has no barrier to repair."), "barrier")
    problem = (entry.problem or "").strip()
    if not problem:  # a required field of the Open Repair Data Standard
        raise DomainError(_("Please describe the problem in a few words."), "problem")
    owner_ref = (entry.owner or "").strip()
    owner = member_by_email_or_card(owner_ref) if owner_ref else None
    if owner_ref and owner is None:
        raise DomainError(_("No member has this e-mail address or card code."), "owner")
    year = _year_of_manufacture(entry.year_of_manufacture, event)
    weight = _weight(entry.weight_kg)
    item.category, item.outcome, item.barrier = category, entry.outcome, barrier
    item.owner_member_id = owner.id if owner else None
    item.owner_first_name = "" if owner else (entry.owner_first_name or "").strip()[:80]
    item.brand = (entry.brand or "").strip()[:80]
    item.model = (entry.model or "").strip()[:120]
    item.problem, item.notes = problem, (entry.notes or "").strip()
    item.repairer_id = entry.repairer_id or None
    item.year_of_manufacture, item.weight_kg = year, weight


def _year_of_manufacture(year: int | None, event: Event) -> int | None:
    """None, or a year from 1900 to this year, and not after the event's."""
    if year is None:
        return None
    last = min(local_today().year, event.starts_at.astimezone(zone_of(event)).year)
    if not REPAIR_MIN_YEAR <= year <= last:
        raise DomainError(_("The year of manufacture must be between %(first)d and %(last)d.",
                            first=REPAIR_MIN_YEAR, last=last), "year_of_manufacture")
    return year


def _weight(value: float | Decimal | None) -> float | None:
    if value is None:
        return None
    try:
        weight = float(value)
    except (ArithmeticError, TypeError, ValueError):  # Decimal("sNaN") cannot convert
        weight = math.nan
    if not (math.isfinite(weight) and 0 < weight <= REPAIR_MAX_WEIGHT_KG):
        raise DomainError(_("The weight must be more than 0 kg and at most %(max)d kg.",
                            max=REPAIR_MAX_WEIGHT_KG), "weight_kg")
    return weight


def item_of(event: Event, item_id: int) -> RepairItem | None:
    """The logged object ``item_id`` of ``event``; None for another event's."""
    if not 0 < item_id <= MAX_ID:  # a number typed in the URL, beyond any row
        return None
    item = db.session.get(RepairItem, item_id)
    return item if item is not None and item.event_id == event.id else None


def items_of(event: Event) -> list[RepairItem]:
    return db.session.scalars(
        select(RepairItem).where(RepairItem.event_id == event.id)
        .options(selectinload(RepairItem.category), selectinload(RepairItem.owner),
                 selectinload(RepairItem.repairer))
        .order_by(RepairItem.id)).all()


@dataclass
class Impact:
    items: int = 0
    fixed: int = 0
    repairable: int = 0
    end_of_life: int = 0
    waste_kg: float = 0.0
    co2e_kg: float = 0.0

    @property
    def fix_rate(self) -> float:
        return self.fixed / self.items if self.items else 0.0


def _impact_columns():
    fixed = RepairItem.outcome == "fixed"
    return (
        func.count(RepairItem.id),
        func.sum(case((fixed, 1), else_=0)),
        func.sum(case((RepairItem.outcome == "repairable", 1), else_=0)),
        func.sum(case((RepairItem.outcome == "end_of_life", 1), else_=0)),
        # An object's own weight when weighed, else its category's reference weight.
        func.sum(case((fixed, func.coalesce(RepairItem.weight_kg, RepairCategory.weight_kg)),
                      else_=0)),
        func.sum(case((fixed, RepairCategory.co2e_kg), else_=0)),
    )


def _impact(row) -> Impact:
    displacement = current_app.config["REPAIR_DISPLACEMENT"]
    items, fixed, repairable, end, waste, co2 = (value or 0 for value in row)
    return Impact(items, fixed, repairable, end, float(waste), float(co2) * displacement)


def impact(start: datetime | None = None, end: datetime | None = None,
           event_id: int | None = None, site_id: int | None = None) -> Impact:
    stmt = select(*_impact_columns()).join(RepairCategory).join(Event)
    if site_id is not None:
        stmt = stmt.where(Event.site_id == site_id)
    if start is not None:
        stmt = stmt.where(Event.starts_at >= start)
    if end is not None:
        stmt = stmt.where(Event.starts_at < end)
    if event_id is not None:
        stmt = stmt.where(RepairItem.event_id == event_id)
    return _impact(db.session.execute(stmt).one())


def impact_by_event(limit: int = 50) -> list[tuple[Event, Impact]]:
    rows = db.session.execute(
        select(Event, *_impact_columns()).join(RepairItem, RepairItem.event_id == Event.id)
        .join(RepairCategory).group_by(Event.id).order_by(Event.starts_at.desc()).limit(limit)
    ).all()
    return [(row[0], _impact(row[1:])) for row in rows]


def items_csv() -> str:
    """Every logged object as Open Repair Data Standard 0.3 records: the standard's
    columns in its order, values from its codelists, and never a person (neither the
    owner nor the repairer; e-mail addresses typed in a problem are masked)."""
    rows = db.session.execute(
        select(RepairItem.id, RepairCategory.name.label("category"),
               RepairCategory.ords_category_id, RepairItem.brand,
               RepairItem.year_of_manufacture, RepairItem.problem, RepairItem.outcome,
               RepairItem.barrier, Site.name.label("site"), Site.timezone, Event.starts_at,
               RepairItem.updated_at)
        .join(RepairCategory, RepairItem.category_id == RepairCategory.id)
        .join(Event, RepairItem.event_id == Event.id).join(Site, Event.site_id == Site.id)
        .order_by(Event.starts_at, RepairItem.id))
    lab, country = current_app.config["LAB_NAME"], current_app.config["LAB_COUNTRY"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ords.COLUMNS)
    writer.writerows(_ords_record(row, lab, country) for row in rows)
    return out.getvalue()


def _ords_record(row, lab: str, country: str) -> list:
    """One repair attempt, as the values of ords.COLUMNS in their order."""
    zone = ZoneInfo(row.timezone)
    event_date = row.starts_at.astimezone(zone).date()  # the day in the site's time zone
    year = row.year_of_manufacture
    age = event_date.year - year if year is not None and year <= event_date.year else ""
    barrier = row.barrier if row.outcome == "end_of_life" else None  # the standard's rule
    return [
        row.id, formula_safe(row.category),
        ords.PRODUCT_CATEGORIES.get(row.ords_category_id, ""), row.ords_category_id or "",
        formula_safe(row.brand), "" if year is None else year, age,
        formula_safe(_mask_emails(row.problem)), ords.REPAIR_STATUS[row.outcome],
        ords.REPAIR_BARRIERS[barrier] if barrier else "",
        formula_safe(lab if row.site == lab else f"{lab} - {row.site}"), event_date.isoformat(),
        formula_safe(lab), country, row.updated_at.astimezone(zone).date().isoformat(),
    ]


EMAIL = re.compile(r"[^\s@<>()\[\],;:]+@[^\s@<>()\[\],;:]+\.[^\s@<>()\[\],;:]+")


def _mask_emails(text: str) -> str:
    """The standard asks that personal data such as e-mail addresses leave the problem."""
    return EMAIL.sub("[e-mail]", text)
