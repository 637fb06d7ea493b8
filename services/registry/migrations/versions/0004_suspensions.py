"""Suspension and resumption review (停复审核): the episodes, and the day a project has been suspended since.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("suspended_on", sa.Date(), nullable=True))
    op.create_table(
        "suspensions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("suspend_from", sa.Date(), nullable=False),
        sa.Column("expected_resume_on", sa.Date(), nullable=True),
        sa.Column("resume_on", sa.Date(), nullable=True),
        sa.Column("new_planned_start_date", sa.Date(), nullable=True),
        sa.Column("new_planned_completion_date", sa.Date(), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_suspensions_project_id", "suspensions", ["project_id"])
    op.create_index("ix_suspensions_unit_id", "suspensions", ["unit_id"])
    op.create_index("ix_suspensions_status", "suspensions", ["status"])


def downgrade() -> None:
    op.drop_table("suspensions")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("suspended_on")
