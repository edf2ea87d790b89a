"""Bad periods and sites get a clear message (400), never a 500; the CSV route sends
back to the report with the message. Only staff and admins see the reports."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("query, message", [
    ("start=2025-03-31&end=2025-03-01", "The last day is before the first day."),
    ("start=2025-02-30&end=2025-03-01", "From: this date is not valid"),
    ("start=yesterday&end=2025-03-01", "From: this date is not valid"),
    ("start=0001-01-01&end=0001-01-02", "From: this date is not valid"),
    ("start=2025-01-01&end=9999-12-31", "To: this date is not valid"),
    ("start=2025-03-01", "Please give both the first and the last day."),
    ("start=2015-01-01&end=2025-01-01", "A report covers at most five years."),
    ("month=2025-13", "The month is not valid"),
    ("month=march", "The month is not valid"),
    ("year=20x5", "The year is not valid."),
    ("year=99999", "The year is not valid."),
    ("site=9999", "Unknown site."),
    ("site=abc", "Unknown site."),
    ("site=99999999999999999999", "Unknown site."),
])
def test_bad_periods_are_refused_with_a_message(staff_client, query, message):
    response = staff_client.get(f"/reports?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'role="alert"' in html


def test_five_years_exactly_is_fine(staff_client, app):
    assert staff_client.get("/reports?start=2020-01-01&end=2024-12-31").status_code == 200


def test_csv_with_a_bad_period_or_table_goes_back_to_the_report(staff_client):
    response = staff_client.get("/reports/export.csv?table=summary&start=2025-03-31&end=2025-01-01")
    assert response.status_code == 302 and response.location.endswith("/reports")
    page = staff_client.get("/reports")
    assert "The last day is before the first day." in page.get_data(as_text=True)
    response = staff_client.get("/reports/export.csv?table=nope&month=2025-03")
    assert response.status_code == 302 and "month" not in response.location
    assert "start=2025-03-01" in response.location


def test_members_may_not_see_reports(login_as, create_member, client):
    member = login_as(create_member(name="Max", email="max@example.org"))
    assert member.get("/reports").status_code == 403
    assert member.get("/reports/export.csv?table=summary").status_code == 403
    assert client.get("/reports").status_code == 302
