"""Reports API models."""
from decimal import Decimal

from pydantic import BaseModel

from contracts.types import Money


class Overview(BaseModel):
    year: int | None
    unit_id: str | None
    project_count: int
    total_investment: Money
    total_investment_yi: Decimal
    annual_plan_investment: Money
