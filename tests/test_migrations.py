"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from portal import create_app
from portal.extensions import db
from tests.helpers import config_from_env


def app_on_an_empty_database(sitepack_env):
    """No tables, no alembic_version: where `db upgrade` starts on a new installation."""
    app = create_app(config_from_env(sitepack_env))
    with app.app_context():
        db.drop_all()
        db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
    return app


def test_upgrade_from_empty_matches_the_models(sitepack_env, postgres_schema):
    """Leaves the migrated schema behind: `db check` proved it equal to the models."""
    app = app_on_an_empty_database(sitepack_env)
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


BEFORE_PARTS = "c5e2a8d4f1b7"


def upgraded_with(sitepack_env, revision: str, rows: list[str]):
    """Migrated up to `revision`, given these rows, then up to the head."""
    app = app_on_an_empty_database(sitepack_env)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", revision]).exit_code == 0
    with app.app_context():
        for sql in rows:
            db.session.execute(db.text(sql))
        db.session.commit()
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    return app


def test_parts_migration_turns_each_stored_zip_into_part_one(sitepack_env, postgres_schema):
    """Exports from before parts keep their zip: part 1, with its key, size and checksum;
    an export that never had one gets none. Downgrading puts the key back on the row."""
    app = upgraded_with(sitepack_env, BEFORE_PARTS, OLD_ROWS)
    runner = app.test_cli_runner()
    with app.app_context():
        parts = db.session.execute(
            db.text(
                "SELECT export_id, number, object_key, byte_size, sha256, records FROM export_parts"
            )
        ).all()
        assert [tuple(p) for p in parts] == [
            (1, 1, "exports/1/a/attempt-1/a.zip", 4096, "f" * 64, 3)
        ]
        assert db.session.scalar(db.text("SELECT byte_size FROM exports WHERE id = 1")) == 4096
    downgrade = runner.invoke(args=["db", "downgrade", BEFORE_PARTS])
    assert downgrade.exit_code == 0, downgrade.output
    with app.app_context():
        keys = db.session.execute(db.text("SELECT id, object_key FROM exports ORDER BY id")).all()
        assert [tuple(k) for k in keys] == [(1, "exports/1/a/attempt-1/a.zip"), (2, None)]
        db.session.execute(db.text("DROP TABLE alembic_version"))
        db.session.commit()
        db.drop_all()
        db.engine.dispose()


OLD_ROWS = [
    "INSERT INTO organizations (id, name, created_at) VALUES (1, 'Acme', '2026-01-01')",
    "INSERT INTO users (id, organization_id, email, name, password_hash, role, is_staff, "
    "created_at) VALUES (1, 1, 'a@acme.test', 'A', 'x', 'member', false, '2026-01-01')",
    "INSERT INTO projects (id, public_id, organization_id, name, code, address, created_at) "
    "VALUES (1, 'p1', 1, 'Tower', 'T', '', '2026-01-01')",
    *(
        "INSERT INTO exports (id, public_id, organization_id, project_id, requested_by_id, "
        "options, fingerprint, status, queue_name, total, done, warnings, attempt, requeues, "
        f"created_at, object_key, byte_size, sha256) VALUES ({values})"
        for values in (
            "1, 'e1', 1, 1, 1, '{}', 'f', 'completed', 'exports-small', 3, 3, 0, 1, 0, "
            f"'2026-01-01', 'exports/1/a/attempt-1/a.zip', 4096, '{'f' * 64}'",
            "2, 'e2', 1, 1, 1, '{}', 'g', 'failed', 'exports-small', 3, 0, 0, 1, 0, "
            "'2026-01-01', NULL, NULL, NULL",
        )
    ),
]


BEFORE_URL_DIGESTS = "3e8b1c5d7a92"


def test_url_digest_migration_disables_an_organisation_s_later_endpoint_on_one_url(
    sitepack_env, postgres_schema
):
    """Two endpoints of one organisation on one URL (issue 17 found them in the field) do not
    stop the upgrade: the later one is disabled, saying of which it is a duplicate, and the
    unique index is made. Another organisation's endpoint on the same URL is left alone."""
    app = upgraded_with(sitepack_env, BEFORE_URL_DIGESTS, ENDPOINT_ROWS)
    with app.app_context():
        rows = db.session.execute(
            db.text("SELECT id, disabled_at IS NOT NULL, disabled_reason FROM webhook_endpoints")
        ).all()
        reason = "Disabled on upgrade: a duplicate of endpoint 1 (same URL)."
        assert sorted(tuple(row) for row in rows) == [
            (1, False, None),
            (2, True, reason),
            (3, False, None),
        ]
        indexes = inspect(db.engine).get_indexes("webhook_endpoints")
        unique = {index["name"] for index in indexes if index["unique"]}
        assert "ix_webhook_endpoints_organization_url" in unique
        db.session.execute(db.text("DROP TABLE alembic_version"))
        db.session.commit()
        db.drop_all()
        db.engine.dispose()


ENDPOINT_ROWS = [
    "INSERT INTO organizations (id, name, created_at) VALUES (1, 'Acme', '2026-01-01'), "
    "(2, 'Bravo', '2026-01-01')",
    "INSERT INTO users (id, organization_id, email, name, password_hash, role, is_staff, "
    "created_at) VALUES (1, 1, 'a@acme.test', 'A', 'x', 'admin', false, '2026-01-01'), "
    "(2, 2, 'b@bravo.test', 'B', 'x', 'admin', false, '2026-01-01')",
    *(
        "INSERT INTO webhook_endpoints (id, public_id, organization_id, url, description, "
        f"events, secret, created_by_id, created_at) VALUES ({values})"
        for values in (
            "1, 'w1', 1, 'https://hooks.example/in', '', '[]', 'whsec_a', 1, '2026-01-01'",
            "2, 'w2', 1, 'https://hooks.example/in', '', '[]', 'whsec_b', 1, '2026-01-02'",
            "3, 'w3', 2, 'https://hooks.example/in', '', '[]', 'whsec_c', 2, '2026-01-03'",
        )
    ),
]


BEFORE_SHARES = "5b7d2e9c4a18"
SHARE_TABLES = {"export_shares", "share_accesses", "sharing_policies", "schedules"}


def test_the_shares_and_schedules_migrations_go_down_and_up_again(sitepack_env, postgres_schema):
    app = upgraded_with(sitepack_env, BEFORE_SHARES, [])
    runner = app.test_cli_runner()
    with app.app_context():
        assert set(inspect(db.engine).get_table_names()) >= SHARE_TABLES
        down = runner.invoke(args=["db", "downgrade", BEFORE_SHARES])
        assert down.exit_code == 0, down.output
        assert not SHARE_TABLES & set(inspect(db.engine).get_table_names())
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        assert set(inspect(db.engine).get_table_names()) >= SHARE_TABLES
        db.session.execute(db.text("DROP TABLE alembic_version"))
        db.session.commit()
        db.drop_all()
        db.engine.dispose()
