"""Accounts: members, login, roles, profiles, children, organisations, GDPR."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from fablab.accounts import views  # noqa: E402,F401
