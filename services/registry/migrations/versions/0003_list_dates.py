"""Projects carry the business dates of the list: the day each joined it (入库日期, may be back-dated), the day it
left it (archived), and the platform's day it was entered. Rows written before are dated by when they were created.

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
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("listed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("delisted_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("registered_on", sa.Date(), nullable=True))
    op.execute("UPDATE projects SET listed_on = date(created_at), registered_on = date(created_at)")


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("registered_on")
        batch.drop_column("delisted_on")
        batch.drop_column("listed_on")
