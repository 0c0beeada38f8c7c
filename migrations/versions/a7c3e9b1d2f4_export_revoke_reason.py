"""export revoke reason: why an admin withdrew an export, shown to its requester

Revision ID: a7c3e9b1d2f4
Revises: f12d01768280
Create Date: 2026-12-02 01:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9b1d2f4'
down_revision = 'f12d01768280'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoke_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_column('revoke_reason')
