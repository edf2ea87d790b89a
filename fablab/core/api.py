"""The open-data API: read-only, public, JSON, under ``/api/v1``.

Every endpoint lives in one registry; the routes AND the OpenAPI 3.1 document
(``/api/v1/openapi.json``) are generated from it, so they cannot drift apart.

A domain adds its endpoints in a few lines, when it is set up (its ``init_app``;
``create_app`` sets up every domain before it builds the API blueprint with
:func:`init_app`)::

    # fablab/projects/api.py; fablab/projects/__init__.py's init_app calls register_endpoints()
    from fablab.core import api

    PROJECT = {"type": "object", "required": ["slug", "title"],
               "properties": {"slug": {"type": "string"}, "title": {"type": "string"}}}

    def fetch(query: api.Query) -> tuple[list[dict], int]:
        stmt = select(Project).where(Project.published.is_(True))
        if query.start:                       # from/to, as aware UTC datetimes
            stmt = stmt.where(Project.published_at >= query.start)
        return query.page_of(stmt.order_by(Project.id), lambda p: {"slug": p.slug, ...})

    def register_endpoints() -> None:
        api.register("projects", "/projects", PROJECT, fetch, summary="Published projects")

- ``fetch(query)`` returns ``(items, total)`` for a list (``paged=True``, the
  default), or one JSON object for ``paged=False``; ``query.page_of(stmt,
  to_dict)`` does the counting and paging in two queries.
- ``params`` declares extra query parameters ``[(name, description, enum or
  None)]``; read them with ``query.arg(name)`` (an ``api.BadQuery`` gives 400).
- ``dated=False`` leaves out ``from``/``to``.

Answers: ``{"items": [...], "page", "per_page", "total", "next"}`` for lists;
a malformed parameter answers 400 ``{"error", "message", "status"}``;
``per_page`` above :data:`MAX_PER_PAGE` is clamped. No personal data, ever.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from fablab.core.timeutil import lab_timezone
from fablab.extensions import db

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 100_000


class BadQuery(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Query:
    """The parsed common parameters of a request."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    start: datetime | None = None  # from (a local day's midnight), aware UTC
    end: datetime | None = None  # to (the midnight after that local day), aware UTC
    args: dict[str, str] = field(default_factory=dict)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def arg(self, name: str, choices: tuple[str, ...] | None = None) -> str | None:
        value = (self.args.get(name) or "").strip() or None
        if value is not None and choices is not None and value not in choices:
            raise BadQuery(_("%(name)s must be one of: %(choices)s.", name=name,
                             choices=", ".join(choices)))
        return value

    def page_of(self, stmt, to_dict: Callable[[Any], dict]) -> tuple[list[dict], int]:
        """Count, then fetch one page of ``stmt`` (two queries)."""
        total = db.session.scalar(select(func.count()).select_from(
            stmt.order_by(None).subquery()))
        rows = db.session.scalars(stmt.limit(self.per_page).offset(self.offset)).unique().all()
        return [to_dict(row) for row in rows], total


@dataclass
class Endpoint:
    name: str
    path: str
    schema: dict
    fetch: Callable[[Query], Any]
    summary: str = ""
    description: str = ""
    paged: bool = True
    dated: bool = True
    params: list[tuple[str, str, tuple[str, ...] | None]] = field(default_factory=list)


ENDPOINTS: dict[str, Endpoint] = {}


def register(name: str, path: str, schema: dict, fetch: Callable[[Query], Any], *,
             summary: str = "", description: str = "", paged: bool = True, dated: bool = True,
             params: list[tuple[str, str, tuple[str, ...] | None]] | None = None) -> Endpoint:
    """Add ``GET /api/v1<path>`` (endpoint ``api.<name>``) and its OpenAPI entry.
    ``schema`` is the JSON Schema of one item (or of the object when not paged).

    Registering the same endpoint again (a domain set up for another app) changes
    nothing; another endpoint under a taken name is refused."""
    existing = ENDPOINTS.get(name)
    if existing is not None and existing.path == path and existing.fetch is fetch:
        return existing
    if existing is not None or name == "openapi":
        raise ValueError(f"API endpoint {name!r} is already registered")
    endpoint = Endpoint(name, path, schema, fetch, summary, description, paged, dated,
                        list(params or []))
    ENDPOINTS[name] = endpoint
    return endpoint


# --- parsing -----------------------------------------------------------------------------------


def _int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().isdigit() or len(raw.strip()) > 9:
        raise BadQuery(_("%(name)s must be a positive whole number.", name=name))
    return int(raw)


def _day(name: str) -> date | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise BadQuery(_("%(name)s must be a date written YYYY-MM-DD.", name=name)) from None
    if not date(1970, 1, 1) <= day <= date(2200, 1, 1):
        raise BadQuery(_("%(name)s is too far from today.", name=name))
    return day


def parse_query(endpoint: Endpoint) -> Query:
    query = Query(args=request.args.to_dict())
    if endpoint.paged:
        query.page = _int("page", 1)
        if query.page < 1 or query.page > MAX_PAGE:
            raise BadQuery(_("page must be between 1 and %(max)d.", max=MAX_PAGE))
        query.per_page = min(max(_int("per_page", DEFAULT_PER_PAGE), 1), MAX_PER_PAGE)
    if endpoint.dated:
        first, last = _day("from"), _day("to")
        if first and last and last < first:
            raise BadQuery(_("to must not be before from."))
        zone = lab_timezone()
        if first:
            query.start = datetime.combine(first, time(0), tzinfo=zone).astimezone(timezone.utc)
        if last:
            query.end = datetime.combine(last + timedelta(days=1), time(0),
                                         tzinfo=zone).astimezone(timezone.utc)
    for name, _description, choices in endpoint.params:
        query.arg(name, choices)
    return query


def error_response(message: str, status: int = 400):
    return jsonify(error=_("Bad request"), message=message, status=status), status


def _view(endpoint: Endpoint):
    def view():
        try:
            query = parse_query(endpoint)
            result = endpoint.fetch(query)
        except BadQuery as error:
            return error_response(error.message)
        if not endpoint.paged:
            return _json(result)
        items, total = result
        more = query.offset + len(items) < total
        next_url = None
        if more:
            args = {**request.args.to_dict(), "page": query.page + 1, "per_page": query.per_page}
            next_url = current_app.config["BASE_URL"].rstrip("/") + url_for(
                f"api.{endpoint.name}", **args)
        return _json({"items": items, "page": query.page, "per_page": query.per_page,
                      "total": total, "next": next_url})

    view.__name__ = endpoint.name.replace("-", "_")
    return view


def _json(payload):
    response = jsonify(payload)
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- OpenAPI ---------------------------------------------------------------------------------

ERROR_SCHEMA = {
    "type": "object", "required": ["error", "message", "status"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                   "status": {"type": "integer"}},
}


def page_schema(item_schema: dict) -> dict:
    return {
        "type": "object", "required": ["items", "page", "per_page", "total", "next"],
        "properties": {
            "items": {"type": "array", "items": item_schema},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
            "next": {"type": ["string", "null"], "format": "uri"},
        },
    }


def response_schema(endpoint: Endpoint) -> dict:
    return page_schema(endpoint.schema) if endpoint.paged else endpoint.schema


def openapi_document() -> dict:
    paths = {}
    for endpoint in ENDPOINTS.values():
        parameters = []
        if endpoint.paged:
            parameters += [
                {"name": "page", "in": "query", "required": False,
                 "description": "Page number, from 1.",
                 "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {"name": "per_page", "in": "query", "required": False,
                 "description": f"Items per page (at most {MAX_PER_PAGE}; more is clamped).",
                 "schema": {"type": "integer", "minimum": 1, "default": DEFAULT_PER_PAGE}},
            ]
        if endpoint.dated:
            parameters += [
                {"name": "from", "in": "query", "required": False,
                 "description": "First day (YYYY-MM-DD, the lab's local time).",
                 "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "required": False,
                 "description": "Last day, included (YYYY-MM-DD).",
                 "schema": {"type": "string", "format": "date"}},
            ]
        for name, description, choices in endpoint.params:
            schema: dict = {"type": "string"}
            if choices:
                schema["enum"] = list(choices)
            parameters.append({"name": name, "in": "query", "required": False,
                               "description": description, "schema": schema})
        paths["/api/v1" + endpoint.path] = {"get": {
            "operationId": endpoint.name.replace("-", "_"),
            "summary": endpoint.summary or endpoint.name,
            "description": endpoint.description or endpoint.summary or endpoint.name,
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {
                    "schema": response_schema(endpoint)}}},
                "400": {"description": "A malformed parameter", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        }}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{current_app.config['LAB_NAME']} open data", "version": "1",
                 "description": "Read-only public data of the lab: events, open-lab slots, "
                                "machines, the lending library, repair café impact. No "
                                "personal data.",
                 "license": {"name": "ODbL-1.0", "identifier": "ODbL-1.0"}},
        "servers": [{"url": current_app.config["BASE_URL"].rstrip("/")}],
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_SCHEMA}},
    }


def init_app(app: Flask) -> None:
    """Build the ``api`` blueprint from the registry (a new one per app), once every
    domain has registered its endpoints."""
    blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
    for endpoint in ENDPOINTS.values():
        blueprint.add_url_rule(endpoint.path, endpoint.name, _view(endpoint))

    @blueprint.route("/openapi.json")
    def openapi():
        return _json(openapi_document())

    app.register_blueprint(blueprint)
