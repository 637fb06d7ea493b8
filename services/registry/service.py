"""Registry use-cases: units and projects. Functions stage events and never commit."""
import uuid

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import Category, ProjectRegistered, Sector, Stage, UnitCreated
from kit.clock import utcnow
from kit.errors import Conflict, Invalid, NotFound, field_error
from kit.outbox import stage
from kit.pagination import PageParams, keyset, page_of
from services.registry.models import Project, Unit
from services.registry.schemas import ProjectCreate, UnitCreate

SOURCE = "/keyproject/registry"

SECTOR_OF_CATEGORY = {
    Category.agriculture: Sector.primary,
    Category.industry: Sector.secondary,
    Category.manufacturing: Sector.secondary,
    Category.services: Sector.tertiary,
    Category.infrastructure: Sector.tertiary,
    Category.social: Sector.tertiary,
}

UNIT_COLUMNS = [Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id]


def _integrity_problem(exc: IntegrityError, *, unique_field: str, reference_field: str) -> Exception:
    """Turn a constraint violation into what the client did wrong (the database is the one place that checks)."""
    message = str(exc.orig).lower()
    if "foreign key" in message:
        return Invalid("a referenced unit does not exist",
                       errors=[field_error(reference_field, "no unit with this id")])
    if "unique" in message or "duplicate key" in message:
        return Conflict(f"the {unique_field} is already taken")
    return exc


async def create_unit(*, session: AsyncSession, unit_in: UnitCreate) -> dict:
    """Creates a unit and announces it."""
    values = {"id": str(uuid.uuid4()), **unit_in.model_dump(), "created_at": utcnow()}
    try:
        await session.execute(insert(Unit).values(**values))
    except IntegrityError as exc:
        raise _integrity_problem(exc, unique_field="unit code", reference_field="parent_id") from exc
    event = UnitCreated.model_validate(values)
    await stage(session, event, subject=values["id"], source=SOURCE)
    return event.model_dump()


async def get_unit(*, session: AsyncSession, unit_id: str) -> dict:
    """Gets a unit by its id."""
    row = (await session.execute(select(*UNIT_COLUMNS).where(Unit.id == unit_id))).first()
    if row is None:
        raise NotFound(f"unit {unit_id} does not exist")
    return row._asdict()


async def list_units(*, session: AsyncSession, params: PageParams, kind: str | None) -> tuple[list[dict], str | None]:
    """Lists units, optionally of one kind."""
    query = select(*UNIT_COLUMNS)
    if kind:
        query = query.where(Unit.kind == kind)
    rows, cursor = page_of((await session.execute(keyset(query, Unit.id, params))).all(), params)
    return [r._asdict() for r in rows], cursor


def _project_rule_errors(project_in: ProjectCreate) -> list[dict]:
    errors = []
    if project_in.annual_plan_investment > project_in.total_investment:
        errors.append(field_error("annual_plan_investment", "the annual plan exceeds the total investment"))
    start, completion = project_in.planned_start_date, project_in.planned_completion_date
    if start and completion and completion < start:
        errors.append(field_error("planned_completion_date", "the planned completion is before the planned start"))
    if project_in.budget is not None and not project_in.government_funded:
        errors.append(field_error("budget", "only a government-funded project has a budget"))
    return errors


async def create_project(*, session: AsyncSession, project_in: ProjectCreate) -> dict:
    """Registers a project in the planning stage and announces it."""
    errors = _project_rule_errors(project_in)
    if errors:
        raise Invalid("the project breaks registry rules", errors=errors)
    now = utcnow()
    values = project_in.model_dump()
    values.update(
        id=str(uuid.uuid4()),
        sector=project_in.sector or SECTOR_OF_CATEGORY[project_in.category],
        stage=Stage.planning,
        version=1,
        created_at=now,
        updated_at=now,
    )
    try:
        await session.execute(insert(Project).values(**values))
    except IntegrityError as exc:
        raise _integrity_problem(exc, unique_field="project code", reference_field="responsible_unit_id") from exc
    await stage(session, ProjectRegistered.model_validate(values), subject=values["id"], source=SOURCE)
    return values


async def get_project(*, session: AsyncSession, project_id: str) -> Project:
    """Gets a project by its id."""
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} does not exist")
    return project


async def list_projects(*, session: AsyncSession, params: PageParams, unit_id: str | None,
                        year: int | None) -> tuple[list[Project], str | None]:
    """Lists projects, filtered by responsible unit and year."""
    query = select(Project)
    if unit_id:
        query = query.where(Project.responsible_unit_id == unit_id)
    if year:
        query = query.where(Project.year == year)
    rows = (await session.scalars(keyset(query, Project.id, params))).all()
    return page_of(list(rows), params)
