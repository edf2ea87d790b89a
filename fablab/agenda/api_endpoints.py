"""The agenda's own endpoints of the open-data API (see ``fablab.core.api``).

Events and slots default to those that end after today's midnight when no
``from`` is given. Nothing here names a member: no registrations, borrowers,
bookers, animators or notes.
"""

from __future__ import annotations

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from fablab.agenda.services import local_midnight
from fablab.booking.models import OpenSlot
from fablab.core import api
from fablab.core.timeutil import lab_timezone, local_today
from fablab.events import repair
from fablab.events.models import AUDIENCES, EVENT_KINDS, Event
from fablab.events.services import seat_counts
from fablab.extensions import db
from fablab.loans.models import Item
from fablab.machines.models import RESOURCE_KINDS, RESOURCE_STATUSES, Resource

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
DATETIME = {"type": "string", "format": "date-time"}
URL = {"type": "string", "format": "uri"}
SITE = {"type": "object", "required": ["id", "name", "address", "timezone"],
        "properties": {"id": {"type": "integer"}, "name": STRING, "address": STRING,
                       "timezone": STRING}}


def _obj(required: list[str], **properties) -> dict:
    return {"type": "object", "required": required, "properties": properties,
            "additionalProperties": False}


def _absolute(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _site(site) -> dict:
    return {"id": site.id, "name": site.name, "address": site.address,
            "timezone": site.timezone}


def _window(stmt, model, query: api.Query):
    start = query.start or local_midnight(local_today())
    stmt = stmt.where(model.ends_at > start)
    if query.end:
        stmt = stmt.where(model.starts_at < query.end)
    return stmt


# --- events -------------------------------------------------------------------------------

EVENT = _obj(
    ["id", "slug", "title", "kind", "audience", "summary", "status", "starts_at", "ends_at",
     "site", "capacity", "seats_left", "min_age", "max_age", "url", "ics"],
    id={"type": "integer"}, slug=STRING, title=STRING,
    kind={"type": "string", "enum": list(EVENT_KINDS)},
    audience={"type": "string", "enum": list(AUDIENCES)}, summary=STRING,
    status={"type": "string", "enum": ["published", "cancelled"]},
    starts_at=DATETIME, ends_at=DATETIME, site=SITE,
    capacity={"type": "integer"}, seats_left={"type": "integer", "minimum": 0},
    min_age={"type": ["integer", "null"]}, max_age={"type": ["integer", "null"]},
    url=URL, ics=URL)


def fetch_events(query: api.Query):
    stmt = (select(Event).where(Event.status.in_(("published", "cancelled")))
            .options(joinedload(Event.site)).order_by(Event.starts_at, Event.id))
    stmt = _window(stmt, Event, query)
    kind = query.arg("kind", EVENT_KINDS)
    audience = query.arg("audience", AUDIENCES)
    if kind:
        stmt = stmt.where(Event.kind == kind)
    if audience:
        stmt = stmt.where(Event.audience == audience)
    items, total = query.page_of(stmt, lambda e: e)
    counts = seat_counts([e.id for e in items])
    return [_event(e, counts[e.id]) for e in items], total


def _event(event: Event, counts: dict) -> dict:
    zone = lab_timezone() if event.site is None else _zone(event.site.timezone)
    return {
        "id": event.id, "slug": event.slug, "title": event.title, "kind": event.kind,
        "audience": event.audience, "summary": event.summary, "status": event.status,
        "starts_at": event.starts_at.astimezone(zone).isoformat(),
        "ends_at": event.ends_at.astimezone(zone).isoformat(),
        "site": _site(event.site), "capacity": event.capacity,
        "seats_left": max(event.capacity - counts["confirmed"], 0),
        "min_age": event.min_age, "max_age": event.max_age,
        "url": _absolute("events.detail", slug=event.slug),
        "ics": _absolute("agenda.event_ics", slug=event.slug),
    }


_ZONES: dict = {}


def _zone(name: str):
    from zoneinfo import ZoneInfo

    if name not in _ZONES:
        _ZONES[name] = ZoneInfo(name)
    return _ZONES[name]


# --- open-lab slots --------------------------------------------------------------------------

SLOT = _obj(["id", "starts_at", "ends_at", "status", "capacity", "site"],
            id={"type": "integer"}, starts_at=DATETIME, ends_at=DATETIME,
            status={"type": "string", "enum": ["open", "cancelled"]},
            capacity={"type": "integer"}, site=SITE)


def fetch_slots(query: api.Query):
    stmt = (select(OpenSlot).options(joinedload(OpenSlot.site))
            .order_by(OpenSlot.starts_at, OpenSlot.id))
    stmt = _window(stmt, OpenSlot, query)

    def to_dict(slot: OpenSlot) -> dict:
        zone = _zone(slot.site.timezone)
        return {"id": slot.id, "starts_at": slot.starts_at.astimezone(zone).isoformat(),
                "ends_at": slot.ends_at.astimezone(zone).isoformat(),
                "status": "cancelled" if slot.cancelled_at else "open",
                "capacity": slot.capacity, "site": _site(slot.site)}

    return query.page_of(stmt, to_dict)


# --- machines and rooms ----------------------------------------------------------------------

MACHINE = _obj(["slug", "name", "kind", "category", "summary", "status", "requires_training",
                "site", "url", "ics"],
               slug=STRING, name=STRING, kind={"type": "string", "enum": list(RESOURCE_KINDS)},
               category=STRING, summary=STRING,
               status={"type": "string", "enum": list(RESOURCE_STATUSES)},
               requires_training={"type": "boolean"}, site=SITE, url=URL, ics=URL)


def fetch_machines(query: api.Query):
    stmt = (select(Resource).where(Resource.active.is_(True))
            .options(joinedload(Resource.site)).order_by(Resource.kind, Resource.name))
    kind = query.arg("kind", RESOURCE_KINDS)
    status = query.arg("status", RESOURCE_STATUSES)
    if kind:
        stmt = stmt.where(Resource.kind == kind)
    if status:
        stmt = stmt.where(Resource.status == status)
    return query.page_of(stmt, lambda r: {
        "slug": r.slug, "name": r.name, "kind": r.kind, "category": r.category,
        "summary": r.summary, "status": r.status, "requires_training": r.training_id is not None,
        "site": _site(r.site), "url": _absolute("machines.detail", slug=r.slug),
        "ics": _absolute("agenda.machine_feed", slug=r.slug)})


# --- the lending library ---------------------------------------------------------------------

PUBLIC_ITEM_STATUSES = ("available", "on_loan", "held", "maintenance")
ITEM = _obj(["code", "name", "category", "status", "available", "lendable_to", "site", "url"],
            code=STRING, name=STRING, category=STRING,
            status={"type": "string", "enum": list(PUBLIC_ITEM_STATUSES)},
            available={"type": "boolean"},
            lendable_to={"type": "string", "enum": ["members", "organisations", "all"]},
            site=SITE, url=URL)


def fetch_items(query: api.Query):
    stmt = (select(Item).where(Item.status.in_(PUBLIC_ITEM_STATUSES))
            .options(joinedload(Item.site)).order_by(Item.category, Item.name, Item.id))
    status = query.arg("status", PUBLIC_ITEM_STATUSES)
    category = query.arg("category")
    if status:
        stmt = stmt.where(Item.status == status)
    if category:
        stmt = stmt.where(Item.category == category)
    return query.page_of(stmt, lambda i: {
        "code": i.code, "name": i.name, "category": i.category, "status": i.status,
        "available": i.status == "available", "lendable_to": i.lendable_to,
        "site": _site(i.site), "url": _absolute("loans.item", code=i.code)})


# --- repair café impact ----------------------------------------------------------------------

NUMBER = {"type": "number", "minimum": 0}
IMPACT = _obj(["from", "to", "repair_cafes", "items", "fixed", "repairable", "end_of_life",
               "fix_rate", "waste_avoided_kg", "co2e_avoided_kg"],
              **{"from": {"type": ["string", "null"], "format": "date"},
                 "to": {"type": ["string", "null"], "format": "date"}},
              repair_cafes={"type": "integer", "minimum": 0},
              items={"type": "integer", "minimum": 0}, fixed={"type": "integer", "minimum": 0},
              repairable={"type": "integer", "minimum": 0},
              end_of_life={"type": "integer", "minimum": 0},
              fix_rate={"type": "number", "minimum": 0, "maximum": 1},
              waste_avoided_kg=NUMBER, co2e_avoided_kg=NUMBER)


def fetch_impact(query: api.Query):
    figures = repair.impact(query.start, query.end)
    stmt = select(func.count(Event.id)).where(Event.kind == "repair_cafe",
                                              Event.status == "published")
    if query.start:
        stmt = stmt.where(Event.starts_at >= query.start)
    if query.end:
        stmt = stmt.where(Event.starts_at < query.end)
    return {
        "from": query.args.get("from") or None, "to": query.args.get("to") or None,
        "repair_cafes": db.session.scalar(stmt) or 0,
        "items": figures.items, "fixed": figures.fixed, "repairable": figures.repairable,
        "end_of_life": figures.end_of_life, "fix_rate": round(figures.fix_rate, 4),
        "waste_avoided_kg": round(figures.waste_kg, 3),
        "co2e_avoided_kg": round(figures.co2e_kg, 3),
    }


def register_endpoints() -> None:
    """Called by the agenda's ``init_app``."""
    api.register("events", "/events", EVENT, fetch_events,
                 summary="Published events (workshops, repair cafés, clubs…)",
                 description="Events that end after `from` (default: today) and start before "
                             "`to`; cancelled ones stay listed with status `cancelled`.",
                 params=[("kind", "Kind of event", EVENT_KINDS),
                         ("audience", "Audience", AUDIENCES)])
    api.register("slots", "/slots", SLOT, fetch_slots, summary="Open-lab (open access) slots")
    api.register("machines", "/machines", MACHINE, fetch_machines, dated=False,
                 summary="Machines and rooms, with their status",
                 params=[("kind", "machine or room", RESOURCE_KINDS),
                         ("status", "Status", RESOURCE_STATUSES)])
    api.register("items", "/items", ITEM, fetch_items, dated=False,
                 summary="The lending library: items and whether they are available",
                 params=[("status", "Status", PUBLIC_ITEM_STATUSES),
                         ("category", "Category", None)])
    api.register("repair_cafe_impact", "/repair-cafe/impact", IMPACT, fetch_impact, paged=False,
                 summary="What the repair cafés repaired, and the waste and CO2e avoided")
