"""Snapshot API models: a month's figures frozen as of its last day."""
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from contracts.types import Money
from kit.inputs import Strict
from services.reports.overview.schemas import Overview
from services.reports.periods import MONTH_PATTERN


class SnapshotCreate(Strict):
    period: str = Field(pattern=MONTH_PATTERN)
    # Needed to freeze a month already frozen: the new version says why (e.g. 补录 1–5 月投资后重新冻结).
    reason: str | None = Field(default=None, min_length=1, max_length=2000)


class SnapshotPublic(BaseModel):
    period: str
    year: int
    as_of: date
    kind: str  # manual | auto
    version: int = 1  # a month re-frozen with a reason is a new version
    reason: str | None = None
    taken_at: datetime
    taken_by: str
    scoring_version: int
    target_rate: Decimal
    project_count: int


class SnapshotDetail(SnapshotPublic):
    overview: Overview


class FrozenProject(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    project_id: str
    code: str
    name: str
    unit_id: str
    level: str
    category: str
    sector: str
    bracket: str
    stage: str
    colour: str
    grade: str
    statistics_status: str
    total_investment: Money
    annual_plan_investment: Money
    ytd_investment: Money
    real_started: bool
    nodes_total: int
    nodes_done: int
    nodes_done_on_time: int
    nodes_late: int
    government_funded: bool
    concentrated_start: bool
    owner: str | None
    lead_leader: str | None
    alert_messages: list[str]
