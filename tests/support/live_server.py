"""The app served for real (werkzeug, threaded, on 127.0.0.1), and a tiny
browser to talk to it: urllib with a cookie jar, redirects not followed.

- ``live_server(make_app, racers, warm_up_path)``: a context manager serving the
  app (CSRF and rate limits off, a connection pool with room for every racer)
  on a free port; yields a ``Live`` (app, base URL, errors the app logged).
- ``Browser(base_url, jar=None)``: one member's browser, its own cookie jar
  (or another browser's jar: another tab of the same session).
- ``race(requests)``: send every ``(browser, path, data)`` at the same instant.
- ``log_in(browser, email, password)`` and ``check_logged_in(response)``.
- ``check_no_server_error(results, live)``: every request answered 302, no 5xx,
  nothing logged as an error.
"""

from __future__ import annotations

import http.cookiejar
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

TIMEOUT = 30  # seconds, for every HTTP request and the barrier


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # give the 3xx back to the caller (as an HTTPError)


@dataclass
class Response:
    status: int
    location: str | None
    body: str

    @property
    def location_path(self) -> str | None:
        return urllib.parse.urlsplit(self.location).path if self.location else None


class Browser:
    """One member's browser: its own cookie jar, so its own Flask session (or
    another browser's jar: another tab of the same session)."""

    def __init__(self, base_url: str, jar: http.cookiejar.CookieJar | None = None):
        self.base_url = base_url
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # never go through an http_proxy
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, path: str, data: dict | None = None) -> Response:
        url = path if path.startswith("http") else self.base_url + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers={"Accept-Language": "en"})
        try:
            with self.opener.open(req, timeout=TIMEOUT) as response:
                return Response(response.status, response.headers.get("Location"),
                                response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
            with error:
                return Response(error.code, error.headers.get("Location"),
                                error.read().decode("utf-8", "replace"))

    def get(self, path: str) -> Response:
        return self.request(path)

    def post(self, path: str, data: dict) -> Response:
        return self.request(path, data)


class ErrorCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(self.format(record))


@dataclass
class Live:
    app: object
    base_url: str
    errors: list[str] = field(default_factory=list)


def race(requests: list[tuple[Browser, str, dict | None]]) -> list[Response | BaseException]:
    """Send every request at the same instant; one thread per request. A request
    that raised gives its exception in place of a response."""
    barrier = threading.Barrier(len(requests), timeout=TIMEOUT)
    results: list[Response | BaseException | None] = [None] * len(requests)

    def run(index: int, browser: Browser, path: str, data: dict | None) -> None:
        try:
            barrier.wait()
            results[index] = browser.request(path, data)
        except BaseException as error:  # reported by the caller
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, *request), daemon=True)
               for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT + 10)
    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    return results


def check_no_server_error(results, live: Live) -> list[Response]:
    """Every request answered (no exception), with a redirect (302, never a
    5xx), and the app logged no error."""
    for result in results:
        assert isinstance(result, Response), repr(result)
    statuses = [r.status for r in results]
    assert all(status < 500 for status in statuses), (statuses, live.errors[:1])
    assert statuses == [302] * len(results), statuses
    assert live.errors == []
    return results


def check_logged_in(response: Response) -> None:
    """The answer to POST /login is a redirect away from the login page."""
    assert response.status == 302, (response.status, response.body[:500])
    assert response.location_path != "/login"


def log_in(browser: Browser, email: str, password: str) -> Response:
    """Log in through POST /login; the browser's jar then holds the session."""
    response = browser.post("/login", {"email": email, "password": password})
    check_logged_in(response)
    return response


@contextmanager
def live_server(make_app, racers: int, warm_up_path: str) -> Iterator[Live]:
    """The app (CSRF and rate limits off) served on a free port, threaded, with a
    pool that keeps a connection per racer (the racers do not queue to connect).
    ``racers`` pages at ``warm_up_path`` are fetched at once first, so that the
    pool opens its connections before the races."""
    from werkzeug.serving import make_server

    app = make_app(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": racers + 2, "max_overflow": 10})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    collector = ErrorCollector()
    app.logger.addHandler(collector)
    # Alembic's fileConfig (the migrations, run once per database) disables the
    # loggers that existed then, "fablab" among them: errors would go unseen.
    was_disabled, app.logger.disabled = app.logger.disabled, False
    thread = threading.Thread(target=server.serve_forever, name="race-server", daemon=True)
    thread.start()
    try:
        live = Live(app, f"http://127.0.0.1:{server.server_port}", collector.errors)
        results = race([(Browser(live.base_url), warm_up_path, None) for _ in range(racers)])
        statuses = [getattr(r, "status", r) for r in results]
        assert statuses == [200] * racers, statuses
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.logger.removeHandler(collector)
        app.logger.disabled = was_disabled
