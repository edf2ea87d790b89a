"""Browser tests: a live server, a real Chromium, and axe for accessibility.

The e2e tests run once, on a SQLite database of their own (never on the
per-engine ``database_url`` of ``tests/conftest.py``): one live server serves
it for the whole session, and every test creates the people it needs with
unique e-mail addresses, so tests do not depend on one another.

Fixtures offered here (see each docstring):

- ``live_server`` / ``base_url``: the running app (CSRF on, rate limits off).
- ``app``, ``make_app``, ``database_url`` (overridden): the live server's app
  and database, so that the helpers of ``tests/conftest.py`` (``create_member``,
  ``create_tariff``, ``create_membership``, ``create_site``, ``outbox``, ``db``…)
  write to and read from the database the browser sees, once, on SQLite only;
  nothing empties its tables between tests.
- ``browser``: Chromium, once per session; ``new_page(locale=…, viewport=…)``
  opens a page in a fresh context (fresh cookies); ``page`` is a French one.
- ``check_a11y(page)``: fails on axe's serious and critical violations.
- ``last_email(recipient, kind)`` and ``email_link(message)``: the outbox.
- ``log_in(page, email, password)``: through the real login form.
- ``translate(msgid, locale)``: what the app's catalogue says for a string,
  to compare text without hard-coding a translation.
- ``unique_email(prefix)``: an address no other test uses.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import threading
import uuid

import pytest
from flask_migrate import upgrade

from fablab import create_app
from fablab.extensions import db as _db

CHROMIUM = os.environ.get("FABLAB_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
# Short timeouts: a page of this app answers in milliseconds, and a missing
# element should fail the test quickly rather than hold the run.
TIMEOUT_MS = 5_000
PHONE = {"width": 390, "height": 844}
PASSWORD = "e2e-password-long-enough"
SECRET_KEY = "e2e-secret-key-not-for-production"
BLOCKING_IMPACTS = ("serious", "critical")


# --- the live server ---------------------------------------------------------------------


class LiveServer:
    def __init__(self, app, server, thread, config):
        self.app = app
        self.config = config
        self.server = server
        self.thread = thread
        self.url = app.config["BASE_URL"]
        self.errors: list[str] = []


class _ErrorCollector(logging.Handler):
    """Keeps what the app logs at ERROR level (unexpected exceptions, 500s)."""

    def __init__(self, errors: list[str]):
        super().__init__(level=logging.ERROR)
        self.errors = errors

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(self.format(record))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app served on 127.0.0.1 (a free port) in a daemon thread, on a fresh
    SQLite database built from the migrations. ``.url``, ``.app``, ``.config``
    (what it was built with), and ``.errors`` (what the app logged at ERROR
    level; checked after each test)."""
    from werkzeug.serving import make_server

    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'e2e.sqlite'}"
    holder = {}

    def dispatch(environ, start_response):
        return holder["app"](environ, start_response)

    # Bind first (port 0: the system picks a free one) so that BASE_URL, used in
    # the e-mails' links, is known when the app is built.
    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    config = {
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": url,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "log",
        "BASE_URL": f"http://127.0.0.1:{server.server_port}",
        "SERVER_NAME": None,
    }
    app = create_app(config)
    with app.app_context():
        upgrade()
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    live = LiveServer(app, server, thread, config)
    handler = _ErrorCollector(live.errors)
    app.logger.addHandler(handler)
    thread.start()
    yield live
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    app.logger.removeHandler(handler)
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """``http://127.0.0.1:<port>``, without a trailing slash."""
    return live_server.url


@pytest.fixture(scope="session")
def database_url(live_server):
    """Overrides the per-engine fixture: e2e tests run once, on the live SQLite."""
    return live_server.app.config["DATABASE_URL"]


@pytest.fixture
def make_app(live_server):
    """Overrides tests/conftest.py's: more apps on the live database (``db``
    uses one to read what the server committed), with config overrides. The
    tables are NOT emptied afterwards: the live server shares them."""
    apps = []

    def factory(**overrides):
        app = create_app({**live_server.config, **overrides})
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture
def app(live_server):
    """The live server's app: ``create_member``, ``create_tariff``, ``outbox``…
    of tests/conftest.py then work on the database the browser sees. Its
    tables are not emptied between tests: use unique e-mail addresses."""
    return live_server.app


@pytest.fixture(autouse=True)
def _no_server_errors(live_server):
    """Fail a test during which the app logged an error (e.g. a 500)."""
    start = len(live_server.errors)
    yield
    new = live_server.errors[start:]
    if new:
        pytest.fail("The app logged errors during the test:\n" + "\n".join(new), pytrace=False)


# --- data helpers ------------------------------------------------------------------------

_counter = itertools.count(1)


@pytest.fixture
def unique_email():
    """``unique_email("marie")`` → ``marie-3f9c…@example.org``."""

    def make(prefix: str = "e2e") -> str:
        return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:8]}@example.org"

    return make


@pytest.fixture
def last_email(app):
    """The newest outbox message to ``recipient`` (of ``kind`` when given), or
    fail. E.g. ``last_email("a@example.org", "account.confirm").body``."""
    from fablab.core.models import OutboxMessage

    def read(recipient: str, kind: str | None = None):
        with app.app_context():
            query = _db.select(OutboxMessage).where(
                OutboxMessage.recipient == recipient.strip().lower())
            if kind:
                query = query.where(OutboxMessage.kind == kind)
            message = _db.session.scalar(query.order_by(OutboxMessage.id.desc()).limit(1))
            if message is None:
                pytest.fail(f"No e-mail{f' of kind {kind!r}' if kind else ''} to {recipient}")
            _db.session.expunge(message)
            return message

    return read


@pytest.fixture
def email_link(base_url):
    """The first link to the live server in an outbox message's body."""

    def find(message) -> str:
        match = re.search(re.escape(base_url) + r"/\S+", message.body)
        assert match, f"No link to {base_url} in the e-mail:\n{message.body}"
        return match.group(0)

    return find


@pytest.fixture
def translate(app):
    """``translate("No active membership", "fr")``: the text the app shows for
    a message id in a language (the id itself while the catalogue lacks it)."""
    from flask_babel import force_locale, gettext

    def tr(msgid: str, locale: str = "fr", **variables) -> str:
        with app.test_request_context(), force_locale(locale):
            return gettext(msgid, **variables)

    return tr


# --- the browser -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Chromium from Debian (Playwright's own download is not reachable)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Browser tests need Chromium at {CHROMIUM} (apt-get install chromium, "
                    "or set FABLAB_TEST_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Browser tests need Playwright (pip install -e .[test])")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, base_url):
    """Open a page in a fresh context (its own cookies): ``new_page()`` is
    French on a desktop screen; ``new_page(locale="en-US")`` asks for English
    (navigator.language and Accept-Language); ``new_page(viewport=PHONE)`` or
    ``new_page(phone=True)`` is 390×844. Relative URLs go to the live server.
    Uncaught JavaScript errors, console errors (e.g. a CSP refusal) and
    stylesheets, scripts or images that fail to load fail the test (at
    teardown); the page itself may be an error page."""
    contexts = []
    problems: list[str] = []

    def open_page(locale: str = "fr-FR", viewport: dict | None = None, phone: bool = False,
                  **context_options):
        if phone:
            viewport = PHONE
            context_options.setdefault("is_mobile", True)
            context_options.setdefault("has_touch", True)
        context = browser.new_context(
            base_url=base_url, locale=locale,
            viewport=viewport or {"width": 1280, "height": 800}, **context_options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS * 2)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on("console", lambda message: _console_error(page, message, problems))
        page.on("response", lambda response: _missing_resource(response, problems))
        return page

    yield open_page
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("The browser reported errors:\n" + "\n".join(problems), pytrace=False)


def _console_error(page, message, problems: list[str]) -> None:
    # A page answered with 404 on purpose logs "Failed to load resource" too:
    # missing files are caught by _missing_resource, which knows what was asked.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(f"console error on {page.url}: {message.text}")


def _missing_resource(response, problems: list[str]) -> None:
    """A stylesheet, script or image that fails (the page itself may be an
    error page a test asks for)."""
    if response.status >= 400 and response.request.resource_type != "document":
        problems.append(f"{response.status} for {response.request.resource_type} "
                        f"{response.url} (on {response.frame.url})")


@pytest.fixture
def page(new_page):
    """A French page (fr-FR) on a desktop screen, in a fresh context."""
    return new_page()


@pytest.fixture
def log_in(base_url):
    """Log in through the login form and wait for the account page."""

    def submit(page, email: str, password: str = PASSWORD) -> None:
        page.goto("/login")
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        page.locator("main form [type=submit]").click()
        page.wait_for_url(f"{base_url}/account")

    return submit


# --- accessibility -----------------------------------------------------------------------

_axe = None


def check_a11y(page, context=None) -> None:
    """Run axe on the page as it is now; fail listing every serious or critical
    violation (rule, impact, help, the CSS targets of the nodes)."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    results = _axe.run(page, context=context)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"Accessibility violations on {page.url}:"]
        for violation in blocking:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}"
                         f" [{violation.get('helpUrl', '')}]")
            for node in violation["nodes"]:
                lines.append("    " + ", ".join(str(t) for t in node["target"]))
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture(name="check_a11y")
def check_a11y_fixture():
    """``check_a11y(page)``: see :func:`check_a11y`."""
    return check_a11y
