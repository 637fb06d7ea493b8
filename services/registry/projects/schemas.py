"""Project API models."""
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, create_model

from contracts.types import Money
from contracts.registry import Bracket, CategoryKey, Level, Sector, Stage, StartKind, StatisticsStatus
from kit.inputs import Amount, Day, Strict, text
from services.registry.categories import AcceptedCategory
from services.registry.validation import Code, Name, Text, Timestamp

Tag = text(40)


class ProjectCreate(Strict):
    code: Code
    name: Name
    year: int = Field(ge=2000, le=2100)
    level: Level = Level.municipal
    category: AcceptedCategory
    sector: Sector | None = None
    total_investment: Amount
    annual_plan_investment: Amount
    responsible_unit_id: str
    owner: Text | None = None
    lead_leader: Text | None = None
    contact_name: Text | None = None
    contact_phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40,
                                                    pattern=r"^[0-9+\-() ]*$")] | None = None
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, decimal_places=6)
    planned_start_date: Day | None = None
    planned_completion_date: Day | None = None
    government_funded: bool = False
    budget: Amount | None = None
    concentrated_start: bool = False
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    # 入库日期: the day the project joined the list (back-dated for a list entered mid-year); default today.
    listed_on: Day | None = None
    # A project registered mid-flight: the stage it has reached and the dates of the stages it passed (the reached
    # stage's date required, earlier ones when known).
    stage: Stage = Stage.planning
    stage_dates: dict[Stage, date] = Field(default_factory=dict)


# Fields a create sets once: stages move by transitions afterwards.
CREATE_ONLY_FIELDS = frozenset({"stage", "stage_dates"})
REQUIRED_FIELDS = frozenset(name for name, f in ProjectCreate.model_fields.items() if f.is_required()) | {
    "level", "government_funded", "concentrated_start", "tags"}

def _optional(field):
    return (Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation) | None


# Every field optional with the same constraints: only the fields sent are changed.
ProjectUpdate = create_model(
    "ProjectUpdate",
    __base__=Strict,
    **{name: (_optional(f), None) for name, f in ProjectCreate.model_fields.items() if name not in CREATE_ONLY_FIELDS},
    # The day a change of unit or year takes effect (a dated correction); default today.
    effective_on=(date | None, None),
)


class ProjectPublic(BaseModel):
    id: str
    code: str
    name: str
    year: int
    level: Level
    category: CategoryKey
    sector: Sector
    total_investment: Money
    annual_plan_investment: Money
    bracket: Bracket
    responsible_unit_id: str
    owner: str | None
    lead_leader: str | None
    contact_name: str | None
    contact_phone: str | None
    location: str | None
    latitude: Decimal | None
    longitude: Decimal | None
    planned_start_date: date | None
    planned_completion_date: date | None
    stage: Stage
    stage_dates: dict[Stage, date]
    real_start_kind: StartKind | None
    real_start_date: date | None
    government_funded: bool
    budget: Money | None
    concentrated_start: bool
    tags: list[str]
    statistics_status: StatisticsStatus
    archived: bool
    listed_on: date | None
    delisted_on: date | None
    registered_on: date | None
    suspended_on: date | None = None  # suspended (停工) since, by an approved suspension
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class ArchiveRequest(Strict):
    reason: text(2000)
    # The day the project left the list (出库); default today.
    delisted_on: Day | None = None


class ChangePublic(BaseModel):
    id: int
    actor: str
    action: str
    changes: dict
    note: str | None
    at: Timestamp
