"""Project facts, templates, schedules, nodes with their history and alert state, announcements, scan runs.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_crossings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('milestone_id', sa.String(length=36), nullable=False),
    sa.Column('alert_round', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('days_late', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('milestone_alerts',
    sa.Column('milestone_id', sa.String(length=36), nullable=False),
    sa.Column('alert_round', sa.Integer(), nullable=False),
    sa.Column('next_alert_date', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('milestone_id')
    )
    op.create_index('ix_milestone_alerts_next_alert_date', 'milestone_alerts', ['next_alert_date'], unique=False, postgresql_where=sa.text('next_alert_date IS NOT NULL'), sqlite_where=sa.text('next_alert_date IS NOT NULL'))
    op.create_table('milestone_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('milestone_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_milestone_changes_milestone_id'), 'milestone_changes', ['milestone_id'], unique=False)
    op.create_table('milestones',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=True),
    sa.Column('trigger', sa.String(length=30), nullable=True),
    sa.Column('duration_days', sa.Integer(), nullable=False),
    sa.Column('predecessors', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=False),
    sa.Column('baseline_date', sa.Date(), nullable=False),
    sa.Column('actual_date', sa.Date(), nullable=True),
    sa.Column('done_days_late', sa.Integer(), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('responsible_unit_id', sa.String(length=36), nullable=True),
    sa.Column('responsible_person', sa.String(length=100), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('custom', sa.Boolean(), nullable=False),
    sa.Column('completed_by', sa.String(length=20), nullable=True),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'key', name='uq_milestones_project_key')
    )
    op.create_index('ix_milestones_planned_date', 'milestones', ['planned_date', 'id'], unique=False)
    op.create_index('ix_milestones_unit_planned_date', 'milestones', ['responsible_unit_id', 'planned_date'], unique=False)
    op.create_table('projects',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('responsible_unit_id', sa.String(length=36), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('planned_start_date', sa.Date(), nullable=True),
    sa.Column('planned_completion_date', sa.Date(), nullable=True),
    sa.Column('stage_dates', sa.JSON(), nullable=False),
    sa.Column('real_start_date', sa.Date(), nullable=True),
    sa.Column('statistics_included_date', sa.Date(), nullable=True),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_projects_responsible_unit_id'), 'projects', ['responsible_unit_id'], unique=False)
    op.create_table('scan_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('examined', sa.Integer(), nullable=False),
    sa.Column('due_soon', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_scan_runs_as_of'), 'scan_runs', ['as_of'], unique=False)
    op.create_table('schedules',
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('anchor_date', sa.Date(), nullable=False),
    sa.Column('anchor_key', sa.String(length=64), nullable=True),
    sa.Column('calendar', sa.String(length=10), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('generated_by', sa.String(length=200), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('project_id')
    )
    op.create_table('templates',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('nodes', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('templates')
    op.drop_table('schedules')
    op.drop_index(op.f('ix_scan_runs_as_of'), table_name='scan_runs')
    op.drop_table('scan_runs')
    op.drop_index(op.f('ix_projects_responsible_unit_id'), table_name='projects')
    op.drop_table('projects')
    op.drop_index('ix_milestones_unit_planned_date', table_name='milestones')
    op.drop_index('ix_milestones_planned_date', table_name='milestones')
    op.drop_table('milestones')
    op.drop_index(op.f('ix_milestone_changes_milestone_id'), table_name='milestone_changes')
    op.drop_table('milestone_changes')
    op.drop_index('ix_milestone_alerts_next_alert_date', table_name='milestone_alerts', postgresql_where=sa.text('next_alert_date IS NOT NULL'), sqlite_where=sa.text('next_alert_date IS NOT NULL'))
    op.drop_table('milestone_alerts')
    op.drop_table('alert_crossings')
