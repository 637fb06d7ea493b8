"""Read models of the monthly reporting rounds (who reported, on time or late) and of approved suspensions.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("round_view",
                    sa.Column("id", sa.String(length=36), nullable=False),
                    sa.Column("period", sa.String(length=7), nullable=False),
                    sa.Column("year", sa.Integer(), nullable=False),
                    sa.Column("deadline", sa.Date(), nullable=False),
                    sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_round_view_period", "round_view", ["period"])
    op.create_table("round_report_view",
                    sa.Column("round_id", sa.String(length=36), nullable=False),
                    sa.Column("project_id", sa.String(length=36), nullable=False),
                    sa.Column("unit_id", sa.String(length=36), nullable=False),
                    sa.Column("status", sa.String(length=20), nullable=False),
                    sa.Column("late", sa.Boolean(), nullable=False),
                    sa.PrimaryKeyConstraint("round_id", "project_id"))
    op.create_table("suspension_view",
                    sa.Column("id", sa.String(length=36), nullable=False),
                    sa.Column("project_id", sa.String(length=36), nullable=False),
                    sa.Column("unit_id", sa.String(length=36), nullable=False),
                    sa.Column("reason", sa.String(length=40), nullable=True),
                    sa.Column("suspended_on", sa.Date(), nullable=False),
                    sa.Column("resumed_on", sa.Date(), nullable=True),
                    sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_suspension_view_project_id", "suspension_view", ["project_id"])


def downgrade() -> None:
    op.drop_table("suspension_view")
    op.drop_table("round_report_view")
    op.drop_table("round_view")
