"""Reports' Prometheus gauges for the current year's list, recomputed every KP_METRICS_REFRESH_SECONDS from the live
aggregates: projects by stage and colour, investment completion overall and by unit, the start-or-completion rate,
and the ranking's top and bottom units."""
import asyncio
import logging

from fastapi import FastAPI
from prometheus_client import Gauge

from kit.clock import today as clock_today
from services.reports.dependencies import reading_sessionmaker
from services.reports.figures import decimal_of, rate
from services.reports.labels import VALUE_LABELS
from services.reports.overview import service as overview_service
from services.reports.rankings import service as rankings
from services.reports.rankings.schemas import RankingMetric, UnitGroup

PROJECTS_BY_STAGE = Gauge("kp_reports_projects_by_stage", "Projects of the current year by stage", ["year", "stage"])
PROJECTS_BY_COLOUR = Gauge("kp_reports_projects_by_colour", "Projects of the current year by colour",
                           ["year", "colour"])
INVESTMENT_COMPLETION = Gauge("kp_reports_investment_completion_ratio",
                              "Year-to-date investment / annual plan; unit_id 'all' for every unit together",
                              ["year", "unit_id", "unit"])
START_OR_COMPLETION = Gauge("kp_reports_start_or_completion_ratio",
                            "Projects started or completed / projects, with the target beside it",
                            ["year", "kind"])
RANKING_SCORE = Gauge("kp_reports_ranking_score", "Score of the top and bottom unit of each ranking group",
                      ["year", "group", "position", "unit_id", "unit"])

log = logging.getLogger(__name__)


def _number(value) -> float:
    return float(decimal_of(value)) if value is not None else float("nan")


async def refresh(app: FastAPI) -> None:
    """Recompute every gauge from the live aggregates."""
    settings = app.state.settings
    today = clock_today(settings)
    year = today.year
    async with reading_sessionmaker(app)() as session:
        overview = await overview_service.overview(session=session, year=year, as_of=None, period=None, unit_id=None,
                                                   target_rate=settings.target_rate,
                                                   target_rounding=settings.target_rounding, today=today,
                                                   with_suspended=settings.suspended_in_start_rate)
        standings = {group: await rankings.ranking(session=session, year=year, period=None, as_of=None, group=group,
                                                   metric=RankingMetric.score, filters=rankings.Filters(), today=today,
                                                   with_suspended=settings.suspended_in_start_rate)
                     for group in UnitGroup}
    label = str(year)
    for stage in VALUE_LABELS["stage"]:
        PROJECTS_BY_STAGE.labels(label, stage).set(overview.by_stage[stage].count)
    for colour in VALUE_LABELS["colour"]:
        PROJECTS_BY_COLOUR.labels(label, colour).set(overview.by_colour[colour].count)
    INVESTMENT_COMPLETION.clear()
    INVESTMENT_COMPLETION.labels(label, "all", "全部").set(
        _number(rate(overview.ytd_investment, overview.annual_plan_investment)))
    for row in standings[UnitGroup.all].items:
        INVESTMENT_COMPLETION.labels(label, row.unit_id, row.unit_name).set(
            _number(rate(row.ytd_investment, row.annual_plan_investment)))
    START_OR_COMPLETION.labels(label, "actual").set(
        _number(rate(overview.started_or_completed_count, overview.project_count)))
    START_OR_COMPLETION.labels(label, "target").set(float(overview.target_rate))
    RANKING_SCORE.clear()
    for group, ranking in standings.items():
        if ranking.items:
            for position, row in (("top", ranking.items[0]), ("bottom", ranking.items[-1])):
                RANKING_SCORE.labels(label, group.value, position, row.unit_id, row.unit_name).set(float(row.score))


async def gauges_refresher(app: FastAPI) -> None:
    """The background job keeping the gauges current."""
    while True:
        try:
            await refresh(app)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failed refresh keeps the last values; the next one retries
            log.warning("reports gauges not refreshed", exc_info=True)
        await asyncio.sleep(app.state.settings.metrics_refresh_seconds)
