"""The scan station through HTTP, as staff: a member card then items (check-out),
an item on loan (check-in), the receipt, and every kind of bad scan answered with
a clear message and nothing changed."""

from __future__ import annotations

import html
import re

import pytest

from tests.loans.conftest import local_day

BASE_URL = "http://localhost"


class Station:
    """One staff member's scan station: it carries the hidden fields (borrower,
    loans of the session) from one answer to the next, as the page's form does."""

    def __init__(self, client):
        self.client = client
        self.state = {"borrower_id": "", "loan_ids": ""}
        self.page = ""
        self._read_hidden(client.get("/desk/scan").get_data(as_text=True))

    def _read_hidden(self, page: str) -> None:
        """The hidden fields of the scan form (borrower, loans of the session…)."""
        start = page.index('id="scan-form"')
        form = page[start:page.index("</form>", start)]
        self.state = {name: html.unescape(value) for name, value in re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)"', form) if name != "csrf_token"}

    def scan(self, code: str) -> str:
        response = self.client.post("/desk/scan", data={**self.state, "code": code})
        assert response.status_code == 200, response.status_code
        body = response.get_data(as_text=True)
        self.page = html.unescape(body)
        self._read_hidden(body)
        return self.page

    @property
    def result(self) -> str:
        match = re.search(r'class="alert [^"]*scan-result scan-(ok|error)"[^>]*>(.*?)</div>',
                          self.page, re.S)
        assert match, "no scan result on the page"
        return match.group(1) + ": " + re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ",
                                                              match.group(2))).strip()

    def finish(self):
        return self.client.post("/desk/scan/finish", data=self.state)


@pytest.fixture
def station(desk_client):
    return Station(desk_client)


def test_the_station_page(desk_client):
    response = desk_client.get("/desk/scan")
    assert response.status_code == 200
    assert 'id="code"' in response.get_data(as_text=True)


def test_member_card_then_two_items(station, borrower, create_item, loans_of, item_row, outbox):
    drill = create_item(code="OBJ-0001", name="Perceuse", loan_days=14)
    camera = create_item(code="OBJ-0002", name="Caméra", loan_days=7)

    station.scan(borrower.card_code)
    assert station.result.startswith("ok: ✔ Lending to Bea Borrower")
    assert station.state["borrower_id"] == str(borrower.id)

    station.scan("OBJ-0001")
    assert station.result.startswith("ok: ✔ OBJ-0001 — Perceuse lent until")
    station.scan(f"{BASE_URL}/q/OBJ-0002")  # what a scanner types for a QR code
    assert station.result.startswith("ok: ✔ OBJ-0002 — Caméra lent until")

    [drill_loan], [camera_loan] = loans_of(drill), loans_of(camera)
    assert drill_loan.member_id == camera_loan.member_id == borrower.id
    assert drill_loan.due_on == local_day(14) and camera_loan.due_on == local_day(7)
    assert item_row(drill).status == item_row(camera).status == "on_loan"
    assert station.state["loan_ids"] == f"{drill_loan.id},{camera_loan.id}"
    session = station.page[station.page.index("session-loans"):]
    assert "OBJ-0001" in session and "OBJ-0002" in session
    assert outbox("loan.receipt") == []  # not before the desk is done

    response = station.finish()
    assert response.status_code == 302
    [receipt] = outbox("loan.receipt")
    assert receipt.recipient == "bea@example.org"
    body = receipt.body
    assert "Perceuse (OBJ-0001)" in body and "Caméra (OBJ-0002)" in body
    from flask_babel import format_date

    with station.client.application.test_request_context(headers={"Accept-Language": "en"}):
        for loan in (drill_loan, camera_loan):
            assert format_date(loan.due_on, "full") in body


def test_scanning_the_next_member_sends_the_previous_one_their_receipt(
        station, borrower, create_borrower, create_item, outbox):
    create_item(code="OBJ-0003", name="Ponceuse")
    other = create_borrower(name="Nina Next", email="nina@example.org")
    station.scan(borrower.card_code)
    station.scan("OBJ-0003")
    station.scan(other.card_code)
    assert station.result.startswith("ok: ✔ Lending to Nina Next")
    assert station.state["loan_ids"] == ""
    [receipt] = outbox("loan.receipt")
    assert receipt.recipient == "bea@example.org" and "OBJ-0003" in receipt.body


def test_an_item_on_loan_is_checked_in(station, borrower, create_item, insert_loan, loans_of,
                                       item_row):
    item = create_item(code="OBJ-0010", name="Scie", deposit_cents=3000)
    insert_loan(item, borrower, deposit_cents=3000)
    station.scan("OBJ-0010")
    assert station.result.startswith("ok: ✔ OBJ-0010 — Scie is back.")
    assert "Give back the deposit of" in station.result
    [loan] = loans_of(item)
    assert loan.returned_at is not None and loan.deposit_returned_at is not None
    assert item_row(item).status == "available"
    assert "How did OBJ-0010 come back?" in station.page


def test_an_item_lent_by_another_desk_since_the_last_answer_is_refused(
        station, borrower, create_borrower, create_item, insert_loan, loans_of, db_state):
    from fablab.core.timeutil import utcnow

    item = create_item(code="OBJ-0013")
    station.scan(borrower.card_code)
    # Meanwhile another desk lends it: this station's scan is a check-out, not a return.
    insert_loan(item, create_borrower(), checked_out_at=utcnow())
    before = db_state()
    station.scan("OBJ-0013")
    assert station.result == "error: ✖ OBJ-0013 is already on loan."
    assert db_state() == before
    assert [loan.returned_at for loan in loans_of(item)] == [None]


def test_check_in_with_a_hold_says_so(station, borrower, create_borrower, create_item,
                                      insert_loan, insert_hold, holds_of, item_row, outbox):
    item = create_item(code="OBJ-0011", name="Projecteur")
    insert_loan(item, borrower)
    waiting = create_borrower(name="Wanda Waiting", email="wanda@example.org")
    insert_hold(item, waiting)
    station.scan("OBJ-0011")
    assert station.result.startswith("ok: ✔ OBJ-0011 — Projecteur is back.")
    assert "it is kept for Wanda Waiting until" in station.result
    assert [h.status for h in holds_of(item)] == ["ready"]
    assert item_row(item).status == "held"
    assert [m.recipient for m in outbox("loan.hold_ready")] == ["wanda@example.org"]


def test_record_the_return_with_damage(app, desk_client, station, borrower, create_item,
                                       insert_loan, loans_of, item_row):
    from fablab.loans.models import ItemCondition
    from tests.support.db_helpers import save

    with app.app_context():
        cracked = save(ItemCondition(name="Fêlé", position=1))
    item = create_item(code="OBJ-0012")
    insert_loan(item, borrower)
    station.scan("OBJ-0012")
    [loan] = loans_of(item)
    response = desk_client.post(f"/desk/loans/{loan.id}/return",
                                data={"condition_id": cracked.id, "damaged": "y",
                                      "note": "Boîtier fendu"})
    assert response.status_code == 302
    row = item_row(item)
    assert row.status == "maintenance" and row.condition_id == cracked.id
    assert loans_of(item)[0].return_note == "Boîtier fendu"


@pytest.mark.parametrize(("scanned", "message"), [
    ("OBJ-9999", "Unknown code: OBJ-9999."),
    ("http://x/other", "This link is not one of the lab's codes."),
    ("OBJ 12; DROP", "“OBJ 12; DROP” is not a code of the lab."),
    ("", None),  # refused by the browser (required); the server says so too
])
def test_bad_scans_change_nothing(station, borrower, create_item, db_state, scanned, message):
    create_item(code="OBJ-0020")
    station.scan(borrower.card_code)
    before = db_state()
    station.scan(scanned)
    assert station.result.startswith("error: ✖ ")
    if message:
        assert station.result == f"error: ✖ {message}"
    assert db_state() == before
    assert station.state["borrower_id"] == str(borrower.id)  # the session goes on


def test_an_item_with_no_member_first(station, create_item, db_state, item_row):
    item = create_item(code="OBJ-0021")
    before = db_state()
    station.scan("OBJ-0021")
    assert station.result == "error: ✖ Scan a member card first, then the items to lend."
    assert db_state() == before and item_row(item).status == "available"


def test_a_machine_code(station, borrower, machine, db_state):
    station.scan(borrower.card_code)
    before = db_state()
    station.scan(machine.slug)
    assert station.result == ("error: ✖ Découpeuse laser is a machine, not an item of the "
                              "lending library.")
    assert db_state() == before


def test_a_retired_item(station, borrower, create_item, db_state):
    create_item(code="OBJ-0022", status="retired", status_reason="perdu")
    station.scan(borrower.card_code)
    before = db_state()
    station.scan("OBJ-0022")
    assert station.result == "error: ✖ OBJ-0022 is retired: it cannot be lent."
    assert db_state() == before


def test_a_refused_check_out_shows_the_reason(station, create_member, create_item, db_state):
    lapsed = create_member(name="Leo Lapsed", locale="en")
    create_item(code="OBJ-0023")
    station.scan(lapsed.card_code)
    assert "No active membership" in station.result
    before = db_state()
    station.scan("OBJ-0023")
    assert station.result == "error: ✖ Leo Lapsed has no active membership."
    assert db_state() == before


def test_members_may_not_use_the_station(login_as, borrower, create_item, db_state):
    create_item(code="OBJ-0024")
    client = login_as(borrower)
    before = db_state()
    assert client.post("/desk/scan", data={"code": "OBJ-0024",
                                           "borrower_id": borrower.id}).status_code == 403
    assert db_state() == before
