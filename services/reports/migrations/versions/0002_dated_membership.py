"""When projects joined and left the list, when alerts cleared, and tasks' dated states: figures as of a past date.

Rows kept from before are not dated (NULL): projects count as registered all along (and archived ones as archived
ever since), resolved alerts as resolved before any date, tasks as open from their opening to their closing day;
POST /api/v1/admin/rebuild dates them all from the events.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("project_view", sa.Column("registered_on", sa.Date(), nullable=True))
    op.add_column("project_view", sa.Column("archived_on", sa.Date(), nullable=True))
    op.add_column("alert_view", sa.Column("resolved_on", sa.Date(), nullable=True))
    op.add_column("task_view", sa.Column("resolvable", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "task_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("resolvable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_task_history_task_id"), "task_history", ["task_id"], unique=False)
    # the tasks known so far: open from the day they were opened, closed from the day they were closed
    op.execute("INSERT INTO task_history (task_id, date, status, resolvable) "
               "SELECT id, opened_on, 'open', FALSE FROM task_view")
    op.execute("INSERT INTO task_history (task_id, date, status, resolvable) "
               "SELECT id, closed_on, 'closed', resolvable FROM task_view WHERE closed_on IS NOT NULL")


def downgrade() -> None:
    op.drop_index(op.f("ix_task_history_task_id"), table_name="task_history")
    op.drop_table("task_history")
    with op.batch_alter_table("task_view") as batch:
        batch.drop_column("resolvable")
    with op.batch_alter_table("alert_view") as batch:
        batch.drop_column("resolved_on")
    with op.batch_alter_table("project_view") as batch:
        batch.drop_column("archived_on")
        batch.drop_column("registered_on")
