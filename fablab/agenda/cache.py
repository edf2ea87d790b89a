"""Rendered public agenda pages and feeds, kept in memory and keyed by their
validator's ETag (``services.public_validator``, ``machine_validator``).

The validator is one cheap aggregate query that changes whenever what the page or
feed shows changes (events, open slots, sites, the day, the language), so a cached
copy is never served stale: a change gives a new ETag and a new entry, and old
entries fall out of the small LRU. Each app (each gunicorn worker) has its own
cache in ``app.extensions``; nothing is shared and nothing needs invalidating.

Only what anonymous visitors see is cached: never a page of a logged-in user, never
a private feed. A page's CSRF token (the language switch) is per session, so the
page is rendered with a marker in its place and the visitor's own token is put in
on the way out.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

from flask import current_app

CSRF_MARK = "csrf-mark-" + secrets.token_hex(16)


class Rendered:
    """A small thread-safe LRU of rendered bodies."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def _caches() -> dict[str, Rendered]:
    caches = current_app.extensions.get("agenda_rendered")
    if caches is None:
        # pages are ~50 KB (list, week, month × filters × 2 languages); a year's public
        # feed of a town's network is a few MB, so fewer of those
        caches = current_app.extensions.setdefault(
            "agenda_rendered", {"pages": Rendered(64), "feeds": Rendered(8)})
    return caches


def pages() -> Rendered:
    return _caches()["pages"]


def feeds() -> Rendered:
    return _caches()["feeds"]


def enabled() -> bool:
    return current_app.config.get("AGENDA_RENDERED_CACHE", True)
