"""The agenda pages, every iCalendar feed, and the open-data API (``api``)."""

from flask import Blueprint

bp = Blueprint("agenda", __name__)

from fablab.agenda import views  # noqa: E402,F401
