"""Investment and budget API models."""
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from contracts.types import Money
from kit.inputs import Amount, Day, PositiveAmount, Strict
from services.registry.validation import LongText, Timestamp



class InvestmentReport(Strict):
    amount: Amount


class InvestmentPublic(BaseModel):
    """One month's completed investment with the sums it leads to (万元)."""

    project_id: str
    period: str
    year: int
    amount: Money
    previous_amount: Money | None
    ytd_investment: Money
    cumulative_investment: Money
    annual_plan_investment: Money
    updated_at: Timestamp


class InvestmentMonth(BaseModel):
    period: str
    year: int
    amount: Money
    ytd_investment: Money  # the year's sum up to and including this month
    updated_at: Timestamp


class InvestmentYear(BaseModel):
    year: int
    ytd_investment: Money
    months_reported: int
    # YTD / annual plan, for the project's own year only (the annual plan is that year's); None elsewhere.
    completion_rate: Decimal | None


class InvestmentList(BaseModel):
    project_id: str
    annual_plan_investment: Money
    cumulative_investment: Money
    years: list[InvestmentYear]
    items: list[InvestmentMonth]


class BudgetAdjustmentCreate(Strict):
    amount: PositiveAmount
    reason: LongText
    approved_on: Day


class BudgetAdjustmentPublic(BaseModel):
    id: str
    project_id: str
    amount: Money
    reason: str
    approved_on: date
    actor: str
    at: Timestamp


class BudgetPublic(BaseModel):
    project_id: str
    government_funded: bool
    budget: Money | None
    approved_adjustments: Money
    adjusted_budget: Money
    spent_to_date: Money
    # spent / (budget + approved adjustments) - 1: negative while under budget; None without any budget.
    overrun_ratio: Decimal | None
    over_budget: bool
    adjustments: list[BudgetAdjustmentPublic]
