"""Memberships (adhésions) and tariffs."""

from flask import Blueprint

bp = Blueprint("memberships", __name__)

from fablab.memberships import views  # noqa: E402,F401
