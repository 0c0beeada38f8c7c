"""export item position: a record's place in the request, for exports in selection order

Revision ID: 5b7d2e9c4a18
Revises: 7e3c9a1f5b24
Create Date: 2026-12-07 20:35:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7d2e9c4a18'
down_revision = '7e3c9a1f5b24'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('export_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('export_items', schema=None) as batch_op:
        batch_op.drop_column('position')
