"""A schedule records the day its open nodes were planned from when their derived dates had already passed; a
project its year (the window its nodes' dates must lie in).

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


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("year")
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("replanned_from")
