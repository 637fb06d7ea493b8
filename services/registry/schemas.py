"""Registry API models (request and response bodies)."""
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.registry import Category, Level, Sector, Stage, UnitKind
from contracts.types import Money

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-./]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UnitCreate(Strict):
    code: Code
    name: Text
    kind: UnitKind
    parent_id: str | None = None


class UnitPublic(BaseModel):
    id: str
    code: str
    name: str
    kind: UnitKind
    parent_id: str | None


class ProjectCreate(Strict):
    code: Code
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    year: int = Field(ge=2000, le=2100)
    level: Level = Level.municipal
    category: Category
    sector: Sector | None = None
    total_investment: Money
    annual_plan_investment: Money
    responsible_unit_id: str
    owner: Text | None = None
    lead_leader: Text | None = None
    contact_name: Text | None = None
    contact_phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    planned_start_date: date | None = None
    planned_completion_date: date | None = None
    government_funded: bool = False
    budget: Money | None = None
    concentrated_start: bool = False
    tags: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=20)


class ProjectPublic(BaseModel):
    id: str
    code: str
    name: str
    year: int
    level: Level
    category: Category
    sector: Sector
    total_investment: Money
    annual_plan_investment: Money
    responsible_unit_id: str
    owner: str | None
    lead_leader: str | None
    contact_name: str | None
    contact_phone: str | None
    location: str | None
    planned_start_date: date | None
    planned_completion_date: date | None
    stage: Stage
    government_funded: bool
    budget: Money | None
    concentrated_start: bool
    tags: list[str]
    version: int
