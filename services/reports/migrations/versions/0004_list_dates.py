"""Business dates of the list: projects count from their 入库 day (listed_on) until their 出库 day, as the registry
dates them; the platform's day each was entered; dated changes of a project's unit or year.

Rows kept from before keep the days they were first seen; POST /api/v1/admin/rebuild re-dates them from the events.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("project_view", sa.Column("entered_on", sa.Date(), nullable=True))
    op.execute("UPDATE project_view SET entered_on = registered_on")
    op.create_table(
        "project_moves",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("unit_from", sa.String(length=36), nullable=True),
        sa.Column("year_from", sa.Integer(), nullable=True),
        sa.Column("unit_to", sa.String(length=36), nullable=True),
        sa.Column("year_to", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_project_moves_project_id"), "project_moves", ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_project_moves_project_id"), table_name="project_moves")
    op.drop_table("project_moves")
    with op.batch_alter_table("project_view") as batch:
        batch.drop_column("entered_on")
