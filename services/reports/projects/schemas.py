"""Project list API models: the projects behind each figure."""
from datetime import date
from enum import StrEnum

from pydantic import BaseModel

from contracts.types import Money
from services.reports.figures import Rate


class ThreeClass(StrEnum):
    signed_without_land = "signed_without_land"
    land_without_start = "land_without_start"
    started_not_completed = "started_not_completed"


class ProjectFigures(BaseModel):
    id: str
    deployment: str | None  # the source prefix of the deployment that announced it (None: from before they were kept)
    code: str
    name: str
    year: int
    unit_id: str
    unit_name: str | None
    level: str
    category: str
    sector: str
    bracket: str
    stage: str
    stage_dates: dict[str, date]
    planned_start_date: date | None
    planned_completion_date: date | None
    real_start_date: date | None
    total_investment: Money
    annual_plan_investment: Money
    ytd_investment: Money
    investment_completion_rate: Rate | None
    investment_completion_rate_percent: str | None
    colour: str
    grade: str
    statistics_status: str
    nodes_total: int
    nodes_done: int
    nodes_done_on_time: int
    nodes_late: int
    open_tasks: int
    late_tasks: int
    government_funded: bool
    concentrated_start: bool
    owner: str | None
    lead_leader: str | None
    alerts: list[str]  # messages of the project's active alerts
