"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from portal import create_app
from portal.extensions import db
from tests.helpers import config_from_env


def test_upgrade_from_empty_matches_the_models(sitepack_env, postgres_schema):
    """Leaves the migrated schema behind: `db check` proved it equal to the models."""
    app = create_app(config_from_env(sitepack_env))
    with app.app_context():
        db.drop_all()
        db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
    runner = app.test_cli_runner()
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    check = runner.invoke(args=["db", "check"])
    assert check.exit_code == 0, check.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"exports", "export_items", "records", "selected_records"} <= tables
        db.session.execute(db.text("DROP TABLE alembic_version"))
        db.session.commit()
        db.engine.dispose()
