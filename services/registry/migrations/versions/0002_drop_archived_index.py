"""Projects lose their index on `archived`: a boolean that is false for nearly every row never narrows a lookup
(listings filter on it beside a selective column or sort key), and every create paid for keeping it.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_projects_archived", table_name="projects")


def downgrade() -> None:
    op.create_index("ix_projects_archived", "projects", ["archived"], unique=False)
