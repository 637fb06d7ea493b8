"""An alert's wording: its message with the days passing as placeholders, rendered for the day shown.

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
    op.add_column("alerts", sa.Column("wording", sa.Text(), nullable=True))
    # the next scan words the active alerts of every project that has one (their messages were stored as of a day)
    op.execute("UPDATE project_facts SET due_on = NULL WHERE id IN "
               "(SELECT subject_id FROM alerts WHERE active_key IS NOT NULL)")


def downgrade() -> None:
    op.drop_column("alerts", "wording")
