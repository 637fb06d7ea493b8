"""District to city roll-up (纵向报送): each deployment whose events this reports reads - every district's, and this
deployment's own - summed as one unit over its units, ranked like units, and the whole city as their sum.

A deployment is known by the `source` prefix of its events: units and projects carry the one that announced them,
so two districts' projects stay apart even with the same code, and a district's replayed events (the inbox skips
them) count once."""
from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.models import ProjectView, UnitView
from services.reports.overview.service import breakdown_row
from services.reports.rankings.schemas import RankingMetric
from services.reports.rankings.service import higher_is_better, rows_of, weighed
from services.reports.rollup.schemas import Deployment, Rollup
from services.reports.settings import ReportsSettings
from services.reports.sources import UnitInfo
from services.reports.unit_tree import UnitTree, total_of

DEPLOYMENT_KIND = "deployment"


def names_of(settings: ReportsSettings) -> dict[str, str]:
    """Every deployment this reports reads, by source prefix: its own first, then the districts as configured."""
    return {settings.event_source_prefix: settings.deployment_name,
            **{district.source: district.name for district in settings.rollup_districts}}


async def units_by_deployment(session: AsyncSession, own: str) -> dict[str, frozenset[str]]:
    """Each deployment's units: as their unit events said, or as their projects' did (a project can arrive before
    its unit's event). Rows from before deployments were recorded are this deployment's own."""
    found: dict[str, str] = {}
    for unit_id, deployment in (await session.execute(
            select(ProjectView.unit_id, ProjectView.deployment).where(ProjectView.registered.is_(True),
                                                                      ProjectView.unit_id.is_not(None))
            .distinct())).all():
        found[unit_id] = deployment or own
    for unit_id, deployment in (await session.execute(select(UnitView.id, UnitView.deployment))).all():
        found[unit_id] = deployment or own
    members: dict[str, set[str]] = {}
    for unit_id, deployment in found.items():
        members.setdefault(deployment, set()).add(unit_id)
    return {deployment: frozenset(units) for deployment, units in members.items()}


async def rollup(*, session: AsyncSession, settings: ReportsSettings, year: int | None, period: str | None,
                 as_of: date | None, metric: RankingMetric, today: date) -> Rollup:
    """The deployments ranked by the metric (live, as of a date, or a month's snapshot), with the whole city."""
    names = names_of(settings)
    members = await units_by_deployment(session, settings.event_source_prefix)
    read = await weighed(session, year=year, period=period, as_of=as_of, today=today,
                         with_suspended=settings.suspended_in_start_rate)
    # each deployment stands as one unit above its units
    tree = UnitTree({deployment: tuple(sorted(units)) for deployment, units in members.items()})
    deployments = {deployment: UnitInfo(deployment, deployment, names.get(deployment, deployment), DEPLOYMENT_KIND)
                   for deployment in members.keys() | names.keys()}
    figures = replace(read.figures, units={**read.figures.units, **deployments})
    rows = await rows_of(session, figures, read.weights, read.previous, group="all", metric=metric, tree=tree,
                         within=frozenset(deployments), with_suspended=read.with_suspended)
    counted = {r["unit_id"] for r in rows}
    everyone = frozenset().union(*members.values()) if members else frozenset()
    total, open_tasks, late_tasks = total_of(figures.cells, everyone)
    return Rollup(
        year=figures.year, period=figures.period, snapshot_version=figures.version, as_of=figures.as_of,
        source=figures.source, metric=metric, higher_is_better=higher_is_better(metric),
        scoring_version=read.scoring_version, weights=read.weights,
        previous_period=read.previous.period if read.previous else None,
        total=breakdown_row("total", "全市合计", total, total,
                            start_counts=figures.cells.start_counts(everyone, with_suspended=read.with_suspended)),
        total_red_count=total["red_count"],
        total_yellow_count=total["yellow_count"], total_open_tasks=open_tasks, total_late_tasks=late_tasks,
        districts=rows,
        without_projects=[Deployment(source=source, name=name) for source, name in names.items()
                          if source not in counted])
