"""A scan, the catalogue and the loan pages run a fixed number of SQL queries,
whatever the size of the catalogue and of the loan history (no N+1).

Each request is counted with 5 items and a short history, then again with 60
items (some on loan, some retired, in several categories) and a long history
(400 returned loans, spread over the items and several members, the scanned
member's among them, and the item events that go with them): the counts must
be equal.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, select

from fablab.extensions import db as _db
from tests.loans.conftest import local_day
from tests.support.query_counter import count_queries

FEW, MANY = 5, 60
HISTORY = 400
CATEGORIES = ["Outillage", "Photo", "Robotique", "Couture", "Informatique"]


def count_post(app, client, url: str, data: dict) -> tuple[list[str], str]:
    """The SQL statements the app runs while answering a POST (this thread only)."""
    with app.app_context():
        engine = _db.engine
    statements: list[str] = []
    here = threading.get_ident()

    def count(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == here:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.post(url, data=data)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (url, response.status_code)
    return statements, response.get_data(as_text=True)


def _normalise(statement: str) -> str:
    return re.sub(r"\s+", " ", statement).strip()[:160]


def assert_same(name: str, few: list[str], many: list[str]) -> None:
    if len(few) != len(many):
        before, after = Counter(map(_normalise, few)), Counter(map(_normalise, many))
        details = [f"  +{n}: {sql}" for sql, n in (after - before).most_common(10)]
        details += [f"  -{n}: {sql}" for sql, n in (before - after).most_common(10)]
        pytest.fail(f"{name}: {len(few)} queries with the small library, {len(many)} with the "
                    "large one; the statements that differ:\n" + "\n".join(details))


class Library:
    def __init__(self, db, site, members):
        self.db, self.site, self.members = db, site, members
        self.items = 0

    def add_items(self, up_to: int) -> None:
        """Items OBJ-0001… up to ``up_to``; 1 in 4 on loan to someone other than the
        first member, 1 in 9 retired, 1 in 11 in maintenance (never the first 3)."""
        from fablab.loans.models import Item, ItemEvent, Loan

        for n in range(self.items + 1, up_to + 1):
            status = "available"
            if n > 3 and n % 4 == 0:
                status = "on_loan"
            elif n > 3 and n % 9 == 0:
                status = "retired"
            elif n > 3 and n % 11 == 0:
                status = "maintenance"
            item = Item(code=f"OBJ-{n:04d}", site_id=self.site.id, name=f"Objet {n}",
                        category=CATEGORIES[n % len(CATEGORIES)], status=status,
                        status_reason="" if status in ("available", "on_loan") else "test",
                        deposit_cents=1000 * (n % 3))
            self.db.session.add(item)
            self.db.session.flush()
            self.db.session.add(ItemEvent(item_id=item.id, kind="created"))
            if status == "on_loan":
                member = self.members[1 + n % (len(self.members) - 1)]
                self.db.session.add(Loan(item_id=item.id, member_id=member.id,
                                         due_on=local_day(n % 20 - 3)))
        self.db.session.commit()
        self.items = up_to

    def add_history(self, count: int) -> None:
        """Returned loans, 1 in 3 the first member's, with their history lines."""
        from fablab.core.timeutil import utcnow
        from fablab.loans.models import Item, ItemEvent, Loan

        item_ids = self.db.session.scalars(select(Item.id).order_by(Item.id)).all()
        now = utcnow()
        rows = []
        for i in range(count):
            start = now - timedelta(days=400 - i % 390)
            rows.append({"item_id": item_ids[i % len(item_ids)],
                         "member_id": self.members[0 if i % 3 == 0 else 1 + i % 4].id,
                         "checked_out_at": start, "due_on": (start + timedelta(days=14)).date(),
                         "returned_at": start + timedelta(days=10), "deposit_cents": 0,
                         "renewals": 0, "notices_sent": 0, "return_note": ""})
        self.db.session.execute(insert(Loan), rows)
        events = [{"item_id": row["item_id"], "kind": kind, "at": row["checked_out_at"],
                   "status": "", "note": ""}
                  for row in rows for kind in ("checked_out", "checked_in")]
        self.db.session.execute(insert(ItemEvent), events)
        self.db.session.commit()
        assert self.db.session.scalar(select(func.count(Loan.id)).where(
            Loan.returned_at.is_not(None))) >= count


@pytest.fixture
def library(db, site, create_borrower, create_tariff):
    tariff = create_tariff()
    members = [create_borrower(name=f"Counted {i}", tariff=tariff) for i in range(5)]
    lib = Library(db, site, members)
    lib.add_items(FEW)
    lib.add_history(10)
    return lib


def scan_data(member, code: str) -> dict:
    return {"code": code, "borrower_id": member.id, "loan_ids": ""}


def test_a_check_out_scan_does_not_grow(app, desk_client, library):
    member = library.members[0]
    count_post(app, desk_client, "/desk/scan", scan_data(member, "OBJ-0001"))  # warm-up
    few, page_few = count_post(app, desk_client, "/desk/scan", scan_data(member, "OBJ-0002"))
    assert "OBJ-0002" in page_few and "lent until" in page_few

    library.add_items(MANY)
    library.add_history(HISTORY)
    many, page_many = count_post(app, desk_client, "/desk/scan", scan_data(member, "OBJ-0003"))
    assert "OBJ-0003" in page_many and "lent until" in page_many
    assert_same("check-out scan", few, many)


def test_a_check_in_scan_does_not_grow(app, desk_client, library, insert_loan, db):
    from fablab.loans.models import Item

    member = library.members[0]
    for code in ("OBJ-0001", "OBJ-0002", "OBJ-0003"):
        item = db.session.scalar(select(Item).where(Item.code == code))
        insert_loan(item, member)
    count_post(app, desk_client, "/desk/scan", scan_data(member, "OBJ-0001"))  # warm-up
    few, page_few = count_post(app, desk_client, "/desk/scan", scan_data(member, "OBJ-0002"))
    assert "is back" in page_few

    library.add_items(MANY)
    library.add_history(HISTORY)
    many, page_many = count_post(app, desk_client, "/desk/scan", scan_data(member, "OBJ-0003"))
    assert "is back" in page_many
    assert_same("check-in scan", few, many)


def test_a_member_card_scan_does_not_grow(app, desk_client, library):
    member = library.members[0]
    count_post(app, desk_client, "/desk/scan", scan_data(member, member.card_code))
    few, _ = count_post(app, desk_client, "/desk/scan", scan_data(member, member.card_code))
    library.add_items(MANY)
    library.add_history(HISTORY)
    many, _ = count_post(app, desk_client, "/desk/scan", scan_data(member, member.card_code))
    assert_same("member card scan", few, many)


PAGES = {
    "catalogue-anonymous": (None, "/items"),
    "catalogue-staff": ("staff", "/items"),
    "catalogue-category": (None, "/items?category=Photo"),
    "item-staff": ("staff", "/items/OBJ-0001"),
    "item-anonymous": (None, "/items/OBJ-0001"),
    "my-loans": ("member", "/account/loans"),
    "loans-overview": ("staff", "/loans"),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_pages_do_not_grow(app, page, library, login_as, desk):
    who, url = PAGES[page]
    client = {"staff": lambda: login_as(desk), "member": lambda: login_as(library.members[0]),
              None: app.test_client}[who]()
    count_queries(app, client, url)  # warm-up
    few, page_few = count_queries(app, client, url)
    library.add_items(MANY)
    library.add_history(HISTORY)
    many, page_many = count_queries(app, client, url)
    if page.startswith("catalogue"):
        assert page_many.count("/items/OBJ-") > page_few.count("/items/OBJ-")
    assert_same(page, few, many)
