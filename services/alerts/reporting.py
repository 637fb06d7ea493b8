"""Monthly reporting rounds (月调度) seen from the alerts service: once a round's deadline has passed, each unit that
has not reported every project of its list gets one supervision task (未报), opened by the daily scan, once."""
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.alerts import TaskSource
from contracts.types import month_end
from services.alerts.configuration import service as configuration
from services.alerts.models import ProjectFact, ReportingRoundFact, RoundReportFact
from services.alerts.tasks import service as tasks

ACTOR = "rules"
NAMED = 10  # project names listed in a task's description


async def missing_by_unit(session: AsyncSession, round_: ReportingRoundFact) -> dict[str, list[str]]:
    """The names of the projects each unit has not reported in a round: those on the list of the round's year by the
    month's end, not suspended."""
    reported = set((await session.scalars(select(RoundReportFact.project_id).where(
        RoundReportFact.round_id == round_.id))).all())
    missing: dict[str, list[str]] = defaultdict(list)
    for project in (await session.execute(select(ProjectFact.id, ProjectFact.name, ProjectFact.unit_id).where(
            ProjectFact.year == round_.year, ProjectFact.archived.is_(False), ProjectFact.version > 0,
            ProjectFact.suspended_on.is_(None),
            or_(ProjectFact.listed_on.is_(None), ProjectFact.listed_on <= month_end(round_.period)))
            .order_by(ProjectFact.name))).all():
        if project.id not in reported:
            missing[project.unit_id].append(project.name)
    return missing


async def open_non_reporter_tasks(session: AsyncSession, *, as_of: date) -> int:
    """A task per unit that has not reported in a round whose deadline has passed; returns how many were opened."""
    due = (await session.scalars(select(ReportingRoundFact).where(
        ReportingRoundFact.deadline < as_of, ReportingRoundFact.tasks_opened_on.is_(None)).with_for_update())).all()
    if not due:
        return 0
    deadline_days = (await configuration.load(session=session)).tasks.deadline_days
    opened = 0
    for round_ in due:
        year, month = int(round_.period[:4]), int(round_.period[5:])
        for unit_id, names in sorted((await missing_by_unit(session, round_)).items()):
            shown = "、".join(names[:NAMED]) + (f"等{len(names)}个项目" if len(names) > NAMED else "")
            await tasks.open_system_task(
                session, unit_id=unit_id, title=f"{year}年{month}月调度未报送（{len(names)}个项目）",
                description=f"截至 {round_.deadline} 未报送：{shown}", deadline=as_of + timedelta(days=deadline_days),
                source=TaskSource.round, actor=ACTOR, today=as_of)
            opened += 1
        round_.tasks_opened_on = as_of
    await session.flush()
    return opened
