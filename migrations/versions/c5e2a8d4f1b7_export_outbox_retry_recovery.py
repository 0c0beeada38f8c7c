"""export outbox, retry wait and recovery index: the email a state owes, when an automatic
retry runs and which try it is, and an index for the recovery pass that runs every few seconds

Revision ID: c5e2a8d4f1b7
Revises: a7c3e9b1d2f4
Create Date: 2026-12-02 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e2a8d4f1b7'
down_revision = 'a7c3e9b1d2f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_due', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('mail_due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('next_try_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('next_try_number', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_tries', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_exports_mail_due_at'), ['mail_due_at'], unique=False)
        batch_op.create_index('ix_exports_status_heartbeat', ['status', 'heartbeat_at'], unique=False)
        batch_op.create_index('ix_exports_lane_finished', ['queue_name', 'finished_at'], unique=False)


def downgrade():
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_index('ix_exports_lane_finished')
        batch_op.drop_index('ix_exports_status_heartbeat')
        batch_op.drop_index(batch_op.f('ix_exports_mail_due_at'))
        batch_op.drop_column('max_tries')
        batch_op.drop_column('next_try_number')
        batch_op.drop_column('next_try_at')
        batch_op.drop_column('mail_due_at')
        batch_op.drop_column('mail_due')
