"""Settings: defaults here, then ``instance/config.py``, then ``FABLAB_*``
environment variables, then the test config given to ``create_app``."""

from __future__ import annotations

import json
import os
from typing import Any

DEFAULT_SECRET_KEY = "dev-only-change-me"


class DefaultConfig:
    SECRET_KEY = DEFAULT_SECRET_KEY
    # Filled in create_app() with the instance folder when left empty.
    DATABASE_URL = ""
    BASE_URL = "http://127.0.0.1:5000"
    TIMEZONE = "Europe/Paris"
    LAB_NAME = "Fablab"
    # The lab's country as an ISO 3166-1 alpha-3 code (the repair café's open data).
    LAB_COUNTRY = "FRA"
    REDIS_URL = ""
    UPLOAD_DIR = ""
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto/-Host, so that
    # rate limits see the visitor's address and links use https. 0 when serving directly.
    PROXY_COUNT = 0

    # E-mail: "log" prints each message whole to the console (development); "smtp"
    # sends them through the worker (`flask outbox send`).
    MAIL_BACKEND = "log"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_DEFAULT_SENDER = "Fablab <noreply@example.org>"
    MAIL_TIMEOUT = 10
    # Retries while SMTP is down: 1, 2, 4… minutes between attempts, at most
    # OUTBOX_MAX_DELAY_MINUTES; a message is given up (failed) once this many hours have
    # passed since its first attempt, so that a weekend outage (72 hours) loses nothing.
    OUTBOX_GIVE_UP_HOURS = 96
    OUTBOX_MAX_DELAY_MINUTES = 60
    # With the "log" backend, send the outbox at the end of the request that queued a
    # message (printed to the console); None: yes unless TESTING. Never with "smtp".
    OUTBOX_IN_PROCESS: bool | None = None
    # Pending messages older than this are shown as delayed on the desk (SMTP down,
    # or no worker running).
    OUTBOX_DELAYED_MINUTES = 30

    # Accounts
    EMAIL_CONFIRM_MAX_AGE = 7 * 24 * 3600
    PASSWORD_RESET_MAX_AGE = 3600
    PASSWORD_MIN_LENGTH = 10
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    RESET_RATE_LIMIT = "5 per hour"
    REGISTER_RATE_LIMIT = "10 per hour"

    # Memberships: days before the end at which members are reminded.
    MEMBERSHIP_REMINDER_DAYS = 30

    # Bookings of machines and rooms
    BOOKING_MAX_DAYS_AHEAD = 14
    BOOKING_MIN_NOTICE_MINUTES = 0
    BOOKING_CANCEL_DEADLINE_HOURS = 24
    BOOKING_WEEKLY_QUOTA_HOURS = 8
    # Per tariff code, e.g. {"student": 12}; a tariff not listed gets the default.
    BOOKING_WEEKLY_QUOTA_BY_TARIFF: dict[str, float] = {}
    NO_SHOW_LIMIT = 3
    NO_SHOW_WINDOW_DAYS = 30
    NO_SHOW_BLOCK_DAYS = 14

    # Events: members cancel a registration up to this many hours before the start.
    EVENT_CANCEL_CUTOFF_HOURS = 0
    # Repair café: share of a new product's footprint that a repair avoids
    # (the Restart Project's displacement rate).
    REPAIR_DISPLACEMENT = 0.5

    # Lending library: items a member may borrow at once (per tariff code if set),
    # days a returned item is kept for the member who holds it, the label code prefix.
    LOAN_ITEM_LIMIT = 5
    LOAN_LIMIT_BY_TARIFF: dict[str, int] = {}
    HOLD_KEEP_DAYS = 3
    ITEM_CODE_PREFIX = "OBJ-"

    # Projects (open documentation): upload limits, in bytes, and gallery size.
    PROJECT_MAX_FILE_BYTES = 20 * 1024 * 1024
    PROJECT_MAX_TOTAL_BYTES = 100 * 1024 * 1024
    PROJECT_MAX_FILES = 40
    PROJECT_PAGE_SIZE = 24
    # Public agenda pages and feeds: seconds a worker reuses the public validator's row
    # (a change made through another worker or server is seen within that time; 0: read
    # it on every request). Rendered pages and feeds are kept per worker by ETag.
    AGENDA_VALIDATOR_TTL = 1.0
    AGENDA_RENDERED_CACHE = True

    # Skills directory: messages a member may send to listed members per 24 hours.
    SKILL_MESSAGES_PER_DAY = 5
    SKILL_MESSAGE_RATE_LIMIT = "5 per hour"

    LANGUAGES = ("fr", "en")
    DEFAULT_LOCALE = "fr"

    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_TIME_LIMIT = None
    BOOTSTRAP_SERVE_LOCAL = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"


def _parse_env_value(raw: str) -> Any:
    """Environment values are strings; accept JSON for numbers and booleans."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, (bool, int, float)) else raw


def environment_overrides(environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    prefix = "FABLAB_"
    return {
        key[len(prefix):]: _parse_env_value(value)
        for key, value in environ.items()
        if key.startswith(prefix) and key[len(prefix):].isupper()
        and not key.startswith("FABLAB_TEST_")
    }
