"""Target API models: figures handed down for the year (上级下达任务) and their progress."""
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from contracts.registry import Bracket, CategoryKey, Level, Sector
from contracts.types import Money
from kit.inputs import Strict, decimal, text
from services.reports.figures import Rate
from services.reports.periods import MAX_YEAR, MIN_YEAR

Name = text(300)


class Measure(StrEnum):
    started_count = "started_count"  # projects started or completed
    completed_count = "completed_count"  # projects completed or in operation
    investment_amount = "investment_amount"  # year-to-date investment, 万元
    statistics_count = "statistics_count"  # projects included in statistics (入库纳统)


TargetValue = decimal(integer_digits=12, places=6, positive=True, example="30",
                      description="目标值：项目个数（整数），或投资额（单位：万元）")
COUNT_MEASURES = frozenset({Measure.started_count, Measure.completed_count, Measure.statistics_count})


class TargetFilter(Strict):
    """Which of the year's projects count; every given field must match."""

    category: CategoryKey | None = None
    sector: Sector | None = None
    bracket: Bracket | None = None
    level: Level | None = None
    unit_id: Annotated[str, StringConstraints(max_length=36)] | None = None


class TargetCreate(Strict):
    year: int = Field(ge=MIN_YEAR, le=MAX_YEAR)
    name: Name
    measure: Measure
    filter: TargetFilter = Field(default_factory=TargetFilter)
    value: TargetValue

    @model_validator(mode="after")
    def _whole_counts(self):
        if self.measure in COUNT_MEASURES and self.value != self.value.to_integral_value():
            raise ValueError("a count target must be a whole number")
        return self


class TargetUpdate(Strict):
    name: Name | None = None
    filter: TargetFilter | None = None
    value: TargetValue | None = None


class TargetPublic(BaseModel):
    id: str
    year: int
    name: str
    measure: Measure
    filter: TargetFilter
    value: Money
    created_at: datetime
    updated_at: datetime


class TargetProgress(BaseModel):
    target: TargetPublic
    achieved: Money
    remaining: Money  # never negative
    rate: Rate
    rate_percent: str
    not_yet_off_zero: bool  # 未破零: nothing achieved yet


class ProgressReport(BaseModel):
    year: int
    as_of: date
    source: str
    targets_count: int
    reached_count: int
    not_yet_off_zero_count: int
    items: list[TargetProgress]
