"""The schema comes from the migrations, and the models agree with it."""

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
