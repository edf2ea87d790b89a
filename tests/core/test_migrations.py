"""The schema comes from the migrations, and the models agree with it."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from fablab import create_app
from tests.conftest import base_config


def include_object(obj, name, type_, reflected, compare_to):
    """As in migrations/env.py: the projects' full-text search objects (SQLite FTS5
    tables, a PostgreSQL GIN expression index) are made by the migration, not the models."""
    if type_ == "table" and name and name.startswith("projects_fts"):
        return False
    return not (type_ == "index" and name == "ix_projects_search")


def test_models_and_migrations_agree(app):
    from fablab.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_go_down_and_up_again(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'roundtrip.sqlite'}"))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        from fablab.extensions import db

        assert "users" in db.inspect(db.engine).get_table_names()


def test_sites_updated_at_is_added_to_a_database_with_sites_in_use(tmp_path):
    """A lab upgrading its SQLite file: sites referenced by machines and events get
    their updated_at (the table is altered in place, not rebuilt under foreign keys)."""
    from sqlalchemy import text

    app = create_app(base_config(f"sqlite:///{tmp_path / 'lab.sqlite'}"))
    with app.app_context():
        from fablab.extensions import db

        upgrade(revision="f98880d6d244")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO sites (id, name, slug, address, timezone, opening_hours, "
                "is_active, created_at) VALUES (1, 'Fablab', 'fablab', '', 'Europe/Paris', "
                "'', 1, '2025-01-02 10:00:00.000000')"))
            connection.execute(text(
                "INSERT INTO resources (site_id, kind, name, slug, category, summary, "
                "description, safety_notes, status, status_reason, granularity_minutes, "
                "min_duration_minutes, max_duration_minutes, requires_approval, active, "
                "created_at) VALUES (1, 'machine', 'Laser', 'laser', '', '', '', '', "
                "'available', '', 30, 30, 240, 0, 1, '2025-01-02 10:00:00.000000')"))
        upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(text("SELECT created_at, updated_at FROM sites")).one()
            machines = connection.execute(text("SELECT count(*) FROM resources")).scalar()
    assert row[1] == row[0] and machines == 1


def test_outbox_first_attempt_is_filled_for_messages_already_tried(tmp_path):
    """Messages tried before the upgrade get their creation as first attempt, so that
    their give-up time counts from then; untried ones keep none."""
    from sqlalchemy import text

    app = create_app(base_config(f"sqlite:///{tmp_path / 'lab.sqlite'}"))
    with app.app_context():
        from fablab.extensions import db

        upgrade(revision="3b8e41c7d5a2")
        with db.engine.begin() as connection:
            for attempts in (0, 3):
                connection.execute(text(
                    "INSERT INTO outbox (recipient, subject, body, attachments, kind, status, "
                    "attempts, next_attempt_at, last_error, created_at) VALUES "
                    "('a@example.org', 'S', 'B', '[]', 'k', 'pending', :attempts, "
                    "'2026-11-28 18:00:00.000000', '', '2026-11-28 17:00:00.000000')"),
                    {"attempts": attempts})
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT attempts, first_attempt_at FROM outbox ORDER BY id")).all()
    assert rows == [(0, None), (3, "2026-11-28 17:00:00.000000")]


def test_a_tried_message_must_know_its_first_attempt(app):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from fablab.core.models import OutboxMessage
    from fablab.extensions import db

    with app.app_context():
        db.session.add(OutboxMessage(recipient="a@example.org", subject="S", body="B",
                                     kind="k", attempts=1))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_memberships_that_already_overlap_stop_the_upgrade_and_are_named(tmp_path, capfd):
    """The guard against overlapping memberships is not added over periods that
    already overlap: the upgrade stops, names each pair and changes nothing; once a
    person has corrected them, it goes through."""
    from datetime import date

    from sqlalchemy import text

    from fablab.accounts.models import User
    from fablab.memberships.models import Membership, Tariff

    app = create_app(base_config(f"sqlite:///{tmp_path / 'lab.sqlite'}"))
    with app.app_context():
        from fablab.extensions import db

        upgrade(revision="7d2f0c9e4b1a")
        member = User(name="Marie", email="marie@example.org", role="member")
        tariff = Tariff(code="standard", name="Standard", price_cents=3000)
        db.session.add_all([member, tariff, *[
            Membership(member=member, tariff=tariff, starts_on=start, ends_on=end,
                       amount_cents=3000, payment_method="card")
            for start, end in ((date(2025, 1, 1), date(2025, 12, 31)),
                               (date(2025, 12, 31), date(2026, 12, 30)),  # one day in common
                               (date(2026, 12, 31), date(2027, 12, 30)))]])  # adjacent: fine
        db.session.commit()
        with pytest.raises(SystemExit):  # flask db upgrade exits with status 1
            upgrade()
        logged = capfd.readouterr().err  # Alembic's logging configuration writes to stderr
        assert "1 pair(s) of memberships overlap" in logged
        assert ("member 1: membership 1 (2025-01-01 to 2025-12-31) and membership 2 "
                "(2025-12-31 to 2026-12-30)") in logged

        def state():
            with db.engine.connect() as connection:
                return (connection.execute(text("SELECT version_num FROM alembic_version"))
                        .scalar(),
                        connection.execute(text("SELECT count(*) FROM sqlite_master "
                                                "WHERE type = 'trigger' AND name LIKE "
                                                "'tr_memberships_%'")).scalar())

        assert state() == ("7d2f0c9e4b1a", 0)
        db.session.execute(text("UPDATE memberships SET starts_on = '2026-01-01' WHERE id = 2"))
        db.session.commit()
        upgrade()
        assert state()[1] == 2  # the guard's two triggers, at the head
