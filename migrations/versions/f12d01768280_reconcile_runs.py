"""reconcile runs: the last `flask storage reconcile` results, for the admin queue page

Revision ID: f12d01768280
Revises: d03896fb7d09
Create Date: 2026-11-23 02:13:11.802184

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f12d01768280'
down_revision = 'd03896fb7d09'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reconcile_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ran_at', sa.DateTime(), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('stray_objects', sa.Integer(), nullable=False),
    sa.Column('missing_objects', sa.Integer(), nullable=False),
    sa.Column('stale_uploads', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_reconcile_runs_ran_at'), 'reconcile_runs', ['ran_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_reconcile_runs_ran_at'), table_name='reconcile_runs')
    op.drop_table('reconcile_runs')
