"""A member's loans page runs the same number of SQL queries with nothing on it and
with holds, open loans (one for an organisation) and past loans: each hold's place
in its queue used to cost a query of its own."""

from __future__ import annotations

from datetime import timedelta

from fablab.core.timeutil import utcnow
from tests.support.query_counter import count_queries


def test_my_loans_page_does_not_grow(app, login_as, create_borrower, create_item,
                                     insert_loan, insert_hold, create_organisation):
    newcomer, regular, other = create_borrower(), create_borrower(), create_borrower()
    association = create_organisation(members=[regular])
    earlier = utcnow() - timedelta(days=2)
    # three holds: first in one queue, second in two others
    for n in range(3):
        item = create_item(name=f"Perceuse {n}")
        if n:
            insert_hold(item, other, created_at=earlier)
        insert_hold(item, regular)
    insert_loan(create_item(name="Scie sauteuse"), regular)
    insert_loan(create_item(name="Ponceuse"), regular, organisation_id=association.id)
    insert_loan(create_item(name="Visseuse"), regular, returned_at=utcnow())
    empty_client, busy_client = login_as(newcomer), login_as(regular)
    empty_client.get("/account/loans")  # warm up
    empty, _ = count_queries(app, empty_client, "/account/loans")
    busy, page = count_queries(app, busy_client, "/account/loans")
    assert page.count("Number 2 in the queue") == 2
    assert page.count("Number 1 in the queue") == 1
    assert "Ponceuse" in page and "Visseuse" in page
    assert len(busy) == len(empty), "\n".join(s[:150] for s in busy)
