"""The account page runs the same number of SQL queries for a newcomer and for a
member with organisations and a membership history over several tariffs (each
organisation and each tariff used to be loaded on its own)."""

from __future__ import annotations

from datetime import timedelta

from fablab.core.timeutil import local_today
from tests.support.query_counter import count_queries


def test_account_page_does_not_grow(app, login_as, create_member, create_membership,
                                    create_tariff):
    from fablab.accounts.models import Organisation, OrganisationMember
    from fablab.extensions import db

    newcomer, regular = create_member(), create_member()
    today = local_today()
    for year in range(3):
        create_membership(regular, tariff=create_tariff(name=f"Tarif {year}"),
                          starts_on=today - timedelta(days=365 * year + 30),
                          ends_on=today - timedelta(days=365 * year - 334))  # consecutive
    with app.app_context():
        for n in range(3):
            organisation = Organisation(name=f"Association {n}", kind="association")
            db.session.add(organisation)
            db.session.flush()
            db.session.add(OrganisationMember(organisation_id=organisation.id,
                                              user_id=regular.id, is_responsible=n == 0))
        db.session.commit()
    empty_client, busy_client = login_as(newcomer), login_as(regular)
    empty_client.get("/account")  # warm up
    empty, _ = count_queries(app, empty_client, "/account")
    busy, page = count_queries(app, busy_client, "/account")
    assert all(f"Association {n}" in page for n in range(3))
    assert all(f"Tarif {year}" in page for year in range(3))
    assert len(busy) == len(empty)
