"""The lending library: items, QR labels, check-out and check-in, holds, overdue notices.

Layer 4, beside booking, events and projects (independent of each other): may import
core, accounts, memberships and machines.
"""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from fablab.accounts import gdpr
from fablab.core.templating import add_menu_entries, add_template_labels

bp = Blueprint("loans", __name__)

from fablab.loans import services, views  # noqa: E402,F401  (views add their routes to bp)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_menu_entries(app, "main", (50, "loans.catalogue", _l("Lending library")))
    add_menu_entries(app, "staff", (30, "loans.overview", _l("Loans")))
    add_template_labels(app, item_statuses=services.STATUS_LABELS,
                        lendable_labels=services.LENDABLE_LABELS,
                        item_event_labels=services.EVENT_LABELS,
                        hold_statuses=services.HOLD_LABELS,
                        condition_label=services.condition_label)
    gdpr.register(app, "loans", export=services.export_loans)
