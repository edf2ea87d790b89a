"""Factories for the tests of the lending library (items, loans, holds).

Every factory opens its own ``with app.app_context():``, commits, and returns a
detached object (its columns loaded), like ``tests/conftest.py``'s factories.

- ``site``: the site items belong to (Europe/Paris).
- ``create_item(on_site=None, **fields)``: an available item with a unique code
  ``T-0001``…, lent for 14 days, renewable once, lent to everyone.
- ``borrower``: a member with an active membership (English), the usual borrower;
  ``create_borrower(tariff=None, **fields)`` makes more of them.
- ``create_organisation(name=None, members=())``: an organisation and its members.
- ``insert_loan(item, member, due_on=None, **fields)``: an open loan written
  directly (the item set on loan), bypassing the service's rules.
- ``insert_hold(item, member, status="waiting", **fields)``: a hold written directly.
- ``run(fn, **objects)``: a service called as a view would (tests/support/db_helpers).
- ``check_out_as(staff, member, item, organisation=None)``: ``loans.services.check_out``
  through ``run``.
- ``db_state()``: the number of rows of every table (a refusal leaves it unchanged).
- ``item_row(item)``, ``loans_of(item)``, ``holds_of(item)``: what the database holds now.

Helpers to import: ``PARIS``, ``local_day``.
"""

from __future__ import annotations

import functools
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.db_helpers import PARIS, local_day, row_counts, save  # noqa: F401
from tests.support.db_helpers import run  # noqa: F401  (the fixture, shared)

_counter = itertools.count(1)


@pytest.fixture
def site(create_site):
    return create_site()


@pytest.fixture
def create_item(app, site):
    from fablab.loans.models import Item

    def factory(on_site=None, **fields):
        n = next(_counter)
        values = {"code": f"T-{n:04d}", "name": f"Perceuse {n}", "category": "Outillage",
                  "description": "Une perceuse sans fil.", "loan_days": 14, "max_renewals": 1,
                  "deposit_cents": 0, "value_cents": 8000, "status": "available",
                  "lendable_to": "all"}
        values.update(fields)
        with app.app_context():
            return save(Item(site_id=(on_site or site).id, **values))

    return factory


@pytest.fixture
def create_borrower(create_member, create_membership, create_tariff):
    def factory(tariff=None, **fields):
        fields.setdefault("locale", "en")
        member = create_member(**fields)
        create_membership(member, tariff=tariff or create_tariff())
        return member

    return factory


@pytest.fixture
def borrower(create_borrower):
    return create_borrower(name="Bea Borrower", email="bea@example.org")


@pytest.fixture
def create_organisation(app):
    from fablab.accounts.models import Organisation, OrganisationMember

    def factory(name=None, members=()):
        n = next(_counter)
        with app.app_context():
            organisation = Organisation(name=name or f"Association {n}", kind="association")
            from fablab.extensions import db as _db

            _db.session.add(organisation)
            _db.session.flush()
            for member in members:
                _db.session.add(OrganisationMember(organisation_id=organisation.id,
                                                   user_id=member.id))
            return save(organisation)

    return factory


@pytest.fixture
def insert_loan(app):
    """An open loan written straight to the database; the item goes on loan."""
    from fablab.core.timeutil import utcnow
    from fablab.extensions import db as _db
    from fablab.loans.models import Item, Loan

    def factory(item, member, due_on=None, checked_out_at=None, **fields):
        due_on = due_on or local_day(14)
        with app.app_context():
            loan = Loan(item_id=item.id, member_id=member.id, due_on=due_on,
                        checked_out_at=checked_out_at or utcnow() - timedelta(days=30),
                        **fields)
            if loan.returned_at is None:
                _db.session.get(Item, item.id).status = "on_loan"
            return save(loan)

    return factory


@pytest.fixture
def insert_hold(app):
    from fablab.core.timeutil import utcnow
    from fablab.loans.models import Hold

    def factory(item, member, status="waiting", created_at=None, **fields):
        with app.app_context():
            hold = Hold(item_id=item.id, member_id=member.id, status=status,
                        created_at=created_at or utcnow(), **fields)
            return save(hold)

    return factory


@pytest.fixture
def check_out_as(run):
    from fablab.loans.services import check_out

    def lend(staff, member, item, organisation=None):
        return run(lambda staff, member, item, organisation: check_out(
            staff, member, item, organisation), staff=staff, member=member, item=item,
            organisation=organisation)

    return lend


@pytest.fixture
def db_state(db):
    return functools.partial(row_counts, db.session)


@pytest.fixture
def item_row(db):
    from fablab.loans.models import Item

    def read(item):
        db.session.expire_all()
        return db.session.get(Item, item.id)

    return read


@pytest.fixture
def loans_of(db):
    from fablab.loans.models import Loan

    def read(item):
        db.session.expire_all()
        return db.session.scalars(select(Loan).where(Loan.item_id == item.id)
                                  .order_by(Loan.id)).all()

    return read


@pytest.fixture
def holds_of(db):
    from fablab.loans.models import Hold

    def read(item):
        db.session.expire_all()
        return db.session.scalars(select(Hold).where(Hold.item_id == item.id)
                                  .order_by(Hold.id)).all()

    return read


def days(n: int) -> timedelta:
    return timedelta(days=n)
