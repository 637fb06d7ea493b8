"""Periodic report models: a month from its snapshot, quarters and years rolled up from the months' snapshots."""
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from contracts.types import Money
from services.reports.figures import Rate
from services.reports.overview.schemas import Overview
from services.reports.rankings.schemas import Ranking
from services.reports.snapshots.schemas import FrozenProject
from services.reports.targets.schemas import ProgressReport


class Format(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class MonthlyReport(BaseModel):
    period: str
    as_of: date
    taken_at: datetime
    snapshot_kind: str
    snapshot_version: int = 1  # a month re-frozen with a reason is a new version
    snapshot_reason: str | None = None
    scoring_version: int
    overview: Overview
    rankings: dict[str, Ranking]  # by unit group: town, department, other, all
    lagging_projects: list[FrozenProject]  # red or lagging when frozen
    targets: ProgressReport


class MonthFigures(BaseModel):
    period: str
    as_of: date
    project_count: int
    ytd_investment: Money
    investment_completion_rate: Rate | None
    investment_completion_rate_percent: str | None
    started_or_completed_count: int
    start_or_completion_rate: Rate | None
    start_or_completion_rate_percent: str | None
    red_count: int
    yellow_count: int
    late_nodes: int
    late_tasks: int


class RollUp(BaseModel):
    kind: str  # quarterly | yearly
    period: str  # YYYY-Qn | YYYY
    months: list[MonthFigures]  # the months frozen so far, in order
    missing_months: list[str]  # months of the period without a snapshot
    complete: bool
    # Investment completed within the period: year-to-date at its last frozen month minus year-to-date at the end of
    # the quarter before (zero for the first quarter and for a year); None when that snapshot is missing.
    period_investment: Money | None
    latest: MonthlyReport | None  # the report of the last frozen month
