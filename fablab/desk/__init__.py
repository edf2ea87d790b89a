"""The staff desk: today's view, the scan station, the /q/ code resolver, member
cards, and the visits (every arrival of a member, and the walk-ins).

Layer 5, beside agenda (independent of each other): may import every domain below
(core up to booking, events, loans and projects); only reports imports it.
"""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from fablab.booking import signals as booking_signals
from fablab.core.templating import add_menu_entries
from fablab.events import signals as events_signals

bp = Blueprint("desk", __name__)

from fablab.desk import views, visits  # noqa: E402,F401  (views add their routes to bp)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_menu_entries(app, "staff", (10, "desk.index", _l("Desk")),
                     (20, "desk.scan", _l("Scan station")))
    booking_signals.booking_checked_in.connect(visits.on_booking_checked_in)
    events_signals.attendance_marked.connect(visits.on_attendance_marked)
