"""A schedule records the day its open nodes were planned from when their derived dates had already passed; a
project its year (the window its nodes' dates must lie in); the registry's units are known by name (delays are
charged to them); a suspended project's nodes are paused.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("replanned_from", sa.Date(), nullable=True))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("year", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("suspended_on", sa.Date(), nullable=True))
    with op.batch_alter_table("milestones") as batch:
        batch.add_column(sa.Column("paused_on", sa.Date(), nullable=True))
    op.create_table("units",
                    sa.Column("id", sa.String(length=36), nullable=False),
                    sa.Column("code", sa.String(length=64), nullable=False),
                    sa.Column("name", sa.String(length=200), nullable=False),
                    sa.PrimaryKeyConstraint("id"))


def downgrade() -> None:
    op.drop_table("units")
    with op.batch_alter_table("milestones") as batch:
        batch.drop_column("paused_on")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("suspended_on")
        batch.drop_column("year")
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("replanned_from")
