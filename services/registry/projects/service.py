"""Project use-cases. Functions stage events and never commit."""
import uuid
from datetime import date
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import ProjectArchived, ProjectRegistered, ProjectUpdated, Stage
from kit.auth import Principal
from kit.clock import utcnow
from kit.conditional import check_version
from kit.errors import Conflict, Invalid, NotFound, PreconditionFailed, field_error
from kit.outbox import WriteWithEvent
from kit.pagination import PageParams, keyset, page_of
from services.registry import history
from services.registry.categories import sector_of
from services.registry.events import project_state, publish, write_and_publish
from services.registry.models import Project, Unit
from services.registry.projects import dated
from services.registry.projects.schemas import REQUIRED_FIELDS, ProjectCreate, ProjectUpdate
from services.registry.validation import integrity_problem

SORTABLE = {"code": Project.code, "name": Project.name, "total_investment": Project.total_investment,
            "planned_start_date": Project.planned_start_date, "created_at": Project.created_at}


def rule_errors(values: dict[str, Any]) -> list[dict]:
    """Rules across fields, checked on the project as it would be after the write."""
    errors = []
    if values["annual_plan_investment"] > values["total_investment"]:
        errors.append(field_error("annual_plan_investment", "the annual plan exceeds the total investment"))
    start, completion = values.get("planned_start_date"), values.get("planned_completion_date")
    if start and completion and completion < start:
        errors.append(field_error("planned_completion_date", "the planned completion is before the planned start"))
    if values.get("budget") is not None and not values.get("government_funded"):
        errors.append(field_error("budget", "only a government-funded project has a budget"))
    return errors + dated.listed_errors(values) + dated.plausible_errors(
        values, ("planned_start_date", "planned_completion_date"))


def new_project_errors(values: dict[str, Any], *, today: date) -> list[dict]:
    """The rules of a project about to be registered: across fields, and the stages it has reached."""
    return rule_errors(values) + dated.stage_errors(values.get("stage") or Stage.planning,
                                                    values.get("stage_dates") or {}, today=today)


async def unit_errors(session: AsyncSession, unit_id: str) -> list[dict]:
    """The responsible unit must exist: looked up with the rules, so one 422 lists it beside the other errors."""
    if await session.scalar(select(Unit.id).where(Unit.id == unit_id)) is None:
        return [field_error("responsible_unit_id", "no such unit")]
    return []


async def _raise_if_invalid(session: AsyncSession, values: dict[str, Any], today: date) -> None:
    """The rules; the unit is looked up only to list it beside other errors: alone, the foreign key reports it
    (a query less on the hot path)."""
    errors = new_project_errors(values, today=today)
    if errors:
        raise Invalid("the project breaks registry rules",
                      errors=errors + await unit_errors(session, values["responsible_unit_id"]))


_WRITE_PROJECT = WriteWithEvent(Project.__table__)  # the project's row and its event in one statement


def new_project_values(values: dict, *, now, today: date) -> dict:
    """Every column of a newly registered project: in the stage it has reached (planning unless registered
    mid-flight), listed today unless dated, version 1, sector derived unless given."""
    stage_dates = values.get("stage_dates") or {}
    return {
        **values,
        "id": str(uuid.uuid4()),
        "sector": values.get("sector") or sector_of(values["category"]),
        "stage": values.get("stage") or Stage.planning,
        "stage_dates": {Stage(k).value: v.isoformat() for k, v in sorted(stage_dates.items(),
                                                                          key=lambda kv: dated.ORDER.index(kv[0]))},
        "listed_on": values.get("listed_on") or today,
        "delisted_on": None,
        "registered_on": today,
        "real_start_kind": None,
        "real_start_date": None,
        "statistics_status": "not_submitted",
        "archived": False,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


async def create(*, session: AsyncSession, project_in: ProjectCreate, today: date) -> dict:
    """Registers a project (in planning, or in the stage it has reached) and announces it."""
    values = project_in.model_dump()
    await _raise_if_invalid(session, values, today)
    values = new_project_values(values, now=utcnow(), today=today)
    state = project_state(values)
    try:
        await write_and_publish(session, _WRITE_PROJECT, values, ProjectRegistered.model_validate(state),
                                subject=values["id"])
    except IntegrityError as exc:
        raise integrity_problem(exc, unique="project code", reference_field="responsible_unit_id") from exc
    return state


async def get(*, session: AsyncSession, project_id: str, for_update: bool = False) -> Project:
    """Gets a project by its id."""
    project = await session.get(Project, project_id, with_for_update=for_update)
    if project is None:
        raise NotFound(f"project {project_id} does not exist")
    return project


async def get_writable(*, session: AsyncSession, project_id: str, principal: Principal) -> Project:
    """Gets a project the caller may write: not archived, and of the caller's unit for a unit-bound token."""
    project = await get(session=session, project_id=project_id, for_update=True)
    writable(project, principal)
    return project


def writable(project, principal: Principal) -> None:
    """Refuses a write of the project (a row or a loaded Project) by another unit's token, or of an archived one."""
    principal.ensure_unit(project.responsible_unit_id)
    if project.archived:
        raise Conflict(f"project {project.id} is archived")


async def list_(*, session: AsyncSession, params: PageParams, filters: dict[str, Any], q: str | None,
                archived: bool, sort: str) -> tuple[list[Project], str | None]:
    """Lists projects by filters, text in code or name, and a sort key ('-' for descending)."""
    query = select(Project).where(Project.archived == archived)
    for field, value in filters.items():
        if value is not None:
            query = query.where(getattr(Project, field) == value)
    if q:
        pattern = f"%{q}%"
        query = query.where(or_(Project.code.ilike(pattern), Project.name.ilike(pattern)))
    descending = sort.startswith("-")
    sort_column = SORTABLE[sort.lstrip("-")]
    query = keyset(query, key=Project.id, params=params, sort=sort_column, descending=descending)
    rows = list((await session.scalars(query)).all())
    return page_of(rows, params, keys=lambda p: [getattr(p, sort_column.key), p.id])


async def update_(*, session: AsyncSession, project_id: str, project_in: ProjectUpdate,
                  admitted_versions: frozenset[int] | None, principal: Principal, today: date) -> dict:
    """Changes the fields sent, if the caller saw the current version (`admitted_versions` from If-Match; None: any
    version); records the change, dated by when it takes effect, and announces it."""
    project = await get_writable(session=session, project_id=project_id, principal=principal)
    check_version(admitted_versions, project.version, what="project")
    expected_version = project.version  # the row is locked: no other write gets in between
    changes = project_in.model_dump(exclude_unset=True)
    effective_on = changes.pop("effective_on", None) or today
    # A null required field is an error listed with the others; the rules are checked on the rest of the change.
    null_errors = [field_error(f, "cannot be null")
                   for f in sorted(f for f, v in changes.items() if v is None and f in REQUIRED_FIELDS)]
    changes = {f: v for f, v in changes.items() if v is not None or f not in REQUIRED_FIELDS}
    if ("category" in changes and "sector" not in changes) or ("sector" in changes and changes["sector"] is None):
        # no sector, or a null one: derived from the category, as on create
        changes["sector"] = sector_of(changes.get("category") or project.category) or project.sector
    if "responsible_unit_id" in changes:
        principal.ensure_unit(changes["responsible_unit_id"])
    before = {f: getattr(project, f) for f in changes}
    diff = history.diff(before, changes)
    if not diff and not null_errors:
        return project_state(project)
    errors = null_errors + rule_errors({**{f: getattr(project, f) for f in ProjectCreate.model_fields}, **changes})
    listed_on = changes.get("listed_on", project.listed_on)
    errors += dated.on_the_list_errors("effective_on", effective_on, listed_on=listed_on, today=today)
    if "responsible_unit_id" in diff:
        errors += await unit_errors(session, changes["responsible_unit_id"])
    if errors:
        raise Invalid("the project breaks registry rules", errors=errors)
    try:
        result = await session.execute(
            update(Project)
            .where(Project.id == project_id, Project.version == expected_version)
            .values(**changes, version=Project.version + 1, updated_at=utcnow())
        )
    except IntegrityError as exc:
        raise integrity_problem(exc, unique="project code", reference_field="responsible_unit_id") from exc
    if result.rowcount != 1:
        raise PreconditionFailed("the project changed meanwhile")
    await session.refresh(project)
    await history.record(session, project_id=project_id, actor=principal.subject, action="updated", changes=diff,
                         note=f"自 {effective_on} 起生效")
    state = project_state(project)
    updated = ProjectUpdated.model_validate({**state, "changed": sorted(diff), "effective_on": effective_on})
    await publish(session, updated, subject=project_id)
    return state


async def archive(*, session: AsyncSession, project_id: str, reason: str, delisted_on: date | None,
                  principal: Principal, today: date) -> dict:
    """Archives a project (soft): it leaves the list on the day given (default today) and drops out of every report
    from that day through its event."""
    project = await get_writable(session=session, project_id=project_id, principal=principal)
    delisted_on = delisted_on or today
    errors = dated.on_the_list_errors("delisted_on", delisted_on, listed_on=project.listed_on, today=today)
    if errors:
        raise Invalid("the project cannot leave the list on that day", errors=errors)
    project.archived = True
    project.delisted_on = delisted_on
    project.version += 1
    project.updated_at = utcnow()
    await session.flush()
    await history.record(session, project_id=project_id, actor=principal.subject, action="archived",
                         changes={"archived": {"before": False, "after": True},
                                  "delisted_on": {"before": None, "after": delisted_on.isoformat()}}, note=reason)
    state = project_state(project)
    await publish(session, ProjectArchived.model_validate(state), subject=project_id)
    return state
