"""A suspended project (停工) is not evaluated and its tasks wait: the day it was suspended, the tasks on hold.

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
    op.add_column("project_facts", sa.Column("suspended_on", sa.Date(), nullable=True))
    op.add_column("tasks", sa.Column("on_hold", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("on_hold")
    with op.batch_alter_table("project_facts") as batch:
        batch.drop_column("suspended_on")
