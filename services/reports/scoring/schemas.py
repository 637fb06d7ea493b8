"""Scoring API models: the weights of the ranking score, versioned."""
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from kit.inputs import Strict, decimal

Weight = decimal(integer_digits=3, places=6, signed=True, description="权重（可为负，绝对值小于 1000）", example="40")


class Weights(Strict):
    """score = Σ weight × rate (capped at 1; a rate with nothing due counts as 1) + Σ weight × count.

    Rates are fractions (0.569, not 56.9); counts where fewer is better usually carry a negative weight."""

    investment_completion_rate: Weight = Decimal(40)
    start_or_completion_rate: Weight = Decimal(30)
    node_on_time_rate: Weight = Decimal(20)
    completion_rate: Weight = Decimal(10)
    reporting_on_time_rate: Weight = Decimal(0)  # monthly reports on time (月调度); 0: not in the score
    red_count: Weight = Decimal(-2)
    yellow_count: Weight = Decimal(-1)
    open_tasks: Weight = Decimal(0)
    late_tasks: Weight = Decimal(-1)


DEFAULT_WEIGHTS = Weights()


class ScoringUpdate(Strict):
    weights: Weights
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class ScoringPublic(BaseModel):
    version: int
    weights: Weights
    note: str | None
    created_by: str
    created_at: datetime
