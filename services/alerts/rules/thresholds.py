"""Thresholds of each rule and of the supervision tasks, with their defaults (DESIGN §5) and validation."""
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kit.inputs import decimal

Ratio = decimal(integer_digits=1, places=4, positive=True, example="0.8")  # a fraction: 0.8 is 80%


class Thresholds(BaseModel):
    """Unknown keys are refused, so a mistyped threshold is a 422 and not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _ordered(lower: str, higher: str):
    def check(model):
        if getattr(model, lower) >= getattr(model, higher):
            raise ValueError(f"{lower} must be below {higher}")
        return model

    return model_validator(mode="after")(check)


class NodeOverdue(Thresholds):
    """Days late (not done, planned date passed): yellow from `yellow_days`, red from `red_days`."""

    yellow_days: int = Field(1, ge=1, le=3650)
    red_days: int = Field(30, ge=1, le=3650)
    critical_yellow_days: int = Field(1, ge=1, le=3650)
    critical_red_days: int = Field(15, ge=1, le=3650)

    @model_validator(mode="after")
    def _order(self):
        if self.yellow_days >= self.red_days:
            raise ValueError("yellow_days must be below red_days")
        if self.critical_yellow_days >= self.critical_red_days:
            raise ValueError("critical_yellow_days must be below critical_red_days")
        return self


class InvestmentLag(Thresholds):
    """(YTD / annual plan) / (share of the year elapsed): yellow below `yellow_ratio`, red below `red_ratio`.

    Silent in the first `grace_days` of the year (nothing is reported yet); `faster_ratio` is the grade's bar."""

    yellow_ratio: Ratio = Decimal("0.8")
    red_ratio: Ratio = Decimal("0.5")
    grace_days: int = Field(31, ge=0, le=364)
    faster_ratio: Ratio = Decimal("1.1")

    _order = _ordered("red_ratio", "yellow_ratio")


class ShouldHaveStarted(Thresholds):
    """Days past the planned start before the started stage: yellow from 1, red beyond `red_over_days`."""

    red_over_days: int = Field(30, ge=1, le=3650)


class StalledStage(Thresholds):
    """Days in the stage: yellow beyond `yellow_over_days`, red beyond `red_over_days`."""

    yellow_over_days: int = Field(90, ge=0, le=3650)
    red_over_days: int = Field(180, ge=1, le=3650)

    _order = _ordered("yellow_over_days", "red_over_days")


class YellowOnly(Thresholds):
    """Days since the start: yellow beyond `yellow_over_days`."""

    yellow_over_days: int = Field(30, ge=0, le=3650)


class BudgetOverrun(Thresholds):
    """Spent over budget plus approved adjustments: yellow above 0, red (referred to 监察) above `red_over_ratio`."""

    red_over_ratio: decimal(integer_digits=2, places=4, positive=True, example="0.2") = Decimal("0.2")


class IdleParcel(Thresholds):
    """Days past the parcel's start deadline without a start: yellow from 1, red beyond `red_over_days`."""

    red_over_days: int = Field(365, ge=1, le=3650)


class TaskLate(Thresholds):
    """Days past a supervision task's deadline without it being done: red beyond `red_over_days`."""

    red_over_days: int = Field(15, ge=0, le=3650)


class RoundNotReported(Thresholds):
    """Days past a monthly reporting round's deadline without the project's report: yellow beyond
    `yellow_over_days`."""

    yellow_over_days: int = Field(0, ge=0, le=365)


class TaskSettings(Thresholds):
    """Deadline of a task opened by a red alert, and the escalation ladder in days past a task's deadline."""

    deadline_days: int = Field(15, ge=1, le=365)
    # A project entered late or mid-flight: no task in its first `grace_days`, and no red (yellow at most) in its
    # first `entry_days`, so the unit can enter what really happened before anyone is held to account.
    grace_days: int = Field(15, ge=0, le=365)
    entry_days: int = Field(7, ge=0, le=365)
    unit_head_days: int = Field(1, ge=0, le=3650)
    lead_leader_days: int = Field(7, ge=1, le=3650)
    accountability_days: int = Field(15, ge=1, le=3650)

    @model_validator(mode="after")
    def _order(self):
        if not self.unit_head_days < self.lead_leader_days < self.accountability_days:
            raise ValueError("unit_head_days < lead_leader_days < accountability_days is required")
        return self
