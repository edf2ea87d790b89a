"""The staff desk: the scan station, the /q/ code resolver, member cards."""

from flask import Blueprint

bp = Blueprint("desk", __name__)

from fablab.desk import views  # noqa: E402,F401
