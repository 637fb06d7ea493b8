"""Each node's version as its newest event said, so an older state re-fed after a newer one changes nothing.

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
    op.add_column("milestone_facts", sa.Column("version", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("milestone_facts", "version")
