"""record report fields: raised and closed by, an NCR's findings, the sign-off, photo times

Revision ID: 8c4f1a7e2d95
Revises: 6d1e8b3f5a27
Create Date: 2026-12-07 20:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c4f1a7e2d95'
down_revision = '6d1e8b3f5a27'
branch_labels = None
depends_on = None

TEXT_COLUMNS = {
    'records': [
        ('raised_by', sa.String(length=200)),
        ('closed_by', sa.String(length=200)),
        ('root_cause', sa.Text()),
        ('disposition', sa.String(length=30)),
        ('corrective_action', sa.Text()),
        ('sign_off_name', sa.String(length=200)),
        ('sign_off_role', sa.String(length=100)),
    ],
    'attachments': [('taken_by', sa.String(length=200))],
}
NULLABLE_COLUMNS = {
    'records': [
        ('closed_at', sa.DateTime()),
        ('sign_off_date', sa.Date()),
        ('signature_sha256', sa.String(length=64)),
    ],
    'attachments': [('taken_at', sa.DateTime())],
}


def upgrade():
    for table, columns in TEXT_COLUMNS.items():
        for name, type_ in columns:
            op.add_column(table, sa.Column(name, type_, server_default='', nullable=False))
    for table, columns in NULLABLE_COLUMNS.items():
        for name, type_ in columns:
            op.add_column(table, sa.Column(name, type_, nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of `records` would be refused by
    # the tables whose foreign keys point at it.
    for table, columns in NULLABLE_COLUMNS.items():
        for name, _ in reversed(columns):
            op.drop_column(table, name)
    for table, columns in TEXT_COLUMNS.items():
        for name, _ in reversed(columns):
            op.drop_column(table, name)
