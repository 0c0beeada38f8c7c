"""external shares: one link per recipient, its audit, and the organisation's sharing policy

Revision ID: a7d3e5f1c842
Revises: 5b7d2e9c4a18
Create Date: 2026-12-07 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3e5f1c842'
down_revision = '5b7d2e9c4a18'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sharing_policies',
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('domains', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id']),
        sa.PrimaryKeyConstraint('organization_id'),
    )
    op.create_table(
        'export_shares',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('export_id', sa.Integer(), nullable=False),
        sa.Column('shared_by_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('passcode_hash', sa.String(length=200), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('first_downloaded_at', sa.DateTime(), nullable=True),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['export_id'], ['exports.id']),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id']),
        sa.ForeignKeyConstraint(['shared_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
        sa.UniqueConstraint('token_digest'),
    )
    op.create_index('ix_export_shares_export_id', 'export_shares', ['export_id'])
    op.create_index('ix_export_shares_organization_id', 'export_shares', ['organization_id'])
    op.create_table(
        'share_accesses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('share_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('part', sa.Integer(), nullable=True),
        sa.Column('ip_address', sa.String(length=64), nullable=False),
        sa.Column('user_agent', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['share_id'], ['export_shares.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_share_accesses_share_id', 'share_accesses', ['share_id'])


def downgrade():
    op.drop_index('ix_share_accesses_share_id', table_name='share_accesses')
    op.drop_table('share_accesses')
    op.drop_index('ix_export_shares_organization_id', table_name='export_shares')
    op.drop_index('ix_export_shares_export_id', table_name='export_shares')
    op.drop_table('export_shares')
    op.drop_table('sharing_policies')
