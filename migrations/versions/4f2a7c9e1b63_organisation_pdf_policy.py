"""organisation pdf policy: archival record PDFs by default (or the deployment's), signed exports

Revision ID: 4f2a7c9e1b63
Revises: 5a1f9c3e7b20
Create Date: 2026-12-07 23:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4f2a7c9e1b63'
down_revision = '5a1f9c3e7b20'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('organizations', sa.Column('pdf_archival', sa.Boolean(), nullable=True))
    op.add_column(
        'organizations',
        sa.Column('sign_exports', sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade():
    # Plain DROP COLUMN, as the branding migration does: a batch copy of `organizations`
    # would be refused by every table whose foreign keys point at it.
    op.drop_column('organizations', 'sign_exports')
    op.drop_column('organizations', 'pdf_archival')
