"""Reporting timeliness API models."""
from datetime import date

from pydantic import BaseModel

from services.reports.figures import Rate


class UnitTimeliness(BaseModel):
    unit_id: str
    unit_name: str
    expected: int
    on_time: int
    late: int
    missing: int  # 未报
    approved: int
    on_time_rate: Rate | None  # reported on time / expected
    on_time_rate_percent: str | None
    missing_projects: list[str]


class Timeliness(BaseModel):
    period: str
    deadline: date
    expected: int
    on_time: int
    late: int
    missing: int
    units: list[UnitTimeliness]  # best first
