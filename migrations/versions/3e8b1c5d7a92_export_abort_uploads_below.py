"""export abort_uploads_below: the unfinished uploads of superseded attempts still to be aborted

Revision ID: 3e8b1c5d7a92
Revises: 1d6f3b8a2c47
Create Date: 2026-12-07 16:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e8b1c5d7a92'
down_revision = '1d6f3b8a2c47'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, no batch: SQLite (3.35+) adds and drops a column in place, where a
# batch would copy `exports`, which the tables pointing at it refuse while foreign keys hold.
def upgrade():
    op.add_column('exports', sa.Column('abort_uploads_below', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_exports_abort_uploads_below'), 'exports', ['abort_uploads_below'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_exports_abort_uploads_below'), table_name='exports')
    op.drop_column('exports', 'abort_uploads_below')
