"""The public board's figures: totals, the colour board with the red projects, and the unit rankings."""
from datetime import date
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.alerts import message_on
from kit.clock import utcnow
from services.reports.figures import Rate
from services.reports.models import AlertView, ProjectView, UnitView
from services.reports.overview import service as overview_service
from services.reports.projects.service import ACTIVE_ALERTS
from services.reports.rankings import service as rankings
from services.reports.rankings.schemas import RankingMetric, UnitGroup
from services.reports.settings import ReportsSettings
from services.reports.sources import counted

RED_PROJECTS_SHOWN = 12


def _rate(name: str, exact: Decimal | None, shown: str | None) -> dict[str, str | None]:
    """A rate as the board's totals carry it: the exact decimal and, as `name_percent`, its display percentage."""
    return {name: None if exact is None else format(exact, "f"), f"{name}_percent": shown}


class BoardRankingRow(BaseModel):
    rank: int
    rank_change: int | None
    unit_id: str
    unit_name: str
    score: str
    investment_completion_rate: Rate | None
    investment_completion_rate_percent: str | None
    start_or_completion_rate: Rate | None
    start_or_completion_rate_percent: str | None
    red_count: int


class RedProject(BaseModel):
    id: str
    code: str
    name: str
    unit_name: str
    reason: str


class BoardData(BaseModel):
    year: int
    as_of: date
    generated_at: str
    refresh_seconds: int
    totals: dict[str, str | int | None]
    colours: dict[str, int]
    red_projects: list[RedProject]
    red_projects_total: int
    rankings: dict[str, list[BoardRankingRow]]
    previous_period: str | None


async def board_data(*, session: AsyncSession, settings: ReportsSettings, year: int | None, today: date) -> BoardData:
    """Today's figures of the year's list (this year by default) as the board shows them."""
    year = year or today.year
    overview = await overview_service.overview(session=session, year=year, as_of=None, period=None, unit_id=None,
                                               target_rate=settings.target_rate,
                                               target_rounding=settings.target_rounding, today=today,
                                               with_suspended=settings.suspended_in_start_rate)
    totals = {  # each rate exact beside its display percentage; 亿元 to two places
        "project_count": overview.project_count,
        "total_investment_yi": str(overview.total_investment_yi),
        "annual_plan_investment_yi": str(overview.annual_plan_investment_yi),
        "ytd_investment_yi": str(overview.ytd_investment_yi),
        **_rate("investment_completion_rate", overview.investment_completion_rate,
                overview.investment_completion_rate_percent),
        "started_or_completed_count": overview.started_or_completed_count,
        "completed_count": overview.completed_count,
        **_rate("start_or_completion_rate", overview.start_or_completion_rate,
                overview.start_or_completion_rate_percent),
        **_rate("target_rate", overview.target_rate, overview.target_rate_percent),
        "target_count": overview.target_count,
        "target_rounding": overview.target_rounding.value,
        "target_rounding_note": overview.target_rounding_note,
        "needed_to_reach_target": overview.needed_to_reach_target,
    }
    reds = (await session.execute(
        select(ProjectView.id, ProjectView.code, ProjectView.name, UnitView.name)
        .join(UnitView, UnitView.id == ProjectView.unit_id, isouter=True)
        .where(counted(), ProjectView.year == year, ProjectView.colour == "red")
        .order_by(ProjectView.code))).all()
    shown = reds[:RED_PROJECTS_SHOWN]
    reasons: dict[str, list[str]] = {}
    for project_id, message, wording, worded_on in (await session.execute(select(
            AlertView.project_id, AlertView.message, AlertView.wording, AlertView.as_of).where(
            AlertView.project_id.in_([r[0] for r in shown]), AlertView.status.in_(ACTIVE_ALERTS),
            AlertView.colour == "red").order_by(AlertView.raised_on, AlertView.id))).all():
        reasons.setdefault(project_id, []).append(message_on(wording, message, worded_on, today))
    board_rankings, previous_period = {}, None
    for group in (UnitGroup.town, UnitGroup.department, UnitGroup.other):
        ranking = await rankings.ranking(session=session, year=year, period=None, as_of=None, group=group,
                                         metric=RankingMetric.score, filters=rankings.Filters(), today=today,
                                         with_suspended=settings.suspended_in_start_rate)
        previous_period = ranking.previous_period
        board_rankings[group.value] = [BoardRankingRow(
            rank=r.rank, rank_change=r.rank_change, unit_id=r.unit_id, unit_name=r.unit_name,
            score=str(r.score_display), investment_completion_rate=r.investment_completion_rate,
            investment_completion_rate_percent=r.investment_completion_rate_percent,
            start_or_completion_rate=r.start_or_completion_rate,
            start_or_completion_rate_percent=r.start_or_completion_rate_percent, red_count=r.red_count)
            for r in ranking.items[:settings.board_ranking_rows]]
    return BoardData(
        year=year, as_of=overview.as_of, generated_at=utcnow().isoformat(timespec="seconds"),
        refresh_seconds=settings.board_refresh_seconds, totals=totals,
        colours={colour: overview.by_colour[colour].count for colour in ("red", "yellow", "blue")},
        red_projects=[RedProject(id=pid, code=code, name=name, unit_name=unit or "",
                                 reason="；".join(reasons.get(pid, [])) or "红色警告") for pid, code, name, unit in shown],
        red_projects_total=len(reds), rankings=board_rankings, previous_period=previous_period)
