"""Units, projects and the plumbing tables.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from kit.db import Money
from kit.migrations import create_plumbing_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_plumbing_tables()
    op.create_table(
        "units",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("parent_id", sa.String(36), sa.ForeignKey("units.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("sector", sa.String(20), nullable=False),
        sa.Column("total_investment", Money, nullable=False),
        sa.Column("annual_plan_investment", Money, nullable=False),
        sa.Column("responsible_unit_id", sa.String(36), sa.ForeignKey("units.id"), nullable=False, index=True),
        sa.Column("owner", sa.String(200)),
        sa.Column("lead_leader", sa.String(100)),
        sa.Column("contact_name", sa.String(100)),
        sa.Column("contact_phone", sa.String(40)),
        sa.Column("location", sa.String(300)),
        sa.Column("planned_start_date", sa.Date),
        sa.Column("planned_completion_date", sa.Date),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("government_funded", sa.Boolean, nullable=False),
        sa.Column("budget", Money),
        sa.Column("concentrated_start", sa.Boolean, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("projects")
    op.drop_table("units")
