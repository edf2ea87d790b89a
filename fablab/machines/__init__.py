"""Machines and rooms (bookable resources), trainings and incidents."""

from flask import Blueprint

bp = Blueprint("machines", __name__)

from fablab.machines import views  # noqa: E402,F401
