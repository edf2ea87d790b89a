"""Database helpers for the factories of the test packages.

- ``PARIS`` and ``local_day(offset)``: the site's time zone and local date.
- ``detach(obj)`` / ``detach_result(result)``: load an object's columns (or
  those of every object in a tuple or list) and detach it from the session.
- ``save(obj)``: add, commit (rolling back and re-raising on error), detach.
- ``call_in_request(app, fn, **objects)``: call a service as a view would;
  the ``run`` fixture is this function bound to the test's app (import it into
  a conftest to use it).
- ``row_counts(session)``: the number of rows of every table.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from fablab.core.timeutil import local_today
from fablab.extensions import db as _db

PARIS = ZoneInfo("Europe/Paris")


def local_day(offset: int = 0) -> date:
    """The site's local date, ``offset`` days from today."""
    return local_today(PARIS) + timedelta(days=offset)


def detach(obj):
    _db.session.refresh(obj)
    _db.session.expunge(obj)
    return obj


def detach_result(result):
    if isinstance(result, _db.Model):
        return detach(result)
    if isinstance(result, tuple):
        return tuple(detach_result(item) for item in result)
    if isinstance(result, list):
        return [detach_result(item) for item in result]
    return result


def save(obj):
    """Add ``obj``, commit (on error roll back and re-raise), return it detached.
    Call inside an app context."""
    _db.session.add(obj)
    try:
        _db.session.commit()
    except Exception:
        _db.session.rollback()
        raise
    return detach(obj)


def call_in_request(app, fn, /, **objects):
    """Call a service as a view would: in a request context (English, so that
    messages can be matched), with each given detached object reloaded in the
    session under the same name; then commit. On any error roll back (nothing
    written) and re-raise. The result comes back detached."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        loaded = {name: (_db.session.get(type(obj), obj.id) if obj is not None else None)
                  for name, obj in objects.items()}
        try:
            result = fn(**loaded)
            _db.session.commit()
        except Exception:
            _db.session.rollback()
            raise
        return detach_result(result)


@pytest.fixture
def run(app):
    """Call a service as a view would: in a request context, then commit; on any
    error roll back (nothing written) and re-raise. ``run(fn, **objects)``."""
    return functools.partial(call_in_request, app)


def row_counts(session) -> dict[str, int]:
    """The number of rows of every table."""
    return {table.name: session.scalar(select(func.count()).select_from(table))
            for table in _db.metadata.sorted_tables}
