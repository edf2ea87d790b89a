"""Activity reports for the town and funders, and their CSV exports.

Layer 6, the top: reports counts what every domain holds, the desk's visits included,
so it may import any of them; no domain imports reports.
"""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from fablab.core.templating import add_menu_entries

bp = Blueprint("reports", __name__)

from fablab.reports import views  # noqa: E402,F401  (views add their routes to bp)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_menu_entries(app, "staff", (110, "reports.index", _l("Reports")))
