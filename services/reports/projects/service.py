"""The projects behind a figure: the live project rows filtered as the overview counts them."""
from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.alerts import AlertStatus, TaskStatus, message_on
from contracts.registry import Stage
from kit.pagination import PageParams, keyset, page_of
from services.reports.cells import COMPLETED_STAGES, STAGE_DATE_COLUMNS, STARTED_STAGES, UNRATED
from services.reports.figures import decimal_of, percent, rate
from services.reports.models import AlertView, ProjectView, TaskView, UnitView
from services.reports.projects.schemas import ProjectFigures, ThreeClass
from services.reports.sources import counted, late_task
from services.reports.unit_tree import scope_of

THREE_CLASS_STAGES = {ThreeClass.signed_without_land: Stage.signed, ThreeClass.land_without_start: Stage.land_supplied,
                      ThreeClass.started_not_completed: Stage.started}
ACTIVE_ALERTS = (AlertStatus.active.value, AlertStatus.acknowledged.value)


def _conditions(filters: dict) -> list:
    p = ProjectView
    found = [counted()]
    if filters.get("unit_ids") is not None:
        found.append(p.unit_id.in_(sorted(filters["unit_ids"])))
    for column in ("year", "colour", "stage", "sector", "category", "level", "bracket",
                   "statistics_status", "government_funded", "concentrated_start"):
        if filters.get(column) is not None:
            found.append(getattr(p, column) == filters[column])
    if filters.get("grade") is not None:
        found.append(p.grade.is_(None) if filters["grade"] == UNRATED else p.grade == filters["grade"])
    if filters.get("three_class") is not None:
        found.append(p.stage == THREE_CLASS_STAGES[filters["three_class"]].value)
    for flag, stages in (("started", STARTED_STAGES), ("completed", COMPLETED_STAGES)):
        if filters.get(flag) is not None:
            within = p.stage.in_([s.value for s in stages])
            found.append(within if filters[flag] else ~within)
    if filters.get("real_started") is not None:
        found.append(p.real_start_date.is_not(None) if filters["real_started"] else p.real_start_date.is_(None))
    if filters.get("late_nodes") is not None:
        found.append(p.nodes_late > 0 if filters["late_nodes"] else p.nodes_late == 0)
    if filters.get("deployment") is not None:
        # rows from before deployments were recorded are this deployment's own
        own = filters["deployment"] == filters.get("own_deployment")
        found.append(or_(p.deployment == filters["deployment"], p.deployment.is_(None)) if own
                     else p.deployment == filters["deployment"])
    if filters.get("q"):
        pattern = f"%{filters['q']}%"
        found.append(p.name.like(pattern) | p.code.like(pattern))
    return found


async def list_(*, session: AsyncSession, filters: dict, params: PageParams, today: date,
                include_descendants: bool = True) -> tuple[list[ProjectFigures], str | None]:
    """Lists the projects matching the filters (a unit's: by default with those of the units below it), by code."""
    filters = {**filters, "unit_ids": await scope_of(session, filters.get("unit_id"),
                                                     include_descendants=include_descendants)}
    query = keyset(select(ProjectView).where(*_conditions(filters)), key=ProjectView.code, params=params)
    rows, cursor = page_of(list((await session.scalars(query)).all()), params, keys=lambda r: [r.code])
    ids = [r.id for r in rows]
    tasks = {pid: (int(o), int(late or 0)) for pid, o, late in (await session.execute(
        select(TaskView.project_id, func.count(),
               func.sum(case((late_task(TaskView.status, TaskView.resolvable, TaskView.on_hold, today), 1), else_=0)))
        .where(TaskView.project_id.in_(ids), TaskView.status != TaskStatus.closed.value)
        .group_by(TaskView.project_id))).all()}
    alerts: dict[str, list[str]] = {}
    for project_id, message, wording, worded_on in (await session.execute(
            select(AlertView.project_id, AlertView.message, AlertView.wording, AlertView.as_of).where(
                and_(AlertView.project_id.in_(ids), AlertView.status.in_(ACTIVE_ALERTS)))
            .order_by(AlertView.raised_on, AlertView.id))).all():
        alerts.setdefault(project_id, []).append(message_on(wording, message, worded_on, today))
    units = dict((await session.execute(select(UnitView.id, UnitView.name).where(
        UnitView.id.in_({r.unit_id for r in rows})))).all())
    return [public(r, units.get(r.unit_id), tasks.get(r.id, (0, 0)), alerts.get(r.id, [])) for r in rows], cursor


def public(row: ProjectView, unit_name: str | None, tasks: tuple[int, int], alerts: list[str]) -> ProjectFigures:
    completion = rate(row.ytd_investment, row.annual_plan_investment)
    return ProjectFigures(
        id=row.id, deployment=row.deployment, code=row.code, name=row.name, year=row.year, unit_id=row.unit_id, unit_name=unit_name,
        level=row.level, category=row.category, sector=row.sector, bracket=row.bracket, stage=row.stage,
        stage_dates={stage.value: getattr(row, column) for stage, column in STAGE_DATE_COLUMNS.items()
                     if getattr(row, column) is not None},
        planned_start_date=row.planned_start_date, planned_completion_date=row.planned_completion_date,
        real_start_date=row.real_start_date, total_investment=row.total_investment,
        annual_plan_investment=row.annual_plan_investment, ytd_investment=row.ytd_investment,
        investment_completion_rate=decimal_of(completion), investment_completion_rate_percent=percent(completion),
        colour=row.colour, grade=row.grade or UNRATED, statistics_status=row.statistics_status,
        nodes_total=row.nodes_total, nodes_done=row.nodes_done, nodes_done_on_time=row.nodes_done_on_time,
        nodes_late=row.nodes_late, open_tasks=tasks[0], late_tasks=tasks[1], government_funded=row.government_funded,
        concentrated_start=row.concentrated_start, owner=row.owner, lead_leader=row.lead_leader, alerts=alerts)
