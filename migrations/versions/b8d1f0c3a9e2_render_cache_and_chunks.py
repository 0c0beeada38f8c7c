"""render cache and export chunks: the index of cached record PDFs, the chunks a large
export is split into for any worker to render, and each export's cache hits

Revision ID: b8d1f0c3a9e2
Revises: c5e2a8d4f1b7
Create Date: 2026-12-02 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d1f0c3a9e2'
down_revision = 'c5e2a8d4f1b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'export_chunks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('export_id', sa.Integer(), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('record_ids', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('claim', sa.String(length=32), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('errors', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['export_id'], ['exports.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('export_id', 'attempt', 'number'),
    )
    with op.batch_alter_table('export_chunks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_chunks_export_id'), ['export_id'], unique=False)

    op.create_table(
        'rendered_pdfs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('byte_size', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
        sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organization_id', 'fingerprint'),
    )
    with op.batch_alter_table('rendered_pdfs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rendered_pdfs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rendered_pdfs_record_id'), ['record_id'], unique=False)

    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cache_hits', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_column('cache_hits')
    with op.batch_alter_table('rendered_pdfs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rendered_pdfs_record_id'))
        batch_op.drop_index(batch_op.f('ix_rendered_pdfs_created_at'))
    op.drop_table('rendered_pdfs')
    with op.batch_alter_table('export_chunks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_chunks_export_id'))
    op.drop_table('export_chunks')
