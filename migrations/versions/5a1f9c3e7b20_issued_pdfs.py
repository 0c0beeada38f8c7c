"""issued PDFs by sha256 for the Verify page, and zips looked up by theirs

Revision ID: 5a1f9c3e7b20
Revises: 8c4f1a7e2d95
Create Date: 2026-12-07 20:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1f9c3e7b20'
down_revision = '8c4f1a7e2d95'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'issued_pdfs',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('rendered_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id']),
        sa.PrimaryKeyConstraint('sha256'),
    )
    op.create_index('ix_issued_pdfs_code', 'issued_pdfs', ['code'])
    op.create_index('ix_issued_pdfs_record_id', 'issued_pdfs', ['record_id'])
    op.create_index('ix_export_parts_sha256', 'export_parts', ['sha256'])


def downgrade():
    op.drop_index('ix_export_parts_sha256', table_name='export_parts')
    op.drop_index('ix_issued_pdfs_record_id', table_name='issued_pdfs')
    op.drop_index('ix_issued_pdfs_code', table_name='issued_pdfs')
    op.drop_table('issued_pdfs')
