"""Reports tables: read models written only by event handlers, the aggregates they keep, and reports' own data
(scoring weights, targets, frozen snapshots, rebuild runs)."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import Money

# BigInteger ids autoincrement on SQLite only as INTEGER PRIMARY KEY.
_id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


# ---- read models: rebuilt from the retained events by POST /admin/rebuild --------------------------------------


class UnitView(Base):
    __tablename__ = "unit_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(String(36))
    deployment: Mapped[str | None] = mapped_column(String(200))  # the source prefix of its events (NULL: our own)


class ProjectView(Base):
    """One project as reports know it: the registry's facts plus what the other services said about it.

    A row may exist before its ProjectRegistered arrives (a status or node event came first on another topic):
    `registered` is false then and the row counts nowhere until it is. Figures as of a past date count the project
    from the day it was registered until the day it was archived (the dates of those events; NULL in rows kept from
    before they were recorded: registered all along, archived ever since - a rebuild dates them)."""

    __tablename__ = "project_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deployment: Mapped[str | None] = mapped_column(String(200))  # the source prefix of its events (NULL: our own)
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # On the list from / until (the registry's 入库 and 出库 business dates, else the day first seen).
    registered_on: Mapped[date | None] = mapped_column(Date)
    archived_on: Mapped[date | None] = mapped_column(Date)
    # The platform's day the project was entered (not a business date of the list): go-live of automatic snapshots.
    entered_on: Mapped[date | None] = mapped_column(Date)
    # The registry's version of the facts below; older project events are ignored.
    version: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(300))
    year: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[str | None] = mapped_column(String(36), index=True)
    level: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(40))
    sector: Mapped[str | None] = mapped_column(String(20))
    bracket: Mapped[str | None] = mapped_column(String(10))
    stage: Mapped[str | None] = mapped_column(String(20))
    total_investment: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    annual_plan_investment: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    owner: Mapped[str | None] = mapped_column(String(200))
    lead_leader: Mapped[str | None] = mapped_column(String(100))
    planned_start_date: Mapped[date | None] = mapped_column(Date)
    planned_completion_date: Mapped[date | None] = mapped_column(Date)
    signed_date: Mapped[date | None] = mapped_column(Date)
    land_supplied_date: Mapped[date | None] = mapped_column(Date)
    started_date: Mapped[date | None] = mapped_column(Date)
    completed_date: Mapped[date | None] = mapped_column(Date)
    in_operation_date: Mapped[date | None] = mapped_column(Date)
    real_start_date: Mapped[date | None] = mapped_column(Date)
    government_funded: Mapped[bool] = mapped_column(Boolean, default=False)
    concentrated_start: Mapped[bool] = mapped_column(Boolean, default=False)
    # From the registry's statistics events.
    statistics_status: Mapped[str] = mapped_column(String(20), default="not_submitted")
    statistics_date: Mapped[date | None] = mapped_column(Date)
    # From the alerts service: colour is blue until it says otherwise; grade is unknown ("unrated") until then.
    colour: Mapped[str] = mapped_column(String(10), default="blue")
    grade: Mapped[str | None] = mapped_column(String(10))
    status_as_of: Mapped[date | None] = mapped_column(Date)
    # Sum of the monthly investments of the project's own year.
    ytd_investment: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    # From the milestones service: the project's schedule nodes.
    nodes_total: Mapped[int] = mapped_column(Integer, default=0)
    nodes_done: Mapped[int] = mapped_column(Integer, default=0)
    nodes_done_on_time: Mapped[int] = mapped_column(Integer, default=0)
    nodes_late: Mapped[int] = mapped_column(Integer, default=0)
    # When the last event was applied: the end of the write path, read by the latency benchmark.
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_project_view_year_unit", "year", "unit_id"),
        # the projects that count, by id with their year: task counts probe it per task, index only (migration 0003)
        Index("ix_project_view_counted", "id", "year",
              postgresql_where=text("registered IS TRUE AND archived IS FALSE")),
    )


class InvestmentMonth(Base):
    """One month's completed investment of a project (万元), so year-to-date as of any date is exact."""

    __tablename__ = "investment_month"

    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    # when its producer staged the event it came from: an older one (re-fed after it) changes nothing
    event_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MilestoneView(Base):
    __tablename__ = "milestone_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    planned_date: Mapped[date] = mapped_column(Date)
    actual_date: Mapped[date | None] = mapped_column(Date)
    days_late: Mapped[int] = mapped_column(Integer, default=0)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int | None] = mapped_column(Integer)  # the node's, as its newest event said


class TaskView(Base):
    """A supervision task (督办件): belongs to a unit, sometimes to a project."""

    __tablename__ = "task_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(String(36), index=True)
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(30))
    deadline: Mapped[date] = mapped_column(Date)
    escalation_level: Mapped[str] = mapped_column(String(20))
    # Its alert has cleared: it only waits for verification, and is not late (as the alerts service counts).
    resolvable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Its project is suspended (停工): it waits, and is not late either.
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # when its producer staged the event it came from: an older one (re-fed after it) changes nothing
    event_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The year of its project while the project counts (registered, not archived), else None: kept by the task's
    # events and by its project's row (projection), so a year's live task counts need no lookup per task.
    counted_year: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_task_view_open", "status", "unit_id"),
                      Index("ix_task_view_counted_open", "counted_year", "unit_id",
                            postgresql_where=text("status <> 'closed'"), sqlite_where=text("status <> 'closed'")),
                      # those late once past their deadline (sources.late_task)
                      Index("ix_task_view_counted_late", "counted_year", "unit_id", "deadline",
                            postgresql_where=text("status = 'open' AND resolvable IS false AND on_hold IS false"),
                            sqlite_where=text("status = 'open' AND resolvable IS 0 AND on_hold IS 0")))


class TaskHistory(Base):
    """Every state a task was published in, dated: open, awaiting verification or closed as of a past date."""

    __tablename__ = "task_history"

    id: Mapped[int] = mapped_column(_id, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(30))
    resolvable: Mapped[bool] = mapped_column(Boolean)
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)


class AlertView(Base):
    """An alert as last announced; its message explains a red or yellow project on the board and in reports, shown
    for the day shown (contracts.alerts.message_on)."""

    __tablename__ = "alert_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    rule: Mapped[str] = mapped_column(String(100))
    colour: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)  # as of `as_of`
    wording: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    raised_on: Mapped[date] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    # when its producer staged the event it came from: an older one (re-fed after it) changes nothing
    event_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ParcelView(Base):
    __tablename__ = "parcel_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[str | None] = mapped_column(String(36))
    area_mu: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    sale_date: Mapped[date | None] = mapped_column(Date)
    delivery_date: Mapped[date | None] = mapped_column(Date)
    start_deadline: Mapped[date] = mapped_column(Date)
    started_date: Mapped[date | None] = mapped_column(Date)


class StatusHistory(Base):
    """Every colour and grade the alerts service gave a project, dated: the colour as of a past date."""

    __tablename__ = "status_history"

    id: Mapped[int] = mapped_column(_id, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    colour: Mapped[str] = mapped_column(String(10))
    grade: Mapped[str] = mapped_column(String(10))


class ProjectMove(Base):
    """A dated change of a project's unit or year (a correction takes effect on its day): figures as of a day before
    it count the project where it was then."""

    __tablename__ = "project_moves"

    id: Mapped[int] = mapped_column(_id, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    effective_on: Mapped[date] = mapped_column(Date)
    unit_from: Mapped[str | None] = mapped_column(String(36))
    year_from: Mapped[int | None] = mapped_column(Integer)
    unit_to: Mapped[str | None] = mapped_column(String(36))
    year_to: Mapped[int | None] = mapped_column(Integer)


class StatisticsHistory(Base):
    """Every statistics-inclusion status of a project, dated: inclusion as of a past date."""

    __tablename__ = "statistics_history"

    id: Mapped[int] = mapped_column(_id, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))


class _Metrics:
    """What each cell sums over its projects (see services.reports.cells.METRICS)."""

    project_count: Mapped[int] = mapped_column(Integer, default=0)
    total_investment: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    annual_plan_investment: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    ytd_investment: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    started_or_completed_count: Mapped[int] = mapped_column(Integer, default=0)
    completed_count: Mapped[int] = mapped_column(Integer, default=0)
    real_start_count: Mapped[int] = mapped_column(Integer, default=0)
    nodes_total: Mapped[int] = mapped_column(Integer, default=0)
    nodes_done: Mapped[int] = mapped_column(Integer, default=0)
    nodes_done_on_time: Mapped[int] = mapped_column(Integer, default=0)
    nodes_late: Mapped[int] = mapped_column(Integer, default=0)
    red_count: Mapped[int] = mapped_column(Integer, default=0)
    yellow_count: Mapped[int] = mapped_column(Integer, default=0)


class UnitYearCell(_Metrics, Base):
    """Aggregates kept up to date by the handlers: per list year, unit ('*' = every unit) and one dimension value
    (dimension 'all' = the unit's total). Handlers add the difference a project's event made, atomically."""

    __tablename__ = "unit_year_cell"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(30), primary_key=True)

    # every unit's cell of one dimension value (rankings read each unit's 'all' cell)
    __table_args__ = (Index("ix_unit_year_cell_value", "year", "dimension", "value"),)


class RoundView(Base):
    """A monthly reporting round (月调度) the registry opened."""

    __tablename__ = "round_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    year: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date] = mapped_column(Date)


class RoundReportView(Base):
    """A project's report in a round: whether it came late (its first submission), where it stands."""

    __tablename__ = "round_report_view"

    round_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))
    late: Mapped[bool] = mapped_column(Boolean)


class SuspensionView(Base):
    """An approved suspension (停工) and, once approved, its resumption."""

    __tablename__ = "suspension_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), index=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str | None] = mapped_column(String(40))
    suspended_on: Mapped[date] = mapped_column(Date)
    resumed_on: Mapped[date | None] = mapped_column(Date)


READ_MODELS = (UnitView, ProjectView, InvestmentMonth, MilestoneView, TaskView, TaskHistory, AlertView, ParcelView,
               StatusHistory, StatisticsHistory, ProjectMove, UnitYearCell, RoundView, RoundReportView, SuspensionView)


# ---- reports' own data: kept across rebuilds ----------------------------------------------------------------------


class ScoringVersion(Base):
    """Weights of the ranking score; every change is a new version, and snapshots name the one they used."""

    __tablename__ = "scoring_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    weights: Mapped[dict] = mapped_column(JSON)  # metric -> decimal string
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Target(Base):
    """A figure handed down for the year (上级下达任务) on a measure over the projects a filter selects."""

    __tablename__ = "target"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(300))
    measure: Mapped[str] = mapped_column(String(30))
    category: Mapped[str | None] = mapped_column(String(40))
    sector: Mapped[str | None] = mapped_column(String(20))
    bracket: Mapped[str | None] = mapped_column(String(10))
    level: Mapped[str | None] = mapped_column(String(20))
    unit_id: Mapped[str | None] = mapped_column(String(36))
    value: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Snapshot(Base):
    """The figures of one month frozen as of its last day: overview cells, units, projects, targets."""

    __tablename__ = "snapshot"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    year: Mapped[int] = mapped_column(Integer, index=True)
    as_of: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # manual | auto
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    taken_by: Mapped[str] = mapped_column(String(200))
    scoring_version: Mapped[int] = mapped_column(Integer)
    target_rate: Mapped[str] = mapped_column(String(20))
    # whether suspended projects counted in the start-or-completion rate when it was taken (KP_SUSPENDED_IN_START_RATE)
    suspended_in_start_rate: Mapped[bool] = mapped_column(Boolean, default=True)
    targets: Mapped[list] = mapped_column(JSON)  # target progress rows as of `as_of`
    parcels: Mapped[dict] = mapped_column(JSON)  # land parcel figures by unit ('*' = all) as of `as_of`
    # A month re-frozen with a reason is a new version; the earlier ones are kept in snapshot_versions.
    version: Mapped[int] = mapped_column(Integer, default=1)
    reason: Mapped[str | None] = mapped_column(Text)


class SnapshotVersion(Base):
    """An earlier version of a month's snapshot, as it read before the month was re-frozen: readable for ever."""

    __tablename__ = "snapshot_versions"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    superseded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[dict] = mapped_column(JSON)  # the snapshot with its whole-list overview (SnapshotDetail)


class SnapshotCell(_Metrics, Base):
    __tablename__ = "snapshot_cell"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(30), primary_key=True)
    # Supervision tasks of the unit as of the snapshot (kept on its 'all' cell).
    open_tasks: Mapped[int] = mapped_column(Integer, default=0)
    late_tasks: Mapped[int] = mapped_column(Integer, default=0)


class SnapshotUnit(Base):
    __tablename__ = "snapshot_unit"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))


class SnapshotProject(Base):
    __tablename__ = "snapshot_project"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[str] = mapped_column(String(36))
    level: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    sector: Mapped[str] = mapped_column(String(20))
    bracket: Mapped[str] = mapped_column(String(10))
    stage: Mapped[str] = mapped_column(String(20))
    colour: Mapped[str] = mapped_column(String(10))
    grade: Mapped[str] = mapped_column(String(10))
    statistics_status: Mapped[str] = mapped_column(String(20))
    total_investment: Mapped[Decimal] = mapped_column(Money)
    annual_plan_investment: Mapped[Decimal] = mapped_column(Money)
    ytd_investment: Mapped[Decimal] = mapped_column(Money)
    real_started: Mapped[bool] = mapped_column(Boolean)
    nodes_total: Mapped[int] = mapped_column(Integer)
    nodes_done: Mapped[int] = mapped_column(Integer)
    nodes_done_on_time: Mapped[int] = mapped_column(Integer)
    nodes_late: Mapped[int] = mapped_column(Integer)
    government_funded: Mapped[bool] = mapped_column(Boolean)
    concentrated_start: Mapped[bool] = mapped_column(Boolean)
    owner: Mapped[str | None] = mapped_column(String(200))
    lead_leader: Mapped[str | None] = mapped_column(String(100))
    alert_messages: Mapped[list] = mapped_column(JSON)


class RebuildRun(Base):
    __tablename__ = "rebuild_run"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # running | succeeded | failed
    requested_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    events_applied: Mapped[int] = mapped_column(Integer, default=0)
    events_skipped: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class DataVersion(Base):
    """One row: counts the transactions that changed this database (services.reports.data_version), so an answer
    computed at one count is known current while the count stays."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
