"""Jinja helpers shared by every template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Flask, current_app, request, url_for
from flask_babel import format_currency, format_date, format_datetime, format_time, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.routing import BuildError

from fablab.core.markdown import render_markdown
from fablab.core.storage import thumbnail_name
from fablab.core.timeutil import local_today

ROLE_LABELS = {"member": _l("Member"), "staff": _l("Staff"), "admin": _l("Administrator")}
MENUS = ("main", "staff", "admin")


def add_menu_entries(app: Flask, menu: str, *entries: tuple[int, str, str]) -> None:
    """Each domain puts its pages in a menu at setup: ``(position, endpoint, label)``;
    entries are shown by position, whatever the order the domains are set up in."""
    menus = app.extensions.setdefault("fablab.menus", {name: [] for name in MENUS})
    menus[menu] = sorted(menus[menu] + list(entries), key=lambda entry: entry[0])


def add_template_labels(app: Flask, **labels) -> None:
    """A domain's labels (statuses, kinds…) as template globals, set up by the domain."""
    app.jinja_env.globals.update(labels)


@dataclass(frozen=True)
class PagePart:
    """Part of a page that a higher domain adds (a lower domain's page cannot import it)."""

    place: str  # where on the page, as the page's template names it
    position: int  # order among the parts of one place
    html: Markup


def page_parts(signal, sender, **kwargs) -> dict[str, Markup]:
    """Ask the receivers of a page's ``signal`` for their parts, joined by place.

    A blinker signal calls its receivers in no set order: parts carry their position."""
    parts = sorted((part for _receiver, answer in signal.send(sender, **kwargs)
                    for part in answer or ()), key=lambda part: part.position)
    joined: dict[str, Markup] = {}
    for part in parts:
        joined[part.place] = joined.get(part.place, Markup()) + part.html
    return joined


def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def menu(name: str) -> list[tuple[str, str]]:
    entries = current_app.extensions.get("fablab.menus", {}).get(name, [])
    return [(endpoint, label) for _position, endpoint, label in entries]


def money(cents: int | None) -> str:
    return format_currency((cents or 0) / 100, "EUR")


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else ""


def local_date(value: date | None, fmt: str = "long") -> str:
    return format_date(value, fmt) if value else ""


def local_time(value: datetime | None) -> str:
    return format_time(value, "HH:mm") if value else ""


def url_for_if(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def init_app(app: Flask) -> None:
    """Core's filters and globals; each domain adds its own labels and menu entries."""
    app.jinja_env.filters.update(
        money=money, datetime=local_datetime, date=local_date, time=local_time,
        markdown=render_markdown, thumbnail=thumbnail_name,
    )
    app.jinja_env.globals.update(
        has_endpoint=has_endpoint, url_for_if=url_for_if, role_labels=ROLE_LABELS,
        timedelta=timedelta, local_today=local_today,
    )
    add_menu_entries(app, "admin", (30, "core.admin_sites", _l("Sites")),
                     (50, "core.admin_outbox", _l("E-mail outbox")))

    @app.context_processor
    def layout_context():
        return {
            "lab_name": current_app.config["LAB_NAME"],
            "main_menu": menu("main"),
            "staff_menu": menu("staff"),
            "admin_menu": menu("admin"),
            "current_locale": str(get_locale() or "fr"),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
