"""The report's figures are a fixed number of aggregate queries, whatever the lab holds
(the events, visits and members breakdowns are each one grouped query, summed in
Python): an empty month and the busy test month cost the same."""

from __future__ import annotations

from tests.support.query_counter import count_queries

REPORT_QUERIES = 17  # the figures' 15 aggregates (23 before they were grouped), user, sites


def _selects(statements):
    return [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def test_the_report_runs_the_same_few_queries_for_an_empty_and_a_busy_month(
        app, lab, staff_client):
    busy, page = count_queries(app, staff_client, "/reports?month=2025-03")
    empty, _page = count_queries(app, staff_client, "/reports?month=2024-03")
    assert "Visits by month" in page
    assert len(_selects(busy)) == len(_selects(empty))
    assert len(_selects(busy)) <= REPORT_QUERIES, len(_selects(busy))


def test_one_site_costs_no_more_than_every_site(app, lab, staff_client):
    every, _ = count_queries(app, staff_client, "/reports?month=2025-03")
    one, _ = count_queries(app, staff_client, f"/reports?month=2025-03&site={lab.site_a}")
    assert len(_selects(one)) <= len(_selects(every)) + 1  # + the site's own row
