"""An alert's wording and the day it was worded: its message with the days passing as placeholders, rendered for the
day shown (NULL in rows written from events that did not carry it; those show their message).

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alert_view", sa.Column("wording", sa.Text(), nullable=True))
    op.add_column("alert_view", sa.Column("as_of", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("alert_view", "as_of")
    op.drop_column("alert_view", "wording")
