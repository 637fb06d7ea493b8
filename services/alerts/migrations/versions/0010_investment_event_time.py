"""When the investment event a project's year-to-date came from was staged, so an older one re-fed after a newer
one (a broker that lost its log) changes nothing.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("project_facts", sa.Column("ytd_event_time", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("project_facts", "ytd_event_time")
