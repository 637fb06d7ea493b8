"""Periodic reports: the monthly report read from its frozen snapshot, quarterly and yearly roll-ups of them."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.errors import NotFound
from services.reports import sources
from services.reports.exports.schemas import MonthFigures, MonthlyReport, RollUp
from services.reports.figures import TargetRounding
from services.reports.models import Snapshot
from services.reports.periods import quarter_months, year_months
from services.reports.rankings import service as rankings
from services.reports.rankings.schemas import RankingMetric, UnitGroup
from services.reports.snapshots import service as snapshots
from services.reports.snapshots.schemas import FrozenProject
from services.reports.targets.schemas import ProgressReport


async def monthly(*, session: AsyncSession, period: str, today: date,
                  target_rounding: TargetRounding) -> MonthlyReport:
    """The month's report, all from its snapshot: overview, unit rankings by score, lagging projects, targets."""
    snapshot = await sources.snapshot_of(session, period)
    detail = await snapshots.detail(session=session, period=period, unit_id=None, target_rounding=target_rounding)
    by_group = {group.value: await rankings.ranking(session=session, year=None, period=period, as_of=None,
                                                    group=group, metric=RankingMetric.score,
                                                    filters=rankings.Filters(), today=today)
                for group in UnitGroup}
    lagging = [FrozenProject.model_validate(p) for p in await snapshots.frozen_projects(session, period)
               if p.colour == "red" or p.grade == "lagging"]
    return MonthlyReport(period=period, as_of=snapshot.as_of, taken_at=snapshot.taken_at, snapshot_kind=snapshot.kind,
                         snapshot_version=snapshot.version, snapshot_reason=snapshot.reason,
                         scoring_version=snapshot.scoring_version, overview=detail.overview, rankings=by_group,
                         lagging_projects=lagging, targets=ProgressReport.model_validate(snapshot.targets))


async def _month_figures(session: AsyncSession, snapshot: Snapshot, target_rounding: TargetRounding) -> MonthFigures:
    overview = (await snapshots.detail(session=session, period=snapshot.period, unit_id=None,
                                       target_rounding=target_rounding)).overview
    return MonthFigures(
        period=snapshot.period, as_of=snapshot.as_of, project_count=overview.project_count,
        ytd_investment=overview.ytd_investment, investment_completion_rate=overview.investment_completion_rate,
        investment_completion_rate_percent=overview.investment_completion_rate_percent,
        started_or_completed_count=overview.started_or_completed_count,
        start_or_completion_rate=overview.start_or_completion_rate,
        start_or_completion_rate_percent=overview.start_or_completion_rate_percent,
        red_count=overview.by_colour["red"].count, yellow_count=overview.by_colour["yellow"].count,
        late_nodes=overview.late_nodes, late_tasks=overview.late_tasks)


async def roll_up(*, session: AsyncSession, kind: str, period: str, months: list[str], before: str | None,
                  today: date, target_rounding: TargetRounding) -> RollUp:
    """Months of a quarter or year from their snapshots; `before` is the month whose year-to-date the period's
    investment starts from (None: the start of the year)."""
    found = {s.period: s for s in (await session.scalars(
        select(Snapshot).where(Snapshot.period.in_([*months, *([before] if before else [])])))).all()}
    frozen = [found[m] for m in months if m in found]
    if not frozen:
        raise NotFound(f"no month of {period} is frozen yet; take snapshots with POST /api/v1/snapshots")
    figures = [await _month_figures(session, s, target_rounding) for s in frozen]
    start = Decimal(0)
    if before is not None:
        start = (await _month_figures(session, found[before], target_rounding)).ytd_investment \
            if before in found else None
    latest = await monthly(session=session, period=frozen[-1].period, today=today, target_rounding=target_rounding)
    missing = [m for m in months if m not in found]
    return RollUp(kind=kind, period=period, months=figures, missing_months=missing, complete=not missing,
                  period_investment=None if start is None else figures[-1].ytd_investment - start, latest=latest)


async def quarterly(*, session: AsyncSession, quarter: str, today: date, target_rounding: TargetRounding) -> RollUp:
    number, year = int(quarter[-1]), int(quarter[:4])
    before = quarter_months(f"{year}-Q{number - 1}")[-1] if number > 1 else None
    return await roll_up(session=session, kind="quarterly", period=quarter, months=quarter_months(quarter),
                         before=before, today=today, target_rounding=target_rounding)


async def yearly(*, session: AsyncSession, year: int, today: date, target_rounding: TargetRounding) -> RollUp:
    return await roll_up(session=session, kind="yearly", period=str(year), months=year_months(year), before=None,
                         today=today, target_rounding=target_rounding)
