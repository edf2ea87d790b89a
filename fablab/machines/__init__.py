"""Machines and rooms (bookable resources), trainings and incidents.

Layer 3: may import core, accounts and memberships. Bookings are above: when a
resource goes out of order, or when its page is shown, machines sends a signal
(``fablab.machines.signals``) that the booking domain answers.
"""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from fablab.accounts import gdpr
from fablab.accounts import signals as accounts_signals
from fablab.core.templating import add_menu_entries, add_template_labels

bp = Blueprint("machines", __name__)

from fablab.machines import services, views  # noqa: E402,F401  (views add their routes to bp)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_menu_entries(app, "main", (40, "machines.index", _l("Machines")))
    add_menu_entries(app, "staff", (60, "machines.trainings", _l("Trainings")),
                     (70, "machines.incidents", _l("Incidents")))
    add_template_labels(app, resource_statuses=services.STATUS_LABELS,
                        resource_kinds=services.KIND_LABELS)
    accounts_signals.member_page.connect(views.member_page_parts)
    gdpr.register(app, "trainings", export=services.export_trainings)
