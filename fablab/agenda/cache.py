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
import time
import weakref
from collections import OrderedDict

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

CSRF_MARK = "csrf-mark-" + secrets.token_hex(16)
_clock = time.monotonic  # a name of its own, for the tests


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


class RecentRow:
    """The public validator's row, reused by a worker for ``ttl`` seconds.

    Every anonymous agenda page and every feed poll needs it; asking the database
    each time made a 304 cost three times a bare request. A change made through
    this process forgets the row at once (``_forget_on_commit``); a change made by
    another worker or server is seen within ``ttl`` (a second by default).
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._row: tuple | None = None
        self._at = 0.0
        self._forgotten = 0  # counts forget() calls
        self._lock = threading.Lock()
        _ROWS.add(self)

    def get(self, compute) -> tuple:
        started = _clock()
        with self._lock:
            if self._row is not None and started - self._at < self.ttl:
                return self._row
            forgotten = self._forgotten
        row = compute()
        with self._lock:
            # Dated from before the query: the row is at most ``ttl`` older than the data.
            # Not kept if a commit made it forget while the query ran (it may predate it).
            if forgotten == self._forgotten:
                self._row, self._at = row, started
        return row

    def current(self) -> tuple | None:
        """The row if it is still to be reused, without computing one."""
        with self._lock:
            if self._row is not None and _clock() - self._at < self.ttl:
                return self._row
            return None

    def forget(self) -> None:
        with self._lock:
            self._row = None
            self._forgotten += 1


_ROWS: weakref.WeakSet[RecentRow] = weakref.WeakSet()  # every app's, in this process


def public_row() -> RecentRow:
    row = current_app.extensions.get("agenda_public_row")
    if row is None:
        row = current_app.extensions.setdefault(
            "agenda_public_row", RecentRow(current_app.config.get("AGENDA_VALIDATOR_TTL", 1.0)))
    return row


# What the public validator counts: a flush touching one of these tables makes the
# worker forget its row once the transaction commits.
_PUBLIC_TABLES = frozenset({"events", "open_slots", "sites"})


def _touches_public(instances) -> bool:
    return any(getattr(getattr(type(obj), "__table__", None), "name", None) in _PUBLIC_TABLES
               for obj in instances)


@event.listens_for(Session, "after_flush")
def _note_public_change(session, _flush_context) -> None:
    if _touches_public(session.new) or _touches_public(session.dirty) or \
            _touches_public(session.deleted):
        session.info["agenda_public_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_public_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _PUBLIC_TABLES:
            state.session.info["agenda_public_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_on_commit(session) -> None:
    if session.info.pop("agenda_public_changed", False):
        for row in list(_ROWS):
            row.forget()


@event.listens_for(Session, "after_rollback")
def _drop_note(session) -> None:
    session.info.pop("agenda_public_changed", None)


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
