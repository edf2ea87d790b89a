"""Numbers in the query string too large for any row id or page: a normal answer, never a 500
(SQLite refuses integers beyond 64 bits with an OverflowError)."""

import pytest

HUGE = "99999999999999999999"


@pytest.mark.parametrize("path,who", [
    ("/machines", None), ("/events", None), ("/items", None), ("/projects", None),
    ("/members", "staff"), ("/bookings/day", "staff"), ("/desk", "staff"),
    ("/admin/audit", "admin"), ("/admin/outbox", "admin"),
])
def test_oversized_site_and_page_are_ignored(client, staff_client, admin_client, path, who):
    browser = {"staff": staff_client, "admin": admin_client}.get(who, client)
    response = browser.get(path, query_string={"site": HUGE, "page": HUGE})
    assert response.status_code < 500, (path, response.status_code)
