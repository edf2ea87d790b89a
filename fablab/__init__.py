"""The fablab application: create_app() binds everything together."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from fablab.config import DEFAULT_SECRET_KEY, DefaultConfig, environment_overrides
from fablab.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent

# The domains, cli and models are imported inside the functions below, on purpose: every
# module imports fablab.extensions, which runs this file first, so importing them here
# would be a cycle (and would load the whole application to read one setting).


class ConfigurationError(RuntimeError):
    pass


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    _load_config(app, test_config)
    _init_extensions(app)
    _init_domains(app)
    _register_security_headers(app)
    from fablab.agenda.polls import FeedPolls

    app.wsgi_app = FeedPolls(app.wsgi_app)  # inside ProxyFix: it sees the client's host
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    from fablab.cli import register_commands

    register_commands(app)
    return app


def _load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(environment_overrides())
    if test_config:
        app.config.update(test_config)
    if not app.config["DATABASE_URL"]:
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'fablab.sqlite'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(app.config["DATABASE_URL"])
    if not app.config["UPLOAD_DIR"]:
        app.config["UPLOAD_DIR"] = str(Path(app.instance_path) / "uploads")
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    secure = app.config["BASE_URL"].startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    if "RATELIMIT_STORAGE_URI" not in app.config:
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    engine_options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        engine_options.setdefault("pool_pre_ping", True)
    production = not (app.debug or app.testing or app.config.get("TESTING"))
    if production and app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise ConfigurationError(
            "Refusing to start in production with the default SECRET_KEY: set "
            "FABLAB_SECRET_KEY (or SECRET_KEY in instance/config.py) to a long random string."
        )


def _release_session(_error: BaseException | None) -> None:
    """End the request's session. If the database went away after the answer was made
    (a restart), the final rollback fails: drop the session's connections instead of
    turning a finished answer into an error."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        db.session.remove()
    except SQLAlchemyError as error:
        logging.getLogger("fablab").warning("Session clean-up failed: %s", error)
        try:
            db.session.registry().invalidate()  # drop its connections, no rollback
        except SQLAlchemyError:
            pass
        db.session.registry.clear()


def _sqlalchemy_url(url: str) -> str:
    """Accept the usual postgres:// and postgresql:// and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - engine hook
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        # Read through the OS page cache shared by every connection and worker instead of
        # copying pages into each connection's small cache: a quarter off the big
        # aggregate pages (the activity report) at a town's size.
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.close()


def _may_be_logged_in() -> bool:
    """Whether the request carries a log-in (session or remember-me cookie): without
    one, loading the anonymous user is skipped (it is most of a feed poll's cost)."""
    from flask import current_app

    config = current_app.config
    return config["SESSION_COOKIE_NAME"] in request.cookies or \
        config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


def select_locale() -> str:
    from flask import current_app, has_request_context

    languages = ("fr", "en")
    if not has_request_context():  # a command (cron, CLI): the lab's language
        return current_app.config["DEFAULT_LOCALE"]
    # While the database is down, the user's row cannot be read: the request decides.
    if not g.get("database_unavailable") and _may_be_logged_in() and getattr(
            current_user, "is_authenticated", False):
        if current_user.locale in languages:
            return current_user.locale
    cookie = request.cookies.get("lang")
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or "fr"


def _init_extensions(app: Flask) -> None:
    from fablab.core.sessions import CookieSessionInterface

    app.session_interface = CookieSessionInterface()
    db.init_app(app)
    # Runs before Flask-SQLAlchemy's own clean-up (teardowns run in reverse order).
    app.teardown_appcontext(_release_session)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and app.config.get(
            "SQLITE_IMMEDIATE_WRITES", True):
        from fablab.core.db import configure_sqlite_transactions

        with app.app_context():
            configure_sqlite_transactions(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    # Import the models so that metadata (and Alembic) know every table.
    from fablab import models  # noqa: F401
    from fablab.accounts.models import User

    @login_manager.user_loader
    def load_user(user_id: str):
        try:
            return db.session.get(User, int(user_id))
        except ValueError:
            return None

    logging.getLogger("fablab").setLevel(logging.INFO)
    from fablab.core import mail

    mail.init_app(app)  # development: each request or command prints what it queued


def _init_domains(app: Flask) -> None:
    """Set up each domain from the bottom layer up (core first, reports last): each one
    registers its blueprint, menu entries, template labels, GDPR part and the signals it
    answers."""
    from fablab import (accounts, agenda, booking, core, desk, events, loans, machines,
                        memberships, projects, reports)
    from fablab.core import api as open_data_api

    for domain in (core, accounts, memberships, machines, booking, events, loans, projects,
                   agenda, desk, reports):
        domain.init_app(app)
    open_data_api.init_app(app)  # last: every domain has registered its API endpoints


def _register_security_headers(app: Flask) -> None:
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )

    headers = [("Content-Security-Policy", csp), ("X-Content-Type-Options", "nosniff"),
               ("X-Frame-Options", "DENY"),
               ("Referrer-Policy", "strict-origin-when-cross-origin"),
               ("Permissions-Policy", "camera=(self), geolocation=()")]
    if app.config["BASE_URL"].startswith("https://"):
        headers.append(("Strict-Transport-Security", "max-age=31536000"))

    @app.after_request
    def security_headers(response):
        # One pass over the answer's headers, not a lookup per header: Werkzeug's
        # setdefault raises and catches an exception for each missing one.
        present = {key.lower() for key in response.headers.keys()}
        response.headers.extend([(key, value) for key, value in headers
                                 if key.lower() not in present])
        return response
