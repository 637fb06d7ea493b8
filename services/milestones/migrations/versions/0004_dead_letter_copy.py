"""A copy of every dead letter in the service's own database (the embedded broker keeps nothing over a restart).

Revision ID: 0004
Revises: 0003
"""
from kit.migrations import create_dead_letter_copy

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_dead_letter_copy()


def downgrade() -> None:
    pass
