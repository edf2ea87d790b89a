"""Memberships (adhésions) and tariffs.

Layer 2: may import core and accounts.
"""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from fablab.accounts import gdpr
from fablab.accounts import signals as accounts_signals
from fablab.core.templating import add_menu_entries, add_template_labels

bp = Blueprint("memberships", __name__)

# views add their routes to bp
from fablab.memberships import services, views  # noqa: E402,F401
from fablab.memberships.models import Membership  # noqa: E402


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_menu_entries(app, "staff", (90, "memberships.overview", _l("Memberships")))
    add_menu_entries(app, "admin", (20, "memberships.admin_tariffs", _l("Tariffs")))
    app.add_template_filter(services.tariff_label, "tariff")
    add_template_labels(app, payment_labels=services.PAYMENT_LABELS)
    accounts_signals.account_page.connect(views.account_page_parts)
    accounts_signals.member_page.connect(views.member_page_parts)
    gdpr.register(app, "memberships", export=services.export_memberships,
                  erase=services.erase_notes, erases=(Membership.note,))
