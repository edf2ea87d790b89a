"""Workshops and events: registrations, waiting lists, attendance, series."""

from flask import Blueprint

bp = Blueprint("events", __name__)

from fablab.events import views  # noqa: E402,F401


@bp.app_template_global()
def public_animator_names(event) -> list[str]:
    from fablab.events.services import public_animator_names as names

    return names(event)
