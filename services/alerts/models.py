"""Alerts tables: facts kept from events, rule settings, alerts, project status, tasks, problems, rounds, webhooks."""
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy import DateTime as SqlDateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from kit.db import Money

# BigInteger ids autoincrement on SQLite only as INTEGER PRIMARY KEY.
SERIAL = BigInteger().with_variant(Integer(), "sqlite")


class DateTime(TypeDecorator):
    """A UTC timestamp that reads back time-zone aware on SQLite too (which drops the offset)."""

    impl = SqlDateTime(timezone=True)
    cache_ok = True

    def __init__(self, timezone: bool = True):
        super().__init__()

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class Unit(Base):
    """Units as the registry announced them (names for rounds and escalations)."""

    __tablename__ = "units"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(String(36))


class ProjectFact(Base):
    """What the rules need of a project, from registry events; version 0 until its state event arrives."""

    __tablename__ = "project_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(300), default="")
    year: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    lead_leader: Mapped[str | None] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(20), default="planning")
    planned_start_date: Mapped[date | None] = mapped_column(Date)
    planned_completion_date: Mapped[date | None] = mapped_column(Date)
    signed_on: Mapped[date | None] = mapped_column(Date)
    land_supplied_on: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    real_start_date: Mapped[date | None] = mapped_column(Date)
    statistics_status: Mapped[str] = mapped_column(String(20), default="not_submitted")
    annual_plan_investment: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    ytd_investment: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    ytd_year: Mapped[int | None] = mapped_column(Integer)
    # when the registry staged the investment event the figures above came from: an older one re-fed after it
    # (a broker that lost its log) changes nothing
    ytd_event_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    government_funded: Mapped[bool] = mapped_column(Boolean, default=False)
    budget: Mapped[Decimal | None] = mapped_column(Money)
    approved_adjustments: Mapped[Decimal | None] = mapped_column(Money)
    spent_to_date: Mapped[Decimal | None] = mapped_column(Money)
    overrun_ratio: Mapped[Decimal | None] = mapped_column(Money)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # The platform's day the project was entered: grace periods for a late or mid-flight entry count from it.
    registered_on: Mapped[date | None] = mapped_column(Date)
    # The day it joined the key-project list (入库): a reporting round expects it from that month on.
    listed_on: Mapped[date | None] = mapped_column(Date)
    # Suspended (停工) since this day: not evaluated (its alerts stay as they were, no new task), graded 暂停.
    suspended_on: Mapped[date | None] = mapped_column(Date)
    # The date the project was last evaluated for: events never evaluate it for an earlier date.
    evaluated_on: Mapped[date | None] = mapped_column(Date)
    # The daily scan's next day for it (services.alerts.evaluation.due); NULL: the next scan, whatever its day.
    due_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MilestoneFact(Base):
    """A schedule node from milestones events; removed nodes are deleted."""

    __tablename__ = "milestone_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    planned_date: Mapped[date] = mapped_column(Date)
    actual_date: Mapped[date | None] = mapped_column(Date)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int | None] = mapped_column(Integer)  # the node's, as its newest event said
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ParcelFact(Base):
    __tablename__ = "parcel_facts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[str | None] = mapped_column(String(36), index=True)
    location: Mapped[str | None] = mapped_column(String(300))
    start_deadline: Mapped[date] = mapped_column(Date)
    started_date: Mapped[date | None] = mapped_column(Date)
    evaluated_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RuleSetting(Base):
    """The current switch and thresholds of a rule (or of the supervision tasks); defaults until first changed."""

    __tablename__ = "rule_settings"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    opens_task: Mapped[bool] = mapped_column(Boolean)
    thresholds: Mapped[dict] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RuleSettingChange(Base):
    """Every version of every rule's settings: who changed what, when and why."""

    __tablename__ = "rule_setting_changes"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean)
    opens_task: Mapped[bool] = mapped_column(Boolean)
    thresholds: Mapped[dict] = mapped_column(JSON)
    changes: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Alert(Base):
    """One alert of one rule about one subject (a project, or a parcel); at most one active per subject and rule."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_listing", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[str | None] = mapped_column(String(36), index=True)
    parcel_id: Mapped[str | None] = mapped_column(String(36))
    unit_id: Mapped[str | None] = mapped_column(String(36), index=True)
    rule: Mapped[str] = mapped_column(String(40), index=True)
    colour: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)  # as of `as_of`
    # The message with the days passing as placeholders (contracts.alerts.render); NULL when worded before it was kept.
    wording: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    escalated_to: Mapped[str | None] = mapped_column(String(40))
    # "<subject>|<rule>" while active or acknowledged, NULL once resolved: the database keeps one active alert.
    active_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    raised_on: Mapped[date] = mapped_column(Date)
    escalated_on: Mapped[date | None] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertChange(Base):
    """An alert's history: raised, escalated, downgraded, acknowledged, resolved."""

    __tablename__ = "alert_changes"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(20))
    colour: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProjectStatus(Base):
    """A project's colour and grade as last evaluated."""

    __tablename__ = "project_status"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    colour: Mapped[str] = mapped_column(String(10), index=True)
    grade: Mapped[str] = mapped_column(String(10))
    # Written only when colour or grade change, so a daily scan of unchanged projects writes nothing here.
    changed_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Task(Base):
    """A supervision task (督办件) for a unit: open → feedback_submitted → closed (销号), or returned to open."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_listing", "created_at", "id"), Index("ix_tasks_due", "status", "deadline"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # For a task opened by an alert: the alert's subject (project or parcel), so a new red alert reuses the task.
    subject_id: Mapped[str | None] = mapped_column(String(36), index=True)
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    escalation_level: Mapped[str] = mapped_column(String(20), default="none")
    escalated_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10))
    alert_id: Mapped[str | None] = mapped_column(String(36), index=True)
    rule: Mapped[str | None] = mapped_column(String(40))
    problem_id: Mapped[str | None] = mapped_column(String(36))
    problem_type: Mapped[str | None] = mapped_column(String(20))
    resolvable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Its project is suspended: the task waits (not late, not escalated); resumed, its deadline moves by the pause.
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    feedback: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list | None] = mapped_column(JSON)  # links to the photos and documents of the feedback
    verification_note: Mapped[str | None] = mapped_column(Text)
    return_reason: Mapped[str | None] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TaskChange(Base):
    """A task's history: opened, feedback, returned, closed, escalated, resolvable."""

    __tablename__ = "task_changes"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    escalation_level: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Problem(Base):
    """A blocking problem (堵点) of a project, handed to the unit that must solve it as a task."""

    __tablename__ = "problems"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    solving_unit_id: Mapped[str] = mapped_column(String(36))
    task_id: Mapped[str] = mapped_column(String(36))
    reported_by: Mapped[str] = mapped_column(String(200))
    reported_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # open → in_progress → solved (the solving unit), escalated / reopened (the office); each move in `history`.
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    status_changed_on: Mapped[date | None] = mapped_column(Date)
    history: Mapped[list | None] = mapped_column(JSON)


class SupervisionRound(Base):
    """The frozen list for one monthly supervision day: red and yellow projects and open tasks per unit."""

    __tablename__ = "supervision_rounds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    date: Mapped[date] = mapped_column(Date, unique=True)
    units: Mapped[list] = mapped_column(JSON)
    totals: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReportingRoundFact(Base):
    """A monthly reporting round (月调度) the registry opened; its non-reporters get a task once its deadline passed."""

    __tablename__ = "reporting_rounds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    year: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date] = mapped_column(Date)
    # The scan day the non-reporters' tasks were opened (once per round).
    tasks_opened_on: Mapped[date | None] = mapped_column(Date)


class RoundReportFact(Base):
    """A project's report in a round, as the registry announced it."""

    __tablename__ = "round_reports"

    round_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class ScanRun(Base):
    """One daily scan for a date: when it ran and what it changed."""

    __tablename__ = "scan_runs"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    trigger: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    counts: Mapped[dict] = mapped_column(JSON, default=dict)


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[list] = mapped_column(JSON)
    filters: Mapped[dict] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Deliveries of one subscription go out in order; after a failure the next attempt waits until this time.
    retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(Base):
    """One event owed to one subscription (written with the event: an outbox per subscriber)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_pending", "subscription_id", "delivered_at", "id"),)

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(200))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookAttempt(Base):
    """The delivery log: every attempt with its outcome."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str] = mapped_column(String(36), index=True)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
