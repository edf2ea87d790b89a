"""Helpers shared by the domains' forms and views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import flash, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from fablab.core.errors import DomainError
from fablab.extensions import db


def show_error(form: FlaskForm | None, error: DomainError) -> None:
    """Put a service's refusal next to its field, or at the top of the page."""
    if form is not None and error.field and error.field in form._fields:
        field = form._fields[error.field]
        field.errors = [*list(field.errors or []), error.message]
    else:
        flash(error.message, "danger")


# ISO weekday numbers, for the forms of weekly series (open slots, events).
WEEKDAYS = [(1, _l("Monday")), (2, _l("Tuesday")), (3, _l("Wednesday")), (4, _l("Thursday")),
            (5, _l("Friday")), (6, _l("Saturday")), (7, _l("Sunday"))]


def safe_next(target: str | None, fallback: str) -> str:
    """Only local paths: an open redirect would help phishing."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


MAX_ID = 2**31 - 1  # beyond any row's id; larger numbers overflow SQLite's INTEGER


def id_arg(name: str) -> int | None:
    """A row id from the query string; None when absent, malformed or out of range."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def page_arg(limit: int = 1000) -> int:
    """The ``page`` of the query string, between 1 and ``limit``."""
    return min(max(request.args.get("page", 1, type=int), 1), limit)


def commit_or_refuse(action: Callable[[], Any], success: Callable[[Any], str], *,
                     refused: Callable[[DomainError], Any] | None = None) -> bool:
    """Run the service call ``action``; commit and flash ``success(its result)``, or on a
    :class:`DomainError` roll back and flash its refusal. True when done.

    ``refused(error)``, when given, is called after the rollback instead of that flash:
    a view that shows its form again passes ``lambda error: show_error(form, error)``."""
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        if refused is None:
            flash(error.message, "danger")
        else:
            refused(error)
        return False
    db.session.commit()
    flash(success(result), "success")
    return True


def flash_form_errors(form: FlaskForm) -> None:
    """For small forms posted from another page: say what was wrong there."""
    for field in form:
        for message in field.errors:
            flash(f"{field.label.text}: {message}", "danger")


class RequeueForm(FlaskForm):
    """The "send again" button of a failed e-mail: a POST with its CSRF token."""
