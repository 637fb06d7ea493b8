"""Milestones tables: project and unit facts from the registry, custom templates, schedules, nodes, their history and scans."""
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class ProjectFact(Base):
    """What the milestones service knows of a registry project, from its events (the newest version wins)."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    responsible_unit_id: Mapped[str] = mapped_column(String(36), index=True)
    category: Mapped[str] = mapped_column(String(40))
    # The project's year bounds the dates its nodes may take (contracts.registry.plausible_dates); unknown for rows
    # written before it was kept, until the project's next event.
    year: Mapped[int | None] = mapped_column(Integer)
    # Suspended (停工, approved in the registry) since this day; None while the project runs.
    suspended_on: Mapped[date | None] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(20))
    planned_start_date: Mapped[date | None] = mapped_column(Date)
    planned_completion_date: Mapped[date | None] = mapped_column(Date)
    stage_dates: Mapped[dict] = mapped_column(JSON, default=dict)
    real_start_date: Mapped[date | None] = mapped_column(Date)
    statistics_included_date: Mapped[date | None] = mapped_column(Date)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UnitFact(Base):
    """A registry unit's name, so the delays charged to it read as the office writes them."""

    __tablename__ = "units"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))


class CustomTemplate(Base):
    __tablename__ = "templates"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    nodes: Mapped[list] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Schedule(Base):
    """How a project's schedule was generated; closed when the project is archived."""

    __tablename__ = "schedules"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    template: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(10))
    anchor_date: Mapped[date] = mapped_column(Date)
    anchor_key: Mapped[str | None] = mapped_column(String(64))
    calendar: Mapped[str] = mapped_column(String(10))
    revision: Mapped[int] = mapped_column(Integer)
    generated_by: Mapped[str] = mapped_column(String(200))
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when open nodes whose derived date had passed were planned from this day (see schedules.service).
    replanned_from: Mapped[date | None] = mapped_column(Date)


class Milestone(Base):
    """A schedule node (节点): planned, baseline and actual dates, responsibility, dependencies by key."""

    __tablename__ = "milestones"
    __table_args__ = (
        UniqueConstraint("project_id", "key", name="uq_milestones_project_key"),
        Index("ix_milestones_planned_date", "planned_date", "id"),
        Index("ix_milestones_unit_planned_date", "responsible_unit_id", "planned_date"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str | None] = mapped_column(String(20))
    trigger: Mapped[str | None] = mapped_column(String(30))
    duration_days: Mapped[int] = mapped_column(Integer)
    predecessors: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer)
    planned_date: Mapped[date] = mapped_column(Date)
    baseline_date: Mapped[date] = mapped_column(Date)
    actual_date: Mapped[date | None] = mapped_column(Date)
    # The node's project is suspended since this day: it does not age and comes due never until it resumes.
    paused_on: Mapped[date | None] = mapped_column(Date)
    # Days late at completion (actual minus planned, at least 0); kept so lists filter on it in SQL.
    done_days_late: Mapped[int | None] = mapped_column(Integer)
    # The planned date was set by hand (rescheduled, pinned, added): the critical path treats it as a commitment.
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    responsible_unit_id: Mapped[str | None] = mapped_column(String(36))
    responsible_person: Mapped[str | None] = mapped_column(String(100))
    weight: Mapped[int] = mapped_column(Integer, default=1)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    custom: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_by: Mapped[str | None] = mapped_column(String(20))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    alert: Mapped["MilestoneAlert"] = relationship(lazy="joined", innerjoin=True, cascade="all, delete-orphan",
                                                   primaryjoin="Milestone.id == foreign(MilestoneAlert.milestone_id)")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MilestoneChange(Base):
    """A node's history: planned, rescheduled (with the reason), reassigned, completed, reopened, removed."""

    __tablename__ = "milestone_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    milestone_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MilestoneAlert(Base):
    """Where a node stands in the daily scan: the scan picks nodes whose next alert date has come.

    Kept apart from the wide node row so that moving the date rewrites a narrow row with two indexes; a round
    restarts (and the node may be announced again) when its plan changes or it is reopened.
    """

    __tablename__ = "milestone_alerts"
    __table_args__ = (
        # Only open nodes have an alert date: the scan's index stays as small as the work it finds.
        Index("ix_milestone_alerts_next_alert_date", "next_alert_date",
              postgresql_where=text("next_alert_date IS NOT NULL"), sqlite_where=text("next_alert_date IS NOT NULL")),
    )

    milestone_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    alert_round: Mapped[int] = mapped_column(Integer, default=0)
    next_alert_date: Mapped[date | None] = mapped_column(Date)


class AlertCrossing(Base):
    """The log of announcements: one row per due-soon or overdue event the scan emitted (append-only)."""

    __tablename__ = "alert_crossings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=True)
    milestone_id: Mapped[str] = mapped_column(String(36))
    alert_round: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    planned_date: Mapped[date] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)
    days_late: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScanRun(Base):
    __tablename__ = "scan_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    trigger: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    examined: Mapped[int] = mapped_column(Integer)
    due_soon: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)
