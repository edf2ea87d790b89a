"""Workshops and events: registrations, waiting lists, attendance, series.

Layer 4, beside booking, loans and projects (independent of each other): may import
core, accounts, memberships and machines. Higher domains react to a registration
through ``fablab.events.signals``.
"""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from fablab.accounts import gdpr
from fablab.core.templating import add_menu_entries, add_template_labels

bp = Blueprint("events", __name__)

from fablab.events import services, views  # noqa: E402,F401  (views add their routes to bp)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_menu_entries(app, "main", (20, "events.index", _l("Workshops")),
                     (30, "events.repair_cafe", _l("Repair café")))
    add_template_labels(app, event_kinds=services.KIND_LABELS, audiences=services.AUDIENCE_LABELS,
                        registration_statuses=services.REGISTRATION_LABELS,
                        public_animator_names=services.public_animator_names)
    gdpr.register(app, "registrations", export=services.export_registrations)
