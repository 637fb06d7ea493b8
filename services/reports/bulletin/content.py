"""What the bulletin says, taken from the month's report (its snapshot): the figures and lists the template words.

Everything here is the template's context; an office editing the template (KP_BULLETIN_TEMPLATE) may use any of it.
"""
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from services.reports.exports.schemas import MonthlyReport
from services.reports.figures import percent, yi
from services.reports.labels import VALUE_LABELS
from services.reports.rankings.schemas import RankingRow
from services.reports.reporting.schemas import Timeliness
from services.reports.snapshots.schemas import FrozenProject


@dataclass(frozen=True)
class UnitLine:
    rank: int
    name: str
    score: Decimal
    project_count: int
    annual_plan_yi: Decimal
    ytd_yi: Decimal
    investment_rate: str | None  # 投资完成率, one decimal of a percent (None when nothing was planned)
    start_rate: str | None  # 开工(竣工)率


@dataclass(frozen=True)
class ProjectLine:
    code: str
    name: str
    unit: str
    stage: str
    reasons: list[str]


def _unit(row: RankingRow) -> UnitLine:
    return UnitLine(rank=row.rank, name=row.unit_name, score=row.score_display, project_count=row.project_count,
                    annual_plan_yi=yi(row.annual_plan_investment), ytd_yi=yi(row.ytd_investment),
                    investment_rate=row.investment_completion_rate_percent,
                    start_rate=row.start_or_completion_rate_percent)


@dataclass(frozen=True)
class SuspensionLine:
    project: str
    unit: str
    suspended_on: str
    resumed_on: str | None


def context(report: MonthlyReport, frozen: list[FrozenProject], *, ranked: int, plan_threshold: Decimal,
            reporting: Timeliness | None = None, suspended: list[SuspensionLine] = (),
            resumed: list[SuspensionLine] = ()) -> dict:
    """The template's context for the month: overview figures, the sector mix, the units ranked (best, worst, not off
    zero, behind the time schedule), red and yellow projects with their reasons, tasks."""
    year, month = (int(part) for part in report.period.split("-"))
    overview = report.overview
    ranking = [row for row in report.rankings["all"].items if row.project_count]
    names = {row.unit_id: row.unit_name for row in report.rankings["all"].items}
    time_progress = Fraction(month, 12)  # 序时进度: the share of the year gone by the month's end

    def projects(colour: str) -> list[ProjectLine]:
        return [ProjectLine(code=p.code, name=p.name, unit=names.get(p.unit_id, p.unit_id),
                            stage=VALUE_LABELS["stage"].get(p.stage, p.stage), reasons=list(p.alert_messages))
                for p in frozen if p.colour == colour]

    behind = [_unit(row) for row in ranking if row.annual_plan_investment >= plan_threshold
              and row.investment_completion_rate is not None
              and Fraction(row.investment_completion_rate) < time_progress]
    return {
        "period": report.period, "year": year, "month": month, "as_of": report.as_of,
        "snapshot_version": report.snapshot_version, "snapshot_reason": report.snapshot_reason,
        "overview": overview,
        "time_progress_percent": percent(time_progress),
        "sectors": [group for group in overview.by_sector.values() if group.count],
        "best": [_unit(row) for row in ranking[:ranked]],
        "worst": [_unit(row) for row in ranking[-ranked:][::-1]] if len(ranking) > ranked else [],
        "not_started_units": [row.unit_name for row in ranking if not row.start_or_completion_rate],
        "no_investment_units": [row.unit_name for row in ranking if not row.ytd_investment],
        "behind_schedule_units": behind,
        "plan_threshold_yi": yi(plan_threshold),
        "reporting": reporting,  # the month's reporting round (月调度), when one was opened
        "suspended": list(suspended),  # suspensions approved with effect in the month (停工)
        "resumed": list(resumed),  # resumptions in the month (复工)
        "red_projects": projects("red"),
        "yellow_projects": projects("yellow"),
        "targets": report.targets.items,
    }
