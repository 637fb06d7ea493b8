"""The projects that count, by id with their year: live task counts look each task's project up in it, index only,
rather than joining every project of the year (GET /api/v1/overview and /api/v1/rankings at 100,000 projects).
Partial on PostgreSQL (registered, not archived); a plain (id, year) index elsewhere.

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
    op.create_index("ix_project_view_counted", "project_view", ["id", "year"], unique=False,
                    postgresql_where=sa.text("registered IS TRUE AND archived IS FALSE"))


def downgrade() -> None:
    op.drop_index("ix_project_view_counted", table_name="project_view")
