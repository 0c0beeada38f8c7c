"""one-time form tokens on API keys and webhook endpoints; one endpoint per URL per organisation

Unique indexes rather than constraints, and the new NOT NULL column with a server default
('', replaced at once), so that SQLite adds them in place instead of copying the tables.

Revision ID: 3c9d4e6f8a12
Revises: 3e8b1c5d7a92
Create Date: 2026-12-07 17:00:00.000000

"""
import hashlib
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c9d4e6f8a12'
down_revision = '3e8b1c5d7a92'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('api_keys', 'webhook_endpoints'):
        op.add_column(table, sa.Column('form_token', sa.String(length=64), nullable=True))
        op.create_index(f'ix_{table}_form_token', table, ['form_token'], unique=True)
    op.add_column(
        'webhook_endpoints',
        sa.Column('url_digest', sa.String(length=64), server_default='', nullable=False),
    )
    fill_url_digests()
    op.create_index(
        'ix_webhook_endpoints_organization_url',
        'webhook_endpoints',
        ['organization_id', 'url_digest'],
        unique=True,
    )


def fill_url_digests():
    """Each endpoint's digest. Of two or more endpoints of one organisation on one URL (issue
    17 found them in the field) the first keeps the URL's digest and the later ones are
    disabled, as an admin disables one, with a digest of their own so that the unique index
    still holds; what was disabled is printed, for the admins to delete the duplicates."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, organization_id, url FROM webhook_endpoints ORDER BY id")
    ).all()
    kept = {}
    for id_, organization_id, url in rows:
        digest = hashlib.sha256(url.encode()).hexdigest()
        first = kept.setdefault((organization_id, digest), id_)
        if first != id_:
            disable_duplicate(bind, id_, first)
            digest = hashlib.sha256(f"{url}#duplicate-{id_}".encode()).hexdigest()
        bind.execute(
            sa.text("UPDATE webhook_endpoints SET url_digest = :digest WHERE id = :id"),
            {"digest": digest, "id": id_},
        )


def disable_duplicate(bind, id_, first):
    reason = f"Disabled on upgrade: a duplicate of endpoint {first} (same URL)."
    bind.execute(
        sa.text(
            "UPDATE webhook_endpoints SET disabled_at = :now, disabled_reason = :reason "
            "WHERE id = :id"
        ),
        {"now": datetime.now(UTC).replace(tzinfo=None), "reason": reason, "id": id_},
    )
    print(f"webhook endpoint {id_}: {reason}")


def downgrade():
    op.drop_index('ix_webhook_endpoints_organization_url', table_name='webhook_endpoints')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('url_digest')
    for table in ('webhook_endpoints', 'api_keys'):
        op.drop_index(f'ix_{table}_form_token', table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('form_token')
