"""The schema comes from the migrations, and the models agree with it."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from fablab import create_app
from tests.conftest import base_config


def test_models_and_migrations_agree(app):
    from fablab.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
