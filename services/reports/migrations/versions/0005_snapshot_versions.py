"""Snapshots are versions: a month re-frozen with a reason becomes version 2, 3 …; earlier versions stay readable.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshot") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
    op.create_table(
        "snapshot_versions",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("period", "version"),
    )


def downgrade() -> None:
    op.drop_table("snapshot_versions")
    with op.batch_alter_table("snapshot") as batch:
        batch.drop_column("reason")
        batch.drop_column("version")
