"""Activity reports for the town and funders, and their CSV exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from fablab.reports import views  # noqa: E402,F401
