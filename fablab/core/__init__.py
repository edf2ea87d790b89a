"""What every domain shares. Its blueprint serves the home page, the language
switch, the health check and the error pages.

Layer 0, the bottom: core imports no domain (an import-linter contract checks it).
A domain that needs something of core imports it; core never reaches up. Where core
shows a domain's things (menus, template labels) the domain registers them at setup.
"""

from flask import Blueprint, Flask

bp = Blueprint("core", __name__)

from fablab.core import templating, views  # noqa: E402,F401  (views add their routes to bp)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    templating.init_app(app)
