"""Each node's version as its newest event said, and when the event an alert, a task or a month's investment was last
set from was staged: an older state re-fed after a newer one (a broker that lost its log) changes nothing.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("milestone_view", sa.Column("version", sa.Integer(), nullable=True))
    for table in ("alert_view", "task_view", "investment_month"):
        op.add_column(table, sa.Column("event_time", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ("alert_view", "task_view", "investment_month"):
        op.drop_column(table, "event_time")
    op.drop_column("milestone_view", "version")
