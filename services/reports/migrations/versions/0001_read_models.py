"""Reports read models, their aggregates, and reports' own data (scoring weights, targets, snapshots, rebuilds).

Revision ID: 0001
Revises:
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from kit.db import Money
from kit.migrations import create_plumbing_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The weights in force until an admin puts others (PUT /api/v1/scoring): version 1.
DEFAULT_WEIGHTS = {
    "investment_completion_rate": "40", "start_or_completion_rate": "30", "node_on_time_rate": "20",
    "completion_rate": "10", "red_count": "-2", "yellow_count": "-1", "open_tasks": "0", "late_tasks": "-1",
}


def upgrade() -> None:
    create_plumbing_tables()
    op.create_table('alert_view',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('colour', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_alert_view_project_id'), 'alert_view', ['project_id'], unique=False)
    op.create_table('investment_month',
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', Money(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'period')
    )
    op.create_table('milestone_view',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=False),
    sa.Column('actual_date', sa.Date(), nullable=True),
    sa.Column('days_late', sa.Integer(), nullable=False),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_milestone_view_project_id'), 'milestone_view', ['project_id'], unique=False)
    op.create_table('parcel_view',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=True),
    sa.Column('area_mu', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('sale_date', sa.Date(), nullable=True),
    sa.Column('delivery_date', sa.Date(), nullable=True),
    sa.Column('start_deadline', sa.Date(), nullable=False),
    sa.Column('started_date', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_parcel_view_unit_id'), 'parcel_view', ['unit_id'], unique=False)
    op.create_table('project_view',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('registered', sa.Boolean(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.String(length=36), nullable=True),
    sa.Column('level', sa.String(length=20), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('sector', sa.String(length=20), nullable=True),
    sa.Column('bracket', sa.String(length=10), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=True),
    sa.Column('total_investment', Money(), nullable=False),
    sa.Column('annual_plan_investment', Money(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('lead_leader', sa.String(length=100), nullable=True),
    sa.Column('planned_start_date', sa.Date(), nullable=True),
    sa.Column('planned_completion_date', sa.Date(), nullable=True),
    sa.Column('signed_date', sa.Date(), nullable=True),
    sa.Column('land_supplied_date', sa.Date(), nullable=True),
    sa.Column('started_date', sa.Date(), nullable=True),
    sa.Column('completed_date', sa.Date(), nullable=True),
    sa.Column('in_operation_date', sa.Date(), nullable=True),
    sa.Column('real_start_date', sa.Date(), nullable=True),
    sa.Column('government_funded', sa.Boolean(), nullable=False),
    sa.Column('concentrated_start', sa.Boolean(), nullable=False),
    sa.Column('statistics_status', sa.String(length=20), nullable=False),
    sa.Column('statistics_date', sa.Date(), nullable=True),
    sa.Column('colour', sa.String(length=10), nullable=False),
    sa.Column('grade', sa.String(length=10), nullable=True),
    sa.Column('status_as_of', sa.Date(), nullable=True),
    sa.Column('ytd_investment', Money(), nullable=False),
    sa.Column('nodes_total', sa.Integer(), nullable=False),
    sa.Column('nodes_done', sa.Integer(), nullable=False),
    sa.Column('nodes_done_on_time', sa.Integer(), nullable=False),
    sa.Column('nodes_late', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_project_view_unit_id'), 'project_view', ['unit_id'], unique=False)
    op.create_index('ix_project_view_year_unit', 'project_view', ['year', 'unit_id'], unique=False)
    op.create_table('rebuild_run',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('events_applied', sa.Integer(), nullable=False),
    sa.Column('events_skipped', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('scoring_version',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version')
    )
    op.create_table('snapshot',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('taken_by', sa.String(length=200), nullable=False),
    sa.Column('scoring_version', sa.Integer(), nullable=False),
    sa.Column('target_rate', sa.String(length=20), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('parcels', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('period')
    )
    op.create_index(op.f('ix_snapshot_year'), 'snapshot', ['year'], unique=False)
    op.create_table('snapshot_cell',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('dimension', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=30), nullable=False),
    sa.Column('open_tasks', sa.Integer(), nullable=False),
    sa.Column('late_tasks', sa.Integer(), nullable=False),
    sa.Column('project_count', sa.Integer(), nullable=False),
    sa.Column('total_investment', Money(), nullable=False),
    sa.Column('annual_plan_investment', Money(), nullable=False),
    sa.Column('ytd_investment', Money(), nullable=False),
    sa.Column('started_or_completed_count', sa.Integer(), nullable=False),
    sa.Column('completed_count', sa.Integer(), nullable=False),
    sa.Column('real_start_count', sa.Integer(), nullable=False),
    sa.Column('nodes_total', sa.Integer(), nullable=False),
    sa.Column('nodes_done', sa.Integer(), nullable=False),
    sa.Column('nodes_done_on_time', sa.Integer(), nullable=False),
    sa.Column('nodes_late', sa.Integer(), nullable=False),
    sa.Column('red_count', sa.Integer(), nullable=False),
    sa.Column('yellow_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period', 'unit_id', 'dimension', 'value')
    )
    op.create_table('snapshot_project',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('sector', sa.String(length=20), nullable=False),
    sa.Column('bracket', sa.String(length=10), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('colour', sa.String(length=10), nullable=False),
    sa.Column('grade', sa.String(length=10), nullable=False),
    sa.Column('statistics_status', sa.String(length=20), nullable=False),
    sa.Column('total_investment', Money(), nullable=False),
    sa.Column('annual_plan_investment', Money(), nullable=False),
    sa.Column('ytd_investment', Money(), nullable=False),
    sa.Column('real_started', sa.Boolean(), nullable=False),
    sa.Column('nodes_total', sa.Integer(), nullable=False),
    sa.Column('nodes_done', sa.Integer(), nullable=False),
    sa.Column('nodes_done_on_time', sa.Integer(), nullable=False),
    sa.Column('nodes_late', sa.Integer(), nullable=False),
    sa.Column('government_funded', sa.Boolean(), nullable=False),
    sa.Column('concentrated_start', sa.Boolean(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('lead_leader', sa.String(length=100), nullable=True),
    sa.Column('alert_messages', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('period', 'project_id')
    )
    op.create_table('snapshot_unit',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('period', 'unit_id')
    )
    op.create_table('statistics_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_statistics_history_project_id'), 'statistics_history', ['project_id'], unique=False)
    op.create_table('status_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('colour', sa.String(length=10), nullable=False),
    sa.Column('grade', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_status_history_project_id'), 'status_history', ['project_id'], unique=False)
    op.create_table('target',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('measure', sa.String(length=30), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('sector', sa.String(length=20), nullable=True),
    sa.Column('bracket', sa.String(length=10), nullable=True),
    sa.Column('level', sa.String(length=20), nullable=True),
    sa.Column('unit_id', sa.String(length=36), nullable=True),
    sa.Column('value', Money(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_target_year'), 'target', ['year'], unique=False)
    op.create_table('task_view',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=True),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('escalation_level', sa.String(length=20), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_task_view_open', 'task_view', ['status', 'unit_id'], unique=False)
    op.create_index(op.f('ix_task_view_project_id'), 'task_view', ['project_id'], unique=False)
    op.create_index(op.f('ix_task_view_unit_id'), 'task_view', ['unit_id'], unique=False)
    op.create_table('unit_view',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('unit_year_cell',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=36), nullable=False),
    sa.Column('dimension', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=30), nullable=False),
    sa.Column('project_count', sa.Integer(), nullable=False),
    sa.Column('total_investment', Money(), nullable=False),
    sa.Column('annual_plan_investment', Money(), nullable=False),
    sa.Column('ytd_investment', Money(), nullable=False),
    sa.Column('started_or_completed_count', sa.Integer(), nullable=False),
    sa.Column('completed_count', sa.Integer(), nullable=False),
    sa.Column('real_start_count', sa.Integer(), nullable=False),
    sa.Column('nodes_total', sa.Integer(), nullable=False),
    sa.Column('nodes_done', sa.Integer(), nullable=False),
    sa.Column('nodes_done_on_time', sa.Integer(), nullable=False),
    sa.Column('nodes_late', sa.Integer(), nullable=False),
    sa.Column('red_count', sa.Integer(), nullable=False),
    sa.Column('yellow_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'unit_id', 'dimension', 'value')
    )
    op.create_index('ix_unit_year_cell_value', 'unit_year_cell', ['year', 'dimension', 'value'], unique=False)
    scoring = sa.table("scoring_version", sa.column("version", sa.Integer), sa.column("weights", sa.JSON),
                       sa.column("note", sa.Text), sa.column("created_by", sa.String),
                       sa.column("created_at", sa.DateTime(timezone=True)))
    op.bulk_insert(scoring, [{"version": 1, "weights": DEFAULT_WEIGHTS, "note": "默认权重", "created_by": "migration",
                              "created_at": datetime(2026, 1, 1, tzinfo=timezone.utc)}])


def downgrade() -> None:
    op.drop_table('unit_year_cell')
    op.drop_table('unit_view')
    op.drop_table('task_view')
    op.drop_table('target')
    op.drop_table('status_history')
    op.drop_table('statistics_history')
    op.drop_table('snapshot_unit')
    op.drop_table('snapshot_project')
    op.drop_table('snapshot_cell')
    op.drop_table('snapshot')
    op.drop_table('scoring_version')
    op.drop_table('rebuild_run')
    op.drop_table('project_view')
    op.drop_table('parcel_view')
    op.drop_table('milestone_view')
    op.drop_table('investment_month')
    op.drop_table('alert_view')
