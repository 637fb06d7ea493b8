"""Monthly reporting rounds (月调度 下发/填报): the rounds and each project's report in them.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from kit.db import Money

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reporting_rounds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period"),
    )
    op.create_table(
        "round_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.String(length=36), sa.ForeignKey("reporting_rounds.id"), nullable=False),
        sa.Column("project_id", sa.String(length=36), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("investment", Money(), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("next_plan", sa.Text(), nullable=True),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("first_submitted_on", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "project_id", name="uq_round_reports_round_project"),
    )
    op.create_index("ix_round_reports_round_id", "round_reports", ["round_id"])
    op.create_index("ix_round_reports_project_id", "round_reports", ["project_id"])
    op.create_index("ix_round_reports_unit_id", "round_reports", ["unit_id"])


def downgrade() -> None:
    op.drop_table("round_reports")
    op.drop_table("reporting_rounds")
