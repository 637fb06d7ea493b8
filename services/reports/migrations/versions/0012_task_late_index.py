"""The year's late-if-past-their-deadline tasks (open, not awaiting verification, not on hold) by unit and deadline:
a year's live task counts read its open tasks and, apart, its late ones from two indexes alone, rather than each open
task's row (GET /api/v1/overview and /api/v1/rankings at 100,000 projects).

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_task_view_counted_late", "task_view", ["counted_year", "unit_id", "deadline"],
                    postgresql_where=sa.text("status = 'open' AND resolvable IS false AND on_hold IS false"),
                    sqlite_where=sa.text("status = 'open' AND resolvable IS 0 AND on_hold IS 0"))


def downgrade() -> None:
    op.drop_index("ix_task_view_counted_late", table_name="task_view")
