"""Workshops and events: registrations, waiting lists, attendance, series."""

from flask import Blueprint

bp = Blueprint("events", __name__)

from fablab.events import views  # noqa: E402,F401
