"""links counted apart from records: an export's files and failed files, and why each link
failed in its latest attempt

Revision ID: 7e3c9a1f5b24
Revises: 3c9d4e6f8a12
Create Date: 2026-12-07 17:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e3c9a1f5b24'
down_revision = '3c9d4e6f8a12'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('exports', sa.Column('files', sa.Integer(), server_default='0', nullable=False))
    op.add_column(
        'exports', sa.Column('files_failed', sa.Integer(), server_default='0', nullable=False)
    )
    op.add_column('export_links', sa.Column('error', sa.Text(), nullable=True))
    op.execute(
        "UPDATE exports SET files = "
        "(SELECT count(*) FROM export_links WHERE export_links.export_id = exports.id)"
    )


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of `exports` would be refused by
    # the tables whose foreign keys point at it.
    op.drop_column('export_links', 'error')
    op.drop_column('exports', 'files_failed')
    op.drop_column('exports', 'files')
