"""scheduled exports

Revision ID: b2c4d6e8f013
Revises: a7d3e5f1c842
Create Date: 2026-12-07 20:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2c4d6e8f013'
down_revision = 'a7d3e5f1c842'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'schedules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('filter_args', sa.JSON(), nullable=False),
        sa.Column('rrule', sa.String(length=500), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('delivered_export_id', sa.Integer(), nullable=True),
        sa.Column('only_changed', sa.Boolean(), nullable=False),
        sa.Column('paused', sa.Boolean(), nullable=False),
        sa.Column('next_run_at', sa.DateTime(), nullable=True),
        sa.Column('last_run_at', sa.DateTime(), nullable=True),
        sa.Column('last_export_id', sa.Integer(), nullable=True),
        sa.Column('runs', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['last_export_id'], ['exports.id']),
        sa.ForeignKeyConstraint(['delivered_export_id'], ['exports.id']),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id']),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id']),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
    )
    op.create_index('ix_schedules_due', 'schedules', ['paused', 'next_run_at'])
    op.create_index('ix_schedules_organization_id', 'schedules', ['organization_id'])
    op.create_index('ix_schedules_owner_id', 'schedules', ['owner_id'])


def downgrade():
    op.drop_index('ix_schedules_owner_id', table_name='schedules')
    op.drop_index('ix_schedules_organization_id', table_name='schedules')
    op.drop_index('ix_schedules_due', table_name='schedules')
    op.drop_table('schedules')
