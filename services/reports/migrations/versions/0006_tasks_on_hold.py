"""A suspended project's tasks wait (on hold): neither late now nor as of the days they waited.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("task_view", sa.Column("on_hold", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("task_history", sa.Column("on_hold", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("task_history") as batch:
        batch.drop_column("on_hold")
    with op.batch_alter_table("task_view") as batch:
        batch.drop_column("on_hold")
