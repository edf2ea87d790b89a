"""Two staff members check out the same item at the same instant, at two scan
stations, through real HTTP requests on a live server: one loan, one clear
refusal, no server error, on SQLite and on PostgreSQL."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from tests.support.live_server import Browser, live_server, log_in, race

PASSWORD = "race-condition-pw-42"
ROUNDS = 5


@pytest.fixture
def _live(make_app):
    with live_server(make_app, racers=2, warm_up_path="/items") as live:
        yield live


def test_two_desks_lend_the_same_item_at_once(_live, db, create_member, create_borrower,
                                             create_item):
    from fablab.loans.models import Loan

    desks = []
    for i in range(2):
        staff = create_member(name=f"Desk {i}", email=f"desk{i}@example.org", role="staff",
                              password=PASSWORD, locale="en")
        browser = Browser(_live.base_url)
        log_in(browser, staff.email, PASSWORD)
        desks.append(browser)
    members = [create_borrower(name=f"Racer {i}", email=f"racer{i}@example.org")
               for i in range(2)]
    items = [create_item(code=f"RACE-{n}", name=f"Perceuse {n}") for n in range(ROUNDS)]

    for item in items:
        # Each station's page, as open in front of the staff before the scan: the
        # form sends back its hidden fields (the moment of its last answer among them).
        forms = []
        for i, browser in enumerate(desks):
            page = browser.get("/desk/scan")
            assert page.status == 200
            form = page.body[page.body.index('id="scan-form"'):]
            hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
            hidden.pop("csrf_token", None)
            forms.append({**hidden, "code": item.code, "borrower_id": members[i].id,
                          "loan_ids": ""})
        results = race([(desks[i], "/desk/scan", forms[i]) for i in range(2)])
        assert all(not isinstance(r, BaseException) for r in results), results
        assert [r.status for r in results] == [200, 200], [r.status for r in results]
        assert _live.errors == []

        db.session.expire_all()
        loans = db.session.scalars(select(Loan).where(Loan.item_id == item.id)).all()
        assert len(loans) == 1, [(loan.member_id, loan.returned_at) for loan in loans]
        [loan] = loans
        assert loan.returned_at is None, "the loser checked the item back in"
        winner = members.index(next(m for m in members if m.id == loan.member_id))
        pages = [html.unescape(r.body) for r in results]
        assert "scan-ok" in pages[winner] and f"{item.code} — {item.name} lent until" in \
            pages[winner]
        loser = pages[1 - winner]
        assert "scan-error" in loser and f"{item.code} is already on loan." in loser


def test_two_desks_scan_the_same_member_card_at_once(_live, db, create_member, create_borrower,
                                                     create_site):
    """Both scans succeed; the member's visit of the day is counted once."""
    from fablab.desk.models import Visit

    create_site(name="Atelier course")
    desks = []
    for i in range(2):
        staff = create_member(name=f"Visit desk {i}", email=f"vdesk{i}@example.org",
                              role="staff", password=PASSWORD, locale="en")
        browser = Browser(_live.base_url)
        log_in(browser, staff.email, PASSWORD)
        desks.append(browser)
    for n in range(ROUNDS):
        member = create_borrower(name=f"Visitor {n}", email=f"visitor{n}@example.org")
        results = race([(desk, "/desk/scan", {"code": member.card_code, "borrower_id": "",
                                              "loan_ids": ""}) for desk in desks])
        assert [getattr(r, "status", r) for r in results] == [200, 200]
        assert all("scan-ok" in r.body for r in results)
        assert _live.errors == []
        db.session.expire_all()
        count = db.session.scalar(select(func.count(Visit.id)).where(Visit.member_id == member.id))
        assert count == 1
