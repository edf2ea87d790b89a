"""commit_or_refuse() (fablab/core/forms.py): a service call's work is committed and its
success flashed, or rolled back and its refusal flashed (or handed to ``refused``)."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from sqlalchemy import func, select

from fablab.core.errors import DomainError
from fablab.core.forms import commit_or_refuse, show_error
from fablab.core.models import Site
from fablab.extensions import db as _db


def _add_site(name: str) -> Site:
    site = Site(name=name, slug=name.lower())
    _db.session.add(site)
    _db.session.flush()
    return site


def _site_names(db) -> list[str]:
    return list(db.session.scalars(select(Site.name).order_by(Site.name)))


def _refuse(name: str):
    def action():
        _add_site(name)  # written, then refused: the rollback must undo it
        raise DomainError("Refused: " + name, "name")
    return action


def test_done_is_committed_and_its_success_flashed(app, db):
    before = _site_names(db)
    with app.test_request_context("/", method="POST"):
        done = commit_or_refuse(lambda: _add_site("Atelier"),
                                lambda site: f"{site.name} is open.")
        assert done is True
        assert get_flashed_messages(with_categories=True) == [("success", "Atelier is open.")]
    # Seen from another session: the commit happened.
    assert _site_names(db) == sorted([*before, "Atelier"])


def test_refusal_is_rolled_back_and_its_message_flashed(app, db):
    before = _site_names(db)
    success_called = []
    with app.test_request_context("/", method="POST"):
        done = commit_or_refuse(_refuse("Garage"), success_called.append)
        assert done is False
        assert get_flashed_messages(with_categories=True) == [("danger", "Refused: Garage")]
        # The request's own session holds nothing of the refused work either.
        assert _db.session.scalar(
            select(func.count()).select_from(Site).where(Site.name == "Garage")) == 0
    assert success_called == []
    assert _site_names(db) == before


def test_work_done_before_the_refusal_in_the_same_transaction_is_rolled_back_too(app, db):
    before = _site_names(db)
    with app.test_request_context("/", method="POST"):
        _add_site("Cave")  # pending, not committed
        assert commit_or_refuse(_refuse("Grenier"), lambda _done: "never") is False
    assert _site_names(db) == before


def test_refused_callback_replaces_the_flash(app, db):
    before = _site_names(db)
    seen = []
    with app.test_request_context("/", method="POST"):
        def refused(error):
            # Called after the rollback: the refused row is gone from this session.
            seen.append((error.message, error.field, _db.session.scalar(
                select(func.count()).select_from(Site).where(Site.name == "Hangar"))))

        done = commit_or_refuse(_refuse("Hangar"), lambda _done: "never", refused=refused)
        assert done is False
        assert seen == [("Refused: Hangar", "name", 0)]
        assert get_flashed_messages(with_categories=True) == []
    assert _site_names(db) == before


def test_refused_with_show_error_puts_the_message_next_to_its_field(app, db):
    from flask_wtf import FlaskForm
    from wtforms import StringField

    class NameForm(FlaskForm):
        name = StringField("Name")

    with app.test_request_context("/", method="POST", data={"name": "Hangar"}):
        form = NameForm(meta={"csrf": False})
        assert commit_or_refuse(_refuse("Hangar"), lambda _done: "never",
                                refused=lambda error: show_error(form, error)) is False
        assert form.name.errors == ["Refused: Hangar"]
        assert get_flashed_messages(with_categories=True) == []


def test_refused_is_not_called_on_success(app, db):
    refusals = []
    with app.test_request_context("/", method="POST"):
        assert commit_or_refuse(lambda: _add_site("Serre"), lambda _site: "Saved.",
                                refused=refusals.append) is True
        assert get_flashed_messages(with_categories=True) == [("success", "Saved.")]
    assert refusals == []
    assert "Serre" in _site_names(db)


def test_other_errors_are_not_caught(app, db):
    before = _site_names(db)
    with app.test_request_context("/", method="POST"):
        with pytest.raises(ValueError):
            commit_or_refuse(lambda: (_add_site("Forge"), int("x")), lambda _done: "never")
        assert get_flashed_messages() == []
        _db.session.rollback()
    assert _site_names(db) == before
