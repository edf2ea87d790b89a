"""The lending library: items, QR labels, check-out and check-in, holds, overdue notices."""

from flask import Blueprint

bp = Blueprint("loans", __name__)

from fablab.loans import views  # noqa: E402,F401
