"""The deployment each unit and project comes from (a city's reports reads its districts' events): the `source`
prefix of the events that announced it; NULL in rows from before, which are this deployment's own. Whether a
snapshot's start-or-completion rate counted suspended projects (those taken before did).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("unit_view", sa.Column("deployment", sa.String(length=200), nullable=True))
    op.add_column("project_view", sa.Column("deployment", sa.String(length=200), nullable=True))
    op.add_column("snapshot", sa.Column("suspended_in_start_rate", sa.Boolean(), nullable=False,
                                        server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("snapshot", "suspended_in_start_rate")
    op.drop_column("project_view", "deployment")
    op.drop_column("unit_view", "deployment")
