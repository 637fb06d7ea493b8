"""The day the daily scan must next evaluate a project (NULL: the next scan, whatever its day).

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
    op.add_column("project_facts", sa.Column("due_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("project_facts", "due_on")
