"""Open-access slots, closures and bookings of resources inside slots."""

from flask import Blueprint

bp = Blueprint("booking", __name__)

from fablab.booking import views  # noqa: E402,F401
