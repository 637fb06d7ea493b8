"""Roll-up API models: each district's figures ranked, and the whole city's."""
from datetime import date

from pydantic import BaseModel

from services.reports.overview.schemas import BreakdownRow, Source
from services.reports.rankings.schemas import RankingMetric, RankingRow
from services.reports.scoring.schemas import Weights


class Deployment(BaseModel):
    source: str  # the `source` prefix of its events: the key to drill down with (GET /projects?deployment=)
    name: str


class Rollup(BaseModel):
    """Every deployment whose projects this reports counts - the districts' and its own - summed as one unit each
    (`unit_id` is its source prefix, `unit_kind` 'deployment'), ranked by the metric; `total` is the whole city,
    the sum of the rows."""

    year: int
    period: str | None
    snapshot_version: int | None = None
    as_of: date
    source: Source
    metric: RankingMetric
    higher_is_better: bool
    scoring_version: int
    weights: Weights
    previous_period: str | None
    total: BreakdownRow
    total_red_count: int
    total_yellow_count: int
    total_open_tasks: int
    total_late_tasks: int
    districts: list[RankingRow]
    without_projects: list[Deployment]  # configured, but no project of theirs has arrived (yet)
