"""Helpers shared by the domains' forms and views."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from fablab.core.errors import DomainError


def show_error(form: FlaskForm | None, error: DomainError) -> None:
    """Put a service's refusal next to its field, or at the top of the page."""
    if form is not None and error.field and error.field in form._fields:
        field = form._fields[error.field]
        field.errors = [*list(field.errors or []), error.message]
    else:
        flash(error.message, "danger")


def flash_form_errors(form: FlaskForm) -> None:
    """For small forms posted from another page: say what was wrong there."""
    for field in form:
        for message in field.errors:
            flash(f"{field.label.text}: {message}", "danger")
