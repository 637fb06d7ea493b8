"""Unit and project read models and the plumbing tables.

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
        "unit_view",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("parent_id", sa.String(36)),
    )
    op.create_table(
        "project_view",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("unit_id", sa.String(36), nullable=False, index=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("sector", sa.String(20), nullable=False),
        sa.Column("bracket", sa.String(10), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("total_investment", Money, nullable=False),
        sa.Column("annual_plan_investment", Money, nullable=False),
        sa.Column("ytd_investment", Money, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("project_view")
    op.drop_table("unit_view")
