"""Open documentation of what is made here: projects, steps, files, bill of
materials, licences, the public gallery, its feed and the exports."""

from flask import Blueprint

bp = Blueprint("projects", __name__)

from fablab.projects import views  # noqa: E402,F401
