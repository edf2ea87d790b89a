"""Helpers shared by the domains' forms and views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, request
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


def with_price_fields(form_class, tariffs, label):
    """A form class with one optional ``price_<tariff id>`` field per tariff;
    ``label(tariff_name)`` gives each field's label."""
    from flask_babel import lazy_gettext as _l
    from wtforms import DecimalField
    from wtforms.validators import NumberRange, Optional

    from fablab.memberships.services import tariff_label

    class WithPrices(form_class):
        pass

    for tariff in tariffs:
        setattr(WithPrices, f"price_{tariff.id}", DecimalField(
            label(tariff_label(tariff)), places=2,
            validators=[Optional(), NumberRange(min=0, message=_l("A price cannot be negative."))],
            description=_l("Leave empty if it is free for this tariff.")))
    return WithPrices


def price_data(form, tariffs) -> dict[int, int | None]:
    """The prices typed in a form built by :func:`with_price_fields`, in cents."""
    prices = {}
    for tariff in tariffs:
        value = getattr(form, f"price_{tariff.id}").data
        prices[tariff.id] = None if value is None else int(value * 100)
    return prices


class RequeueForm(FlaskForm):
    """The "send again" button of a failed e-mail: a POST with its CSRF token."""
