"""The agenda pages: list by week, week and month grids, filters, links,
translated 400s; the menu link; the account page's personal feed box."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.agenda.conftest import local_day
from tests.support.query_counter import count_queries


def monday(offset_weeks: int = 0):
    today = local_day(0)
    return today - timedelta(days=today.weekday()) + timedelta(weeks=offset_weeks)


def test_list_shows_this_weeks_events_and_slots_with_links(client, create_event, create_slot):
    day = monday(1) + timedelta(days=2)
    event = create_event(day=day, title="Atelier Arduino", audience="children")
    create_slot(day=day, start="17:00", end="21:00")
    create_event(day=monday(3), title="Plus tard")
    page = client.get(f"/agenda?week={day.isoformat()}", headers={"Accept-Language": "fr"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'href="/events/{event.slug}"' in html and "Atelier Arduino" in html
    assert "Accès libre" in html and "17:00–21:00" in html and "14:00–16:00" in html
    assert "Plus tard" not in html
    assert f"week={(monday(2)).isoformat()}" in html  # next week, filters kept
    assert 'href="webcal://localhost/agenda.ics"' in html
    assert 'value="http://localhost/agenda.ics"' in html


def test_filters_narrow_the_list_and_the_subscription(client, create_event, create_slot):
    day = monday(1)
    create_event(day=day, title="Robots", audience="children")
    create_event(day=day, title="Soudure", audience="adults")
    create_slot(day=day)
    html = client.get(f"/agenda?week={day.isoformat()}&audience=children",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Robots" in html and "Soudure" not in html
    assert 'class="agenda-title">Open lab' not in html  # slots have no audience
    assert "http://localhost/agenda.ics?audience=children" in html


def test_week_and_month_grids(client, create_event):
    day = monday(1) + timedelta(days=4)
    create_event(day=day, title="Club couture")
    week = client.get(f"/agenda/week?week={day.isoformat()}").get_data(as_text=True)
    assert week.count('<th scope="col"') == 7 and "Club couture" in week
    month = client.get(f"/agenda/month?month={day.strftime('%Y-%m')}").get_data(as_text=True)
    assert "Club couture" in month
    assert month.count("<tr>") >= 5  # a header row and at least four weeks


@pytest.mark.parametrize("url", ["/agenda?week=2026-02-31", "/agenda/week?week=soon",
                                 "/agenda/month?month=2026-13", "/agenda?kind=party",
                                 "/agenda/month?site=x", "/agenda?week=9999-01-01"])
def test_malformed_input_is_a_translated_400(client, url):
    response = client.get(url, headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<main" in html
    assert any(word in html for word in ("AAAA", "inconnu", "numéro", "trop loin")), html[-800:]


def test_page_query_counts_do_not_grow(app, client, create_event, create_slot):
    days = iter(range(0, 6))
    target = monday(1)

    def add(n):
        for _ in range(n):
            day = target + timedelta(days=next(days))
            create_event(day=day)
            create_slot(day=day)

    add(1)
    urls = [f"/agenda?week={target}", f"/agenda/week?week={target}",
            f"/agenda/month?month={target.strftime('%Y-%m')}"]
    few = [len(count_queries(app, client, url)[0]) for url in urls]
    add(5)
    assert [len(count_queries(app, client, url)[0]) for url in urls] == few


def test_main_menu_links_to_the_agenda(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/agenda"' in html


def test_account_page_creates_shows_and_regenerates_the_feed(app, member_client, member):
    from fablab.agenda.models import CalendarFeed
    from fablab.extensions import db

    html = member_client.get("/account").get_data(as_text=True)
    assert 'action="/account/calendar"' in html and "/calendar/" not in html
    assert member_client.post("/account/calendar").status_code == 302
    with app.app_context():
        first = db.session.scalar(db.select(CalendarFeed.token))
    html = member_client.get("/account").get_data(as_text=True)
    assert f"http://localhost/calendar/{first}.ics" in html
    assert f"webcal://localhost/calendar/{first}.ics" in html
    assert 'data-copy="personal-feed-url"' in html
    member_client.post("/account/calendar")
    with app.app_context():
        tokens = db.session.scalars(db.select(CalendarFeed.token)).all()
    assert len(tokens) == 1 and tokens[0] != first


def test_demo_members_have_working_feeds(app, create_member, create_event,
                                        insert_registration):
    """fablab/demo.py calls load_agenda_demo: every active account gets its address."""
    from sqlalchemy import select

    from fablab.agenda.demo import load_agenda_demo
    from fablab.agenda.models import CalendarFeed
    from fablab.extensions import db

    member = create_member(email="member@example.org")
    create_member(role="staff")
    create_member(active=False)
    insert_registration(create_event(title="Atelier démo"), member)
    with app.test_request_context():
        assert load_agenda_demo() == 2
        assert load_agenda_demo() == 0  # idempotent
        db.session.commit()
        token = db.session.scalar(select(CalendarFeed.token).where(
            CalendarFeed.user_id == member.id))
    response = app.test_client().get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and "Atelier démo" in response.get_data(as_text=True)
