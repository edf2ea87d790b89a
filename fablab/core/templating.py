"""Jinja helpers shared by every template."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l

from werkzeug.routing import BuildError

from fablab.core.timeutil import local_today

# The main menu. Entries whose endpoint does not exist yet are left out, so that
# later domains appear in the menu by registering their blueprint.
MAIN_MENU = (
    ("agenda.index", _l("Agenda")),
    ("events.index", _l("Workshops")),
    ("events.repair_cafe", _l("Repair café")),
    ("machines.index", _l("Machines")),
    ("loans.catalogue", _l("Lending library")),
    ("projects.gallery", _l("Projects")),
)

STAFF_MENU = (
    ("desk.index", _l("Desk")),
    ("desk.scan", _l("Scan station")),
    ("loans.overview", _l("Loans")),
    ("booking.day", _l("Bookings of the day")),
    ("booking.slots", _l("Open-lab slots")),
    ("machines.trainings", _l("Trainings")),
    ("machines.incidents", _l("Incidents")),
    ("accounts.members", _l("Members")),
    ("memberships.overview", _l("Memberships")),
    ("accounts.organisations", _l("Organisations")),
    ("reports.index", _l("Reports")),
    ("projects.reports", _l("Reported projects")),
)

ROLE_LABELS = {"member": _l("Member"), "staff": _l("Staff"), "admin": _l("Administrator")}

ADMIN_MENU = (
    ("accounts.admin_users", _l("Roles and accounts")),
    ("memberships.admin_tariffs", _l("Tariffs")),
    ("core.admin_sites", _l("Sites")),
    ("accounts.admin_audit", _l("Audit log")),
    ("core.admin_outbox", _l("E-mail outbox")),
)


def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def menu(entries):
    return [(endpoint, label) for endpoint, label in entries if has_endpoint(endpoint)]


def money(cents: int | None) -> str:
    from flask_babel import format_currency

    return format_currency((cents or 0) / 100, "EUR")


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else ""


def local_date(value: date | None, fmt: str = "long") -> str:
    return format_date(value, fmt) if value else ""


def local_time(value: datetime | None) -> str:
    from flask_babel import format_time

    return format_time(value, "HH:mm") if value else ""


def url_for_if(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def init_app(app: Flask) -> None:
    from datetime import timedelta

    from fablab.accounts.forms import ORGANISATION_KIND_CHOICES
    from fablab.booking.services import STATUS_LABELS as BOOKING_STATUS_LABELS
    from fablab.events.services import AUDIENCE_LABELS, KIND_LABELS as EVENT_KIND_LABELS
    from fablab.events.services import REGISTRATION_LABELS
    from fablab.loans import services as loans
    from fablab.machines.services import KIND_LABELS, STATUS_LABELS
    from fablab.memberships.services import PAYMENT_LABELS, tariff_label

    from fablab.core.markdown import render_markdown
    from fablab.core.storage import thumbnail_name

    app.jinja_env.filters.update(
        money=money, datetime=local_datetime, date=local_date, time=local_time,
        tariff=tariff_label, markdown=render_markdown, thumbnail=thumbnail_name,
    )
    app.jinja_env.globals.update(
        has_endpoint=has_endpoint, url_for_if=url_for_if, payment_labels=PAYMENT_LABELS,
        organisation_kinds=dict(ORGANISATION_KIND_CHOICES), role_labels=ROLE_LABELS,
        resource_statuses=STATUS_LABELS, resource_kinds=KIND_LABELS,
        booking_statuses=BOOKING_STATUS_LABELS, timedelta=timedelta,
        event_kinds=EVENT_KIND_LABELS, audiences=AUDIENCE_LABELS,
        registration_statuses=REGISTRATION_LABELS,
        item_statuses=loans.STATUS_LABELS, lendable_labels=loans.LENDABLE_LABELS,
        item_event_labels=loans.EVENT_LABELS, hold_statuses=loans.HOLD_LABELS,
        condition_label=loans.condition_label, local_today=local_today,
    )

    @app.context_processor
    def layout_context():
        return {
            "lab_name": current_app.config["LAB_NAME"],
            "main_menu": menu(MAIN_MENU),
            "staff_menu": menu(STAFF_MENU),
            "admin_menu": menu(ADMIN_MENU),
            "current_locale": str(get_locale() or "fr"),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
