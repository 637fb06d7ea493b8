"""Problems (堵点) have a status of their own - open, in progress, solved, escalated - with its day and history.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("problems", sa.Column("status", sa.String(length=20), nullable=False, server_default="open"))
    op.add_column("problems", sa.Column("status_changed_on", sa.Date(), nullable=True))
    op.add_column("problems", sa.Column("history", sa.JSON(), nullable=True))
    op.create_index("ix_problems_solving_unit_status", "problems", ["solving_unit_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_problems_solving_unit_status", table_name="problems")
    with op.batch_alter_table("problems") as batch:
        batch.drop_column("history")
        batch.drop_column("status_changed_on")
        batch.drop_column("status")
