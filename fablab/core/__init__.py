"""What every domain shares. Its blueprint serves the home page, the language
switch, the health check and the error pages."""

from flask import Blueprint

bp = Blueprint("core", __name__)

from fablab.core import views  # noqa: E402,F401
