"""one-time form tokens on API keys and webhook endpoints; one endpoint per URL per organisation

Unique indexes rather than constraints, and the new NOT NULL column with a server default
('', replaced at once), so that SQLite adds them in place instead of copying the tables.

Revision ID: 3c9d4e6f8a12
Revises: 3e8b1c5d7a92
Create Date: 2026-12-07 17:00:00.000000

"""
import hashlib

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
    """Each endpoint's digest; two endpoints of one organisation on one URL stop the upgrade,
    naming them, for an admin to delete one (which one is the admin's call, not a migration's)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, organization_id, url FROM webhook_endpoints")).all()
    seen = {}
    for id_, organization_id, url in rows:
        digest = hashlib.sha256(url.encode()).hexdigest()
        if (organization_id, digest) in seen:
            raise RuntimeError(
                f"webhook endpoints {seen[organization_id, digest]} and {id_} of organisation "
                f"{organization_id} share the URL {url}: delete one, then upgrade again."
            )
        seen[organization_id, digest] = id_
        bind.execute(
            sa.text("UPDATE webhook_endpoints SET url_digest = :digest WHERE id = :id"),
            {"digest": digest, "id": id_},
        )


def downgrade():
    op.drop_index('ix_webhook_endpoints_organization_url', table_name='webhook_endpoints')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('url_digest')
    for table in ('webhook_endpoints', 'api_keys'):
        op.drop_index(f'ix_{table}_form_token', table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('form_token')
