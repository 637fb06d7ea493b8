"""Projects carry the platform's day they were entered: a grace period before supervision tasks, and colours
capped at yellow in the first days, count from it. Rows kept from before count as entered long ago (NULL).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("project_facts", sa.Column("registered_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("project_facts") as batch:
        batch.drop_column("registered_on")
