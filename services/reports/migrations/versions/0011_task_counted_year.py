"""Each task carries the year of its project while that project counts (registered, not archived): the live task
counts of a year read the year's open tasks by an index, not one project lookup per open task.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("task_view", sa.Column("counted_year", sa.Integer(), nullable=True))
    tasks, projects = sa.table("task_view", sa.column("project_id"), sa.column("counted_year")), sa.table(
        "project_view", sa.column("id"), sa.column("year"), sa.column("registered"), sa.column("archived"))
    op.execute(sa.update(tasks).values(counted_year=sa.select(projects.c.year).where(
        projects.c.id == tasks.c.project_id, projects.c.registered.is_(sa.true()),
        projects.c.archived.is_(sa.false())).scalar_subquery()))
    op.create_index("ix_task_view_counted_open", "task_view", ["counted_year", "unit_id"],
                    postgresql_where=sa.text("status <> 'closed'"), sqlite_where=sa.text("status <> 'closed'"))


def downgrade() -> None:
    op.drop_index("ix_task_view_counted_open", table_name="task_view")
    with op.batch_alter_table("task_view") as batch:
        batch.drop_column("counted_year")
