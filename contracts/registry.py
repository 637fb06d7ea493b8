"""Events the registry publishes: units, projects and their facts."""
from datetime import date
from enum import StrEnum

from contracts import topics
from contracts.envelope import EventData
from contracts.types import Money


class UnitKind(StrEnum):
    town = "town"
    street = "street"
    department = "department"
    district = "district"
    park = "park"


class Level(StrEnum):
    national = "national"
    provincial = "provincial"
    municipal = "municipal"
    district = "district"


class Category(StrEnum):
    industry = "industry"
    manufacturing = "manufacturing"
    services = "services"
    agriculture = "agriculture"
    infrastructure = "infrastructure"
    social = "social"


class Sector(StrEnum):
    primary = "primary"
    secondary = "secondary"
    tertiary = "tertiary"


class Stage(StrEnum):
    planning = "planning"
    signed = "signed"
    land_supplied = "land_supplied"
    started = "started"
    completed = "completed"
    in_operation = "in_operation"


class UnitState(EventData):
    id: str
    code: str
    name: str
    kind: UnitKind
    parent_id: str | None = None


class UnitCreated(UnitState):
    type = "keyproject.registry.unit.created.v1"
    topic = topics.REGISTRY


class ProjectState(EventData):
    """The project as consumers need it; money in 万元 as exact decimal strings."""

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
    owner: str | None = None
    lead_leader: str | None = None
    planned_start_date: date | None = None
    planned_completion_date: date | None = None
    stage: Stage
    government_funded: bool = False
    budget: Money | None = None
    concentrated_start: bool = False
    tags: list[str] = []
    version: int


class ProjectRegistered(ProjectState):
    type = "keyproject.registry.project.registered.v1"
    topic = topics.REGISTRY
