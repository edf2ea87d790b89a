"""Polls of the public feed answered before Flask.

A calendar application asks for ``/agenda.ics`` every few minutes with the ETag it
holds; nearly every answer is a 304 and most of its cost was Flask's own request
handling (context, session, locale, hooks). This WSGI middleware remembers, per
worker, the 304 that Flask last gave to the same request and gives it again while the
public validator's row that answer came from is still the worker's current row
(``cache.RecentRow``: reused for at most ``AGENDA_VALIDATOR_TTL``, forgotten at once
when this process commits a change to events, open slots or sites). So the answer is
never staler than the one Flask itself would give.

Only requests whose answer depends on nothing but their path, query string, language
and host are remembered: GET, with ``If-None-Match``, without cookies or credentials
(a cookie may carry a session, a chosen language, a log-in). The view marks which
answers may be remembered (``remember``): public feeds only, never a private one.
"""

from __future__ import annotations

from werkzeug.http import parse_etags, quote_etag

from fablab.agenda.cache import Rendered, RecentRow

_MARK = "fablab.agenda.poll"  # environ key: (recent row holder, row, etag)


def remember(environ: dict, recent: RecentRow, row: tuple | None, etag: str) -> None:
    """Called by a public feed's view: its answer to this request may be remembered."""
    if row is not None:
        environ[_MARK] = (recent, row, etag)


def _key(environ: dict) -> tuple | None:
    if (environ.get("REQUEST_METHOD") != "GET" or "HTTP_IF_NONE_MATCH" not in environ
            or "HTTP_COOKIE" in environ or "HTTP_AUTHORIZATION" in environ):
        return None
    return (environ.get("PATH_INFO"), environ.get("QUERY_STRING"),
            environ.get("HTTP_ACCEPT_LANGUAGE"), environ.get("HTTP_HOST"),
            environ.get("wsgi.url_scheme"))


def _matches(header: str, quoted: str, etag: str) -> bool:
    # A calendar application sends back exactly the ETag it was given.
    return header == quoted or parse_etags(header).contains_weak(etag)


class FeedPolls:
    def __init__(self, wsgi_app, size: int = 256) -> None:
        self.wsgi_app = wsgi_app
        self._answers = Rendered(size)  # key -> (recent, row, etag, quoted etag, headers)

    def __call__(self, environ, start_response):
        key = _key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        answer = self._answers.get(key)
        if answer is not None:
            recent, row, etag, quoted, headers = answer
            if recent.current() is row and _matches(environ["HTTP_IF_NONE_MATCH"], quoted, etag):
                start_response("304 NOT MODIFIED", list(headers))
                return []

        def start_and_remember(status: str, headers: list, exc_info=None):
            mark = environ.get(_MARK)
            if mark is not None and status.startswith("304"):
                recent, row, etag = mark
                self._answers.put(key, (recent, row, etag, quote_etag(etag), tuple(headers)))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_and_remember)
