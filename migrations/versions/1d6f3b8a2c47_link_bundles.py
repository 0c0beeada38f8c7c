"""link bundles: an export's kind, its URLs (export_links), and no project for a bundle

Revision ID: 1d6f3b8a2c47
Revises: a91c5e7b3d20
Create Date: 2026-12-02 10:05:00.000000

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1d6f3b8a2c47'
down_revision = 'a91c5e7b3d20'
branch_labels = None
depends_on = None


@contextmanager
def foreign_keys_off_on_sqlite():
    """SQLite makes a column nullable by copying the table and dropping the old one, which the
    tables pointing at `exports` refuse while foreign keys are enforced; and the pragma that
    stops enforcing them is ignored inside a transaction, so the one open is committed first
    (the migrations before this one have their work committed with it)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    raw = bind.connection.dbapi_connection
    raw.commit()
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        raw.commit()
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def upgrade():
    op.create_table('export_links',
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['export_id'], ['exports.id'], ),
    sa.PrimaryKeyConstraint('export_id', 'position')
    )
    with foreign_keys_off_on_sqlite(), op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='records', nullable=False))
        batch_op.alter_column('project_id', existing_type=sa.INTEGER(), nullable=True)


def downgrade():
    with foreign_keys_off_on_sqlite(), op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.alter_column('project_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('kind')
    op.drop_table('export_links')
