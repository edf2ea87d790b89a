"""The agenda pages, every iCalendar feed, and the open-data API's endpoints.

Layer 5, beside desk (independent of each other): may import every domain below
(core up to booking, events, loans and projects); nothing below imports it.
"""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from fablab.booking import signals as booking_signals
from fablab.core.templating import add_menu_entries
from fablab.events import signals as events_signals

bp = Blueprint("agenda", __name__)

# views add their routes to bp
from fablab.agenda import api_endpoints, ics, views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_menu_entries(app, "main", (10, "agenda.index", _l("Agenda")))
    api_endpoints.register_endpoints()
    # The .ics files attached to the confirmation e-mails of bookings and registrations.
    booking_signals.calendar_attachments.connect(ics.booking_attachments)
    events_signals.calendar_attachments.connect(ics.registration_attachments)
