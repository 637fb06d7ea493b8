"""Events the registry publishes: units, projects and their facts."""
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

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
    """The built-in project categories. A registry may be configured with more (KP_EXTRA_CATEGORIES), so events and
    consumers take any `CategoryKey`; these names are the constants every deployment knows."""

    industry = "industry"
    manufacturing = "manufacturing"
    services = "services"
    agriculture = "agriculture"
    infrastructure = "infrastructure"
    social = "social"


# A project's category as events carry it: a built-in `Category` or one a registry was configured with (a lowercase
# slug as long as the services' columns). Widened from the closed enum: every event written before still matches.
CategoryKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=40), Field(
    description=f"a built-in category ({', '.join(Category)}) or one the registry is configured with")]


class Sector(StrEnum):
    primary = "primary"
    secondary = "secondary"
    tertiary = "tertiary"


class Bracket(StrEnum):
    """Total-investment brackets the office reports by: ≥ 50 亿, 10–50 亿, 1–10 亿, < 1 亿."""

    ge_50yi = "ge_50yi"
    from_10_to_50yi = "10_50yi"
    from_1_to_10yi = "1_10yi"
    lt_1yi = "lt_1yi"


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


class UnitUpdated(UnitState):
    type = "keyproject.registry.unit.updated.v1"
    topic = topics.REGISTRY


# The dates of a project of year Y lie from Y - 10 (long preparations) to Y + 20 (long works): year 1 or 9999 is a
# typing error, and no schedule can be planned around it. The registry refuses others, milestones too.
PLAUSIBLE_YEARS_BACK, PLAUSIBLE_YEARS_AHEAD = 10, 20


def plausible_dates(year: int) -> tuple[date, date]:
    """The first and last plausible date of a project of `year`."""
    return date(year - PLAUSIBLE_YEARS_BACK, 1, 1), date(year + PLAUSIBLE_YEARS_AHEAD, 12, 31)


class ProjectState(EventData):
    """The project as consumers need it; money in 万元 as exact decimal strings."""

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
    owner: str | None = None
    lead_leader: str | None = None
    planned_start_date: date | None = None
    planned_completion_date: date | None = None
    stage: Stage
    government_funded: bool = False
    budget: Money | None = None
    concentrated_start: bool = False
    tags: list[str] = []
    archived: bool = False
    # Dates each stage was reached (planning excluded), so consumers need no history of their own.
    stage_dates: dict[Stage, date] = {}
    real_start_date: date | None = None
    version: int
    # Business dates of the list (入库/纳入): the day the project joined the key-project list, possibly back-dated
    # (a list entered mid-year), and the day it left it (archived). Absent in events written before they existed:
    # consumers then fall back to the day the platform first saw the project.
    listed_on: date | None = None
    delisted_on: date | None = None
    # The platform's today when the project was entered (not a business date of the project): grace periods for
    # late entry count from it.
    registered_on: date | None = None
    # Suspended (停工/暂停, approved by the office) since this day; None while the project runs.
    suspended_on: date | None = None


class ProjectRegistered(ProjectState):
    type = "keyproject.registry.project.registered.v1"
    topic = topics.REGISTRY


class ProjectUpdated(ProjectState):
    """Fields of the project changed (not its stage); `changed` names them."""

    type = "keyproject.registry.project.updated.v1"
    topic = topics.REGISTRY
    changed: list[str] = []
    # The day the change takes effect (a correction of the unit or year is dated); absent: the platform's today.
    effective_on: date | None = None


class ProjectArchived(ProjectState):
    """The project left the year's list; it drops out of every report."""

    type = "keyproject.registry.project.archived.v1"
    topic = topics.REGISTRY


class ProjectStageChanged(ProjectState):
    type = "keyproject.registry.project.stage_changed.v1"
    topic = topics.REGISTRY
    from_stage: Stage
    to_stage: Stage
    date: date
    backwards: bool = False


class ProjectSuspended(ProjectState):
    """The office approved a suspension: from `suspended_on` the project's schedule is paused (its nodes do not age,
    its colour gets no worse, its tasks are on hold) until it is resumed."""

    type = "keyproject.registry.project.suspended.v1"
    topic = topics.REGISTRY
    suspension_id: str
    reason: str  # the configured reason's code (KP_SUSPENSION_REASONS)
    expected_resume_on: date | None = None


class ProjectResumed(ProjectState):
    """The office approved the resumption: the project runs again from `resumed_on`; what was planned after the
    suspension moves by the pause."""

    type = "keyproject.registry.project.resumed.v1"
    topic = topics.REGISTRY
    suspension_id: str
    paused_from: date
    resumed_on: date
    paused_days: int


class SuspensionState(EventData):
    """A suspension episode (停复审核) as it stands: who asked, why, what the office decided."""

    id: str
    project_id: str
    responsible_unit_id: str
    status: str  # requested, rejected, suspended, resume_requested, resumed
    reason: str
    detail: str | None = None
    suspend_from: date
    expected_resume_on: date | None = None
    resume_on: date | None = None
    comment: str | None = None  # the office's comment on its last decision
    on: date  # the business day of this step


class SuspensionRequested(SuspensionState):
    type = "keyproject.registry.suspension.requested.v1"
    topic = topics.REGISTRY


class SuspensionRejected(SuspensionState):
    type = "keyproject.registry.suspension.rejected.v1"
    topic = topics.REGISTRY


class ResumptionRequested(SuspensionState):
    type = "keyproject.registry.suspension.resume_requested.v1"
    topic = topics.REGISTRY


class ResumptionRejected(SuspensionState):
    type = "keyproject.registry.suspension.resume_rejected.v1"
    topic = topics.REGISTRY


class ProblemType(StrEnum):
    """The kinds of problem (堵点) a project meets, as units report them and the office follows them up."""

    approval = "approval"
    land = "land"
    funding = "funding"
    environment = "environment"
    demolition = "demolition"
    energy = "energy"
    other = "other"


class ReportingRoundOpened(EventData):
    """The office opened a month's reporting round (月调度): every project of the year's list reports by the deadline."""

    type = "keyproject.registry.reporting_round.opened.v1"
    topic = topics.REGISTRY
    id: str
    period: str  # YYYY-MM, the month reported
    year: int
    deadline: date
    opened_on: date


class RoundReportState(EventData):
    """One project's report in a round, as it stands."""

    id: str
    round_id: str
    period: str
    project_id: str
    responsible_unit_id: str
    status: str  # submitted, returned, approved
    investment: Money
    progress: str
    next_plan: str | None = None
    photos: list[str] = []
    problems: list[dict] = []  # {"type": …, "description": …}
    submitted_on: date
    late: bool  # submitted after the round's deadline
    comment: str | None = None  # the office's, on its last decision
    on: date  # the business day of this step


class RoundReportSubmitted(RoundReportState):
    type = "keyproject.registry.round_report.submitted.v1"
    topic = topics.REGISTRY


class RoundReportReturned(RoundReportState):
    """退回: the office sends the report back for correction, with its comment."""

    type = "keyproject.registry.round_report.returned.v1"
    topic = topics.REGISTRY


class RoundReportApproved(RoundReportState):
    """The office approved the report: its investment is the project's monthly investment (investment.reported.v1
    with the round as origin); its problems become 堵点 for the alerts service."""

    type = "keyproject.registry.round_report.approved.v1"
    topic = topics.REGISTRY


class StartKind(StrEnum):
    piling = "piling"
    controlling_works = "controlling_works"


class ProjectStartConfirmed(EventData):
    """Real start (实质性开工): permanent piling or a controlling work has begun."""

    type = "keyproject.registry.project.start_confirmed.v1"
    topic = topics.REGISTRY
    project_id: str
    responsible_unit_id: str
    kind: StartKind
    date: date


class InvestmentReported(EventData):
    """One month's completed investment (万元); a correction carries the amount it replaces."""

    type = "keyproject.registry.investment.reported.v1"
    topic = topics.REGISTRY
    project_id: str
    responsible_unit_id: str
    period: str  # YYYY-MM
    year: int
    amount: Money
    previous_amount: Money | None = None
    ytd_investment: Money
    cumulative_investment: Money
    annual_plan_investment: Money
    # Where the figure came from: a monthly reporting round approved by the office ("round:<id>"); absent: entered
    # directly (PUT …/investments/{month}).
    origin: str | None = None


class BudgetChanged(EventData):
    """Budget, approved adjustments and spending of a government-funded project."""

    type = "keyproject.registry.budget.changed.v1"
    topic = topics.REGISTRY
    project_id: str
    responsible_unit_id: str
    budget: Money
    approved_adjustments: Money
    spent_to_date: Money
    overrun_ratio: Decimal  # spent / (budget + adjustments) - 1; negative while under budget
    adjustment_approved: bool


class StatisticsStatus(StrEnum):
    not_submitted = "not_submitted"
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"


class StatisticsStatusChanged(EventData):
    """Statistics inclusion (入库纳统) moved to a new status."""

    type = "keyproject.registry.statistics.status_changed.v1"
    topic = topics.REGISTRY
    project_id: str
    responsible_unit_id: str
    status: StatisticsStatus
    date: date
    reason: str | None = None


class ParcelState(EventData):
    """A sold land parcel; started_date comes from its linked project's start."""

    id: str
    code: str
    location: str | None = None
    area_mu: Decimal
    sale_date: date | None = None
    delivery_date: date | None = None
    start_deadline: date
    project_id: str | None = None
    unit_id: str
    started_date: date | None = None


class ParcelRegistered(ParcelState):
    type = "keyproject.registry.parcel.registered.v1"
    topic = topics.REGISTRY


class ParcelUpdated(ParcelState):
    type = "keyproject.registry.parcel.updated.v1"
    topic = topics.REGISTRY
