"""Monthly reporting rounds as the registry announces them, and each project's report; the list date of a project.

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
    op.add_column("project_facts", sa.Column("listed_on", sa.Date(), nullable=True))
    op.create_table(
        "reporting_rounds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("tasks_opened_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "round_reports",
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("round_id", "project_id"),
    )


def downgrade() -> None:
    op.drop_table("round_reports")
    op.drop_table("reporting_rounds")
    with op.batch_alter_table("project_facts") as batch:
        batch.drop_column("listed_on")
