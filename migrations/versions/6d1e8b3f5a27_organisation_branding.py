"""organisation branding: a logo, an accent colour and a footer line for reports and emails

Revision ID: 6d1e8b3f5a27
Revises: b2c4d6e8f013
Create Date: 2026-12-07 20:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6d1e8b3f5a27'
down_revision = 'b2c4d6e8f013'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('organizations', sa.Column('logo_sha256', sa.String(length=64), nullable=True))
    op.add_column('organizations', sa.Column('accent_colour', sa.String(length=7), nullable=True))
    op.add_column(
        'organizations',
        sa.Column('report_footer', sa.String(length=200), server_default='', nullable=False),
    )


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of `organizations` would be
    # refused by every table whose foreign keys point at it.
    op.drop_column('organizations', 'report_footer')
    op.drop_column('organizations', 'accent_colour')
    op.drop_column('organizations', 'logo_sha256')
