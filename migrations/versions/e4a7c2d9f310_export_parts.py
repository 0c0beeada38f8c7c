"""export parts: an export may be several zips; each zip's key, size and checksum move from
the export's row to its own, and a download records which part it was for

Every export that had a zip (completed, and expired, revoked or failed after it) becomes one
part, number 1, with the key, size and checksum it had. The export keeps its byte_size, now
the total of its parts.

Revision ID: e4a7c2d9f310
Revises: b8d1f0c3a9e2
Create Date: 2026-12-09 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4a7c2d9f310'
down_revision = 'b8d1f0c3a9e2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('object_key', sa.String(length=500), nullable=False),
    sa.Column('byte_size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['export_id'], ['exports.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('export_id', 'number')
    )
    op.execute(
        "INSERT INTO export_parts (export_id, number, object_key, byte_size, sha256, records) "
        "SELECT id, 1, object_key, COALESCE(byte_size, 0), COALESCE(sha256, ''), total "
        "FROM exports WHERE object_key IS NOT NULL"
    )
    # Plain ALTER TABLE, not a batch: SQLite (3.35+) drops these unindexed columns in place,
    # where a batch would copy `exports` and drop the old table, which its foreign keys
    # (parts, items, events, downloads) refuse while rows point at it.
    op.drop_column('exports', 'sha256')
    op.drop_column('exports', 'object_key')
    op.add_column('downloads', sa.Column('part', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    """Back to one zip per export: the first part's key and checksum (a multi-part export
    loses the others' keys, and reconcile then deletes those zips as strays)."""
    op.drop_column('downloads', 'part')
    op.add_column('exports', sa.Column('object_key', sa.String(length=500), nullable=True))
    op.add_column('exports', sa.Column('sha256', sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE exports SET "
        "object_key = (SELECT object_key FROM export_parts p "
        "WHERE p.export_id = exports.id AND p.number = 1), "
        "sha256 = (SELECT sha256 FROM export_parts p "
        "WHERE p.export_id = exports.id AND p.number = 1)"
    )
    op.drop_table('export_parts')
