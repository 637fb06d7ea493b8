"""Ranking API models (赛马比拼)."""
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from contracts.types import Money
from services.reports.figures import Rate
from services.reports.overview.schemas import Source
from services.reports.scoring.schemas import Weights


class RankingMetric(StrEnum):
    score = "score"
    investment_completion_rate = "investment_completion_rate"
    start_or_completion_rate = "start_or_completion_rate"
    completion_rate = "completion_rate"
    node_on_time_rate = "node_on_time_rate"
    reporting_on_time_rate = "reporting_on_time_rate"  # monthly reports (月调度) on time / due, over the year's rounds
    red_count = "red_count"
    yellow_count = "yellow_count"
    open_tasks = "open_tasks"
    late_tasks = "late_tasks"


class RateMetric(StrEnum):
    investment_completion_rate = "investment_completion_rate"
    start_or_completion_rate = "start_or_completion_rate"
    completion_rate = "completion_rate"
    node_on_time_rate = "node_on_time_rate"
    reporting_on_time_rate = "reporting_on_time_rate"


class UnitGroup(StrEnum):
    town = "town"  # towns and streets (乡镇街道)
    department = "department"  # city departments (市直部门)
    district = "district"  # districts and counties (区县), each counting the units below it by default
    park = "park"  # parks (园区), likewise
    other = "other"  # every other unit: districts and counties (区县), parks (园区)
    all = "all"  # every unit together


class RankingRow(BaseModel):
    rank: int
    previous_rank: int | None
    rank_change: int | None  # places moved up since the previous snapshot (negative: down)
    unit_id: str
    unit_code: str
    unit_name: str
    unit_kind: str
    value: int | Rate | None  # the ranked metric's value (a count, or an exact rate or score)
    value_percent: str | None  # the ranked rate for display (None for a count or the score)
    score: Rate
    score_display: Decimal
    project_count: int
    total_investment: Money
    annual_plan_investment: Money
    ytd_investment: Money
    investment_completion_rate: Rate | None
    investment_completion_rate_percent: str | None
    start_or_completion_rate: Rate | None
    start_or_completion_rate_percent: str | None
    completion_rate: Rate | None
    completion_rate_percent: str | None
    node_on_time_rate: Rate | None
    node_on_time_rate_percent: str | None
    # the year's monthly reports on time / due; None when no round's deadline has passed (or it is not asked for:
    # it is computed when ranked by it, filtered by it, or weighted in the score)
    reporting_on_time_rate: Rate | None
    reporting_on_time_rate_percent: str | None
    red_count: int
    yellow_count: int
    open_tasks: int
    late_tasks: int


class Ranking(BaseModel):
    year: int
    period: str | None
    snapshot_version: int | None = None  # the version of the period's snapshot the ranking reads
    as_of: date
    source: Source
    group: UnitGroup
    unit_id: str | None  # the units ranked are this one and those below it
    include_descendants: bool  # each unit counts the projects of the units below it
    metric: RankingMetric
    higher_is_better: bool
    scoring_version: int
    weights: Weights
    previous_period: str | None  # the snapshot rank changes are counted from
    items: list[RankingRow]
