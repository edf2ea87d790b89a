"""Open-access slots, closures and bookings of resources inside slots.

Layer 4, beside events, loans and projects (independent of each other): may import
core, accounts, memberships and machines. Higher domains react to a booking through
``fablab.booking.signals``.
"""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from fablab.accounts import gdpr
from fablab.accounts import signals as accounts_signals
from fablab.core.templating import add_menu_entries, add_template_labels
from fablab.machines import signals as machines_signals

bp = Blueprint("booking", __name__)

# views add their routes to bp
from fablab.booking import services, views  # noqa: E402,F401
from fablab.booking.models import Booking  # noqa: E402


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_menu_entries(app, "staff", (40, "booking.day", _l("Bookings of the day")),
                     (50, "booking.slots", _l("Open-lab slots")))
    add_template_labels(app, booking_statuses=services.STATUS_LABELS)
    machines_signals.resource_unavailable.connect(services.on_resource_unavailable)
    machines_signals.machine_page.connect(views.machine_page_parts)
    accounts_signals.member_page.connect(views.member_page_parts)
    gdpr.register(app, "bookings", export=services.export_bookings,
                  erase=services.erase_purposes, erases=(Booking.purpose,))
