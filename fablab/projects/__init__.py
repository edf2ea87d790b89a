"""Open documentation of what is made here: projects, steps, files, bill of
materials, licences, the public gallery, its feed and the exports.

Layer 4, beside booking, events and loans (independent of each other): may import
core, accounts, memberships and machines.
"""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from fablab.accounts import gdpr
from fablab.core.templating import add_menu_entries

bp = Blueprint("projects", __name__)

# views add their routes to bp
from fablab.projects import api, services, views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_menu_entries(app, "main", (60, "projects.gallery", _l("Projects")))
    add_menu_entries(app, "staff", (120, "projects.reports", _l("Reported projects")))
    api.register_endpoints()
    gdpr.register(app, "projects", export=services.export_projects, erase=services.erase_projects)
