"""Overview and breakdown API models: exact rates (decimals to 12 places) with a percentage for display beside each."""
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from contracts.types import Money
from services.reports.figures import Rate, TargetRounding


class Source(StrEnum):
    live = "live"  # the aggregates the handlers keep (today)
    computed = "computed"  # a past date, computed from the projects' dated facts
    snapshot = "snapshot"  # frozen for a month


class Group(BaseModel):
    """One value of a dimension (a colour, a stage, ...) in the overview."""

    label: str
    count: int
    share: Rate | None
    share_percent: str | None
    total_investment: Money
    investment_share: Rate | None
    investment_share_percent: str | None


class NodeFigures(BaseModel):
    total: int
    done: int
    done_on_time: int
    late: int
    on_time_rate: Rate | None  # done on time / (done + late)
    on_time_rate_percent: str | None


class ThreeClasses(BaseModel):
    """三类项目."""

    signed_without_land: int
    land_without_start: int
    started_not_completed: int


class StatisticsFigures(BaseModel):
    """入库纳统: accepted is included."""

    included_count: int
    submitted_count: int
    rejected_count: int
    not_submitted_count: int


class ParcelFigures(BaseModel):
    """Sold land parcels (出让地块) as of the date."""

    sold_count: int
    past_deadline_count: int  # should have started by now
    started_count: int
    idle_count: int  # past the start deadline, not started
    idle_over_one_year_count: int


class Overview(BaseModel):
    year: int | None
    unit_id: str | None
    as_of: date
    source: Source
    period: str | None = None
    snapshot_version: int | None = None  # the version of the period's snapshot the figures read
    project_count: int
    total_investment: Money
    total_investment_yi: Decimal
    annual_plan_investment: Money
    annual_plan_investment_yi: Decimal
    ytd_investment: Money
    ytd_investment_yi: Decimal
    investment_completion_rate: Rate | None
    investment_completion_rate_percent: str | None
    started_count: int  # started and not completed
    completed_count: int  # completed or in operation
    started_or_completed_count: int
    start_or_completion_rate: Rate | None
    start_or_completion_rate_percent: str | None
    start_rate_project_count: int  # the rate's denominator: the list, without suspended projects if so configured
    start_rate_counts_suspended: bool  # KP_SUSPENDED_IN_START_RATE (or the rule the snapshot was taken with)
    completion_rate: Rate | None
    completion_rate_percent: str | None
    target_rate: Decimal
    target_rate_percent: str
    target_count: int  # target_rate × project_count to a whole project, by target_rounding
    target_rounding: TargetRounding  # nearest (x.5 up) or up (ceil): KP_TARGET_ROUNDING
    target_rounding_note: str  # the rule in Chinese, shown with the figure: 按四舍五入取整
    needed_to_reach_target: int  # max(0, target_count − started_or_completed_count)
    real_start_count: int  # started with the real start (实质性开工) confirmed
    paper_start_count: int  # started without it
    by_colour: dict[str, Group]
    by_grade: dict[str, Group]
    by_stage: dict[str, Group]
    by_sector: dict[str, Group]
    by_category: dict[str, Group]
    by_level: dict[str, Group]
    by_bracket: dict[str, Group]
    three_classes: ThreeClasses
    statistics: StatisticsFigures
    nodes: NodeFigures
    late_nodes: int
    open_tasks: int
    late_tasks: int
    land_parcels: ParcelFigures | None = None


class BreakdownBy(StrEnum):
    sector = "sector"
    category = "category"
    level = "level"
    bracket = "bracket"
    colour = "colour"
    grade = "grade"
    stage = "stage"
    statistics = "statistics"
    unit = "unit"


class BreakdownRow(BaseModel):
    key: str
    label: str
    unit_kind: str | None = None
    project_count: int
    share: Rate | None
    share_percent: str | None
    total_investment: Money
    total_investment_yi: Decimal
    investment_share: Rate | None
    investment_share_percent: str | None
    annual_plan_investment: Money
    ytd_investment: Money
    investment_completion_rate: Rate | None
    investment_completion_rate_percent: str | None
    started_or_completed_count: int
    start_or_completion_rate: Rate | None
    start_or_completion_rate_percent: str | None
    completed_count: int
    completion_rate: Rate | None
    completion_rate_percent: str | None
    node_on_time_rate: Rate | None
    node_on_time_rate_percent: str | None
    late_nodes: int


class Breakdown(BaseModel):
    year: int | None
    unit_id: str | None
    as_of: date
    source: Source
    period: str | None = None
    snapshot_version: int | None = None
    by: BreakdownBy
    total: BreakdownRow
    groups: list[BreakdownRow]
