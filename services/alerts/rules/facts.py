"""What the rules know about a project, a parcel and their open items: plain values kept from events."""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """A schedule node not yet done."""

    name: str
    planned_date: date
    critical: bool = False


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """A supervision task of the project not yet closed."""

    title: str
    deadline: date
    status: str = "open"
    resolvable: bool = False


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    id: str
    year: int
    stage: str
    name: str = ""
    planned_start_date: date | None = None
    signed_on: date | None = None
    land_supplied_on: date | None = None
    started_on: date | None = None
    real_start_date: date | None = None
    statistics_status: str = "not_submitted"
    annual_plan_investment: Decimal = Decimal(0)
    ytd_investment: Decimal = Decimal(0)
    ytd_year: int | None = None
    government_funded: bool = False
    overrun_ratio: Decimal | None = None
    nodes: tuple[NodeFacts, ...] = field(default_factory=tuple)
    tasks: tuple[TaskFacts, ...] = field(default_factory=tuple)
    # Monthly reporting rounds (period, deadline) whose deadline has passed without the project's report.
    unreported_rounds: tuple[tuple[str, date], ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class ParcelFacts:
    id: str
    code: str
    start_deadline: date
    started_date: date | None = None
