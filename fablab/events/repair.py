"""The repair café log: objects brought, outcomes, and the impact they add up to.

Impact follows the Restart Project's method: kg of waste avoided is the weight of
the fixed objects; kg CO2e avoided is their categories' footprint times a
displacement factor (REPAIR_DISPLACEMENT, 0.5 by default). Aggregated in SQL.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from fablab.core import audit
from fablab.core.errors import DomainError
from fablab.events.models import (REPAIR_BARRIERS, REPAIR_OUTCOMES, Event, RepairCategory,
                                  RepairItem)
from fablab.extensions import db

OUTCOME_LABELS = {"fixed": _l("Fixed"), "repairable": _l("Repairable"),
                  "end_of_life": _l("End of life")}
BARRIER_LABELS = {
    "spare_parts_unavailable": _l("Spare parts not available"),
    "spare_parts_too_expensive": _l("Spare parts too expensive"),
    "cannot_open": _l("Cannot open the product"),
    "no_repair_information": _l("No repair information"),
    "lack_of_equipment": _l("Lack of equipment"),
}
# Open Repair Data Standard names for the CSV export.
ORDS_STATUS = {"fixed": "Fixed", "repairable": "Repairable", "end_of_life": "End of life"}
ORDS_BARRIER = {
    "spare_parts_unavailable": "Spare parts not available",
    "spare_parts_too_expensive": "Spare parts too expensive",
    "cannot_open": "Product is not designed to be opened",
    "no_repair_information": "Repair information not available",
    "lack_of_equipment": "Lack of equipment",
}


def categories(active_only: bool = True) -> list[RepairCategory]:
    stmt = select(RepairCategory).order_by(RepairCategory.name)
    if active_only:
        stmt = stmt.where(RepairCategory.active.is_(True))
    return db.session.scalars(stmt).all()


def record_item(actor, event: Event, category_id: int | None, outcome: str,
                barrier: str | None = None, owner=None, owner_first_name: str = "",
                brand: str = "", model: str = "", problem: str = "", repairer_id: int | None = None,
                notes: str = "") -> RepairItem:
    if event.kind != "repair_cafe":
        raise DomainError(_("Objects are logged at repair café events only."))
    category = db.session.get(RepairCategory, category_id) if category_id else None
    if category is None:
        raise DomainError(_("Please choose a category."), "category_id")
    if outcome not in REPAIR_OUTCOMES:
        raise DomainError(_("Please choose the outcome."), "outcome")
    barrier = barrier or None
    if barrier is not None and barrier not in REPAIR_BARRIERS:
        raise DomainError(_("Unknown barrier to repair."), "barrier")
    if outcome == "fixed" and barrier:
        raise DomainError(_("A fixed object has no barrier to repair."), "barrier")
    item = RepairItem(
        event_id=event.id, category_id=category.id, outcome=outcome, barrier=barrier,
        owner_member_id=getattr(owner, "id", None),
        owner_first_name=(owner_first_name or "").strip()[:80] if owner is None else "",
        brand=(brand or "").strip()[:80], model=(model or "").strip()[:120],
        problem=(problem or "").strip(), repairer_id=repairer_id, notes=(notes or "").strip())
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "repair.log", item, summary=f"{category.name}: {outcome}")
    return item


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
        func.sum(case((fixed, RepairCategory.weight_kg), else_=0)),
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


ORDS_COLUMNS = ("id", "data_provider", "country", "product_category", "brand", "repair_status",
                "repair_barrier_if_end_of_life", "group_identifier", "event_date", "problem")


def items_csv() -> str:
    """Every logged object, without any person, with Open Repair Data Standard names."""
    lab = current_app.config["LAB_NAME"]
    rows = db.session.execute(
        select(RepairItem.id, RepairCategory.name, RepairItem.brand, RepairItem.outcome,
               RepairItem.barrier, Event.starts_at, RepairItem.problem)
        .join(RepairCategory).join(Event).order_by(Event.starts_at, RepairItem.id))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ORDS_COLUMNS)
    for item_id, category, brand, outcome, barrier, starts_at, problem in rows:
        writer.writerow([f"{lab}_{item_id}", lab, "FRA", category, brand, ORDS_STATUS[outcome],
                         ORDS_BARRIER.get(barrier, "") if barrier else "", lab,
                         starts_at.date().isoformat(), problem])
    return "\ufeff" + out.getvalue()
