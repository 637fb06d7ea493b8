"""The database's change count: every transaction that changes reports' data adds one as it commits, and the
overview and rankings serve an answer computed at the count they read (services.reports.answers).

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table("data_version", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
                            sa.Column("version", sa.BigInteger(), nullable=False))
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("data_version")
