"""One pure function per rule: (facts, thresholds, as_of) → None or a Finding (colour and the fact in Chinese)."""
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, timedelta
from fractions import Fraction
from math import floor
from typing import Callable, NamedTuple

from contracts.alerts import Colour
from contracts.registry import Stage
from services.alerts.rules import thresholds as t
from services.alerts.rules.facts import ParcelFacts, ProjectFacts

STAGE_NAMES = {Stage.planning: "谋划", Stage.signed: "签约", Stage.land_supplied: "供地", Stage.started: "开工",
               Stage.completed: "竣工", Stage.in_operation: "投产"}
BEFORE_START = {Stage.planning, Stage.signed, Stage.land_supplied}
STARTED_OR_LATER = {Stage.started, Stage.completed, Stage.in_operation}
SUPERVISION = "supervision"  # 监察: where a large overrun without approval is referred


class Finding(NamedTuple):
    colour: Colour
    message: str
    escalated_to: str | None = None


def _days(as_of: date, since: date) -> int:
    return (as_of - since).days


def _day(days: int) -> timedelta:
    return timedelta(days=days)


def earliest(dates) -> date | None:
    """The earliest of the dates that are not None (None: none is)."""
    return min((d for d in dates if d is not None), default=None)


def _percent(value: Fraction | float) -> str:
    return f"{float(value) * 100:.1f}%"


def node_overdue(facts: ProjectFacts, limits: t.NodeOverdue, as_of: date) -> Finding | None:
    """Nodes not done past their planned date; the worst one is named, critical-path nodes turn red sooner."""
    worst, late = None, 0
    for node in facts.nodes:
        days = _days(as_of, node.planned_date)
        yellow, red = ((limits.critical_yellow_days, limits.critical_red_days) if node.critical
                       else (limits.yellow_days, limits.red_days))
        if days < yellow:
            continue
        late += 1
        colour = Colour.red if days >= red else Colour.yellow
        key = (colour == Colour.red, days, node.critical)
        if worst is None or key > worst[0]:
            worst = (key, node, days, colour)
    if worst is None:
        return None
    _, node, days, colour = worst
    message = f"{node.name}节点{'（关键路径）' if node.critical else ''}已逾期 {days} 天"
    if late > 1:
        message += f"，另有 {late - 1} 个节点逾期"
    return Finding(colour, message)


def node_overdue_from(facts: ProjectFacts, limits: t.NodeOverdue, _as_of: date) -> date | None:
    return earliest(node.planned_date + _day(limits.critical_yellow_days if node.critical else limits.yellow_days)
                     for node in facts.nodes)


@lru_cache(maxsize=64)
def year_share(as_of: date) -> Fraction:
    """The share of the calendar year elapsed at the end of `as_of`."""
    days_in_year = (date(as_of.year + 1, 1, 1) - date(as_of.year, 1, 1)).days
    return Fraction(as_of.timetuple().tm_yday, days_in_year)


def investment_ratio(facts: ProjectFacts, as_of: date) -> Fraction | None:
    """(YTD / annual plan) / share of the year elapsed, exact; None outside the project's year or without a plan."""
    plan = facts.annual_plan_investment
    if facts.year != as_of.year or plan <= 0:
        return None
    if facts.ytd_year != as_of.year or not facts.ytd_investment:
        return Fraction(0)
    share = year_share(as_of)
    ytd_n, ytd_d = facts.ytd_investment.as_integer_ratio()
    plan_n, plan_d = plan.as_integer_ratio()
    return Fraction(ytd_n * plan_d * share.denominator, ytd_d * plan_n * share.numerator)


@lru_cache(maxsize=256)
def _exact(value) -> Fraction:
    return Fraction(value)


def first_day_below(facts: ProjectFacts, bar, as_of: date) -> date | None:
    """The first day after `as_of` in the project's year on which its investment ratio falls below `bar`, when it is
    not below already (the ratio only falls as the year goes on); None when it stays at or above it all year."""
    ratio = investment_ratio(facts, as_of)
    if ratio is None or ratio < _exact(bar):
        return None
    # ratio(day) = completion × days in the year / day of the year, so it is below the bar from the day after this one
    completion = ratio * year_share(as_of)
    days_in_year = (date(as_of.year + 1, 1, 1) - date(as_of.year, 1, 1)).days
    first = floor(completion * days_in_year / _exact(bar)) + 1
    return date(as_of.year, 1, 1) + _day(first - 1) if first <= days_in_year else None


def investment_lag(facts: ProjectFacts, limits: t.InvestmentLag, as_of: date) -> Finding | None:
    """Year-to-date investment behind the share of the year elapsed."""
    if as_of.timetuple().tm_yday <= limits.grace_days:
        return None
    ratio = investment_ratio(facts, as_of)
    if ratio is None or ratio >= _exact(limits.yellow_ratio):
        return None
    colour = Colour.red if ratio < _exact(limits.red_ratio) else Colour.yellow
    completion = ratio * year_share(as_of)
    return Finding(colour, f"年度投资完成率 {_percent(completion)}，时间进度 {_percent(year_share(as_of))}，"
                           f"完成进度比 {float(ratio):.2f}，低于 {limits.red_ratio if colour == Colour.red else limits.yellow_ratio}")


def investment_lag_from(facts: ProjectFacts, limits: t.InvestmentLag, as_of: date) -> date | None:
    if facts.annual_plan_investment <= 0 or facts.year < as_of.year:
        return None
    if facts.year > as_of.year:
        return date(facts.year, 1, 1)
    past_grace = date(as_of.year, 1, 1) + _day(limits.grace_days)
    return past_grace if as_of < past_grace else first_day_below(facts, limits.yellow_ratio, as_of)


def should_have_started(facts: ProjectFacts, limits: t.ShouldHaveStarted, as_of: date) -> Finding | None:
    """Planned start passed while the project is still before the started stage."""
    if facts.stage not in BEFORE_START or facts.planned_start_date is None:
        return None
    days = _days(as_of, facts.planned_start_date)
    if days < 1:
        return None
    colour = Colour.red if days > limits.red_over_days else Colour.yellow
    return Finding(colour, f"计划开工日期 {facts.planned_start_date} 已过 {days} 天仍未开工"
                           f"（当前阶段：{STAGE_NAMES[Stage(facts.stage)]}）")


def should_have_started_from(facts: ProjectFacts, _limits: t.ShouldHaveStarted, _as_of: date) -> date | None:
    if facts.stage not in BEFORE_START or facts.planned_start_date is None:
        return None
    return facts.planned_start_date + _day(1)


def _stalled(days: int, limits: t.StalledStage) -> Colour | None:
    if days > limits.red_over_days:
        return Colour.red
    if days > limits.yellow_over_days:
        return Colour.yellow
    return None


def signed_without_land(facts: ProjectFacts, limits: t.StalledStage, as_of: date) -> Finding | None:
    """Signed (签约) but no land supplied for too long."""
    if facts.stage != Stage.signed or facts.signed_on is None:
        return None
    days = _days(as_of, facts.signed_on)
    colour = _stalled(days, limits)
    return Finding(colour, f"已签约 {days} 天仍未供地") if colour else None


def signed_without_land_from(facts: ProjectFacts, limits: t.StalledStage, _as_of: date) -> date | None:
    if facts.stage != Stage.signed or facts.signed_on is None:
        return None
    return facts.signed_on + _day(limits.yellow_over_days + 1)


def land_without_start(facts: ProjectFacts, limits: t.StalledStage, as_of: date) -> Finding | None:
    """Land supplied (供地) but not started for too long."""
    if facts.stage != Stage.land_supplied or facts.land_supplied_on is None:
        return None
    days = _days(as_of, facts.land_supplied_on)
    colour = _stalled(days, limits)
    return Finding(colour, f"已供地 {days} 天仍未开工") if colour else None


def land_without_start_from(facts: ProjectFacts, limits: t.StalledStage, _as_of: date) -> date | None:
    if facts.stage != Stage.land_supplied or facts.land_supplied_on is None:
        return None
    return facts.land_supplied_on + _day(limits.yellow_over_days + 1)


def paper_start(facts: ProjectFacts, limits: t.YellowOnly, as_of: date) -> Finding | None:
    """Started on paper: no real start (piling, controlling works) confirmed long after the start."""
    if facts.stage != Stage.started or facts.real_start_date is not None or facts.started_on is None:
        return None
    days = _days(as_of, facts.started_on)
    if days <= limits.yellow_over_days:
        return None
    return Finding(Colour.yellow, f"开工 {days} 天仍未确认实质性开工（疑似纸面开工）")


def paper_start_from(facts: ProjectFacts, limits: t.YellowOnly, _as_of: date) -> date | None:
    if facts.stage != Stage.started or facts.real_start_date is not None or facts.started_on is None:
        return None
    return facts.started_on + _day(limits.yellow_over_days + 1)


def not_in_statistics(facts: ProjectFacts, limits: t.YellowOnly, as_of: date) -> Finding | None:
    """Started but not yet accepted into the statistics database (入库纳统)."""
    if facts.stage not in STARTED_OR_LATER or facts.statistics_status == "accepted" or facts.started_on is None:
        return None
    days = _days(as_of, facts.started_on)
    if days <= limits.yellow_over_days:
        return None
    return Finding(Colour.yellow, f"开工 {days} 天仍未入库纳统")


def not_in_statistics_from(facts: ProjectFacts, limits: t.YellowOnly, _as_of: date) -> date | None:
    if facts.stage not in STARTED_OR_LATER or facts.statistics_status == "accepted" or facts.started_on is None:
        return None
    return facts.started_on + _day(limits.yellow_over_days + 1)


def budget_overrun(facts: ProjectFacts, limits: t.BudgetOverrun, as_of: date) -> Finding | None:
    """A government-funded project spending over its budget plus approved adjustments."""
    ratio = facts.overrun_ratio
    if not facts.government_funded or ratio is None or ratio <= 0:
        return None
    if ratio > limits.red_over_ratio:
        return Finding(Colour.red, f"财政资金项目超出预算 {_percent(ratio)}，超出部分未获批准调整，已移交监察",
                       SUPERVISION)
    return Finding(Colour.yellow, f"财政资金项目超出预算 {_percent(ratio)}，须暂停施工并报批预算调整")


def idle_parcel(parcel: ParcelFacts, limits: t.IdleParcel, as_of: date) -> Finding | None:
    """A sold parcel past its start deadline without a start (闲置); over a year it is a disposal case."""
    if parcel.started_date is not None:
        return None
    days = _days(as_of, parcel.start_deadline)
    if days < 1:
        return None
    if days > limits.red_over_days:
        return Finding(Colour.red, f"地块 {parcel.code} 超过约定开工期限 {days} 天仍未开工，闲置超过一年须处置")
    return Finding(Colour.yellow, f"地块 {parcel.code} 超过约定开工期限 {days} 天仍未开工")


def task_late(facts: ProjectFacts, limits: t.TaskLate, as_of: date) -> Finding | None:
    """A supervision task of the project still open long past its deadline."""
    late = sorted(((_days(as_of, task.deadline), task.title) for task in facts.tasks
                   if task.status == "open" and not task.resolvable), reverse=True)
    late = [(days, title) for days, title in late if days > limits.red_over_days]
    if not late:
        return None
    days, title = late[0]
    message = f"督办事项「{title}」已超期 {days} 天未办结"
    if len(late) > 1:
        message += f"，另有 {len(late) - 1} 项超期"
    return Finding(Colour.red, message)


def task_late_from(facts: ProjectFacts, limits: t.TaskLate, _as_of: date) -> date | None:
    return earliest(task.deadline + _day(limits.red_over_days + 1) for task in facts.tasks
                     if task.status == "open" and not task.resolvable)


def round_not_reported(facts: ProjectFacts, limits: t.RoundNotReported, as_of: date) -> Finding | None:
    """The project's monthly report (月调度) not in past a round's deadline: a yellow mark until it is (off unless the
    office switches it on; the unit's task for the round comes either way)."""
    late = [(period, deadline) for period, deadline in facts.unreported_rounds
            if _days(as_of, deadline) > limits.yellow_over_days]
    if not late:
        return None
    period, deadline = max(late)
    message = f"{int(period[:4])}年{int(period[5:])}月调度逾期未报送（截止 {deadline}）"
    if len(late) > 1:
        message += f"，另有 {len(late) - 1} 个月未报送"
    return Finding(Colour.yellow, message)


def round_not_reported_from(facts: ProjectFacts, limits: t.RoundNotReported, _as_of: date) -> date | None:
    """Of the rounds whose deadline has passed; a round whose deadline is still ahead is the engine's to add."""
    return earliest(deadline + _day(limits.yellow_over_days + 1) for _, deadline in facts.unreported_rounds)


@dataclass(frozen=True)
class Rule:
    """`finds_from(facts, limits, as_of)`: when `check` finds nothing as of `as_of`, the first later day on which it
    may (None: no day will until the facts change), so the daily scan can leave the project until then. A finding
    holds day counts in its message, so it may change every day, except where `dated` is false."""

    name: str
    title: str
    subject: str  # "project" or "parcel"
    thresholds: type[t.Thresholds]
    check: Callable
    finds_from: Callable | None = None  # parcels are few, and all scanned every day
    dated: bool = True
    opens_task: bool = True
    enabled: bool = True  # as configured before the office changes it


RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("node_overdue", "节点逾期", "project", t.NodeOverdue, node_overdue, node_overdue_from),
    Rule("investment_lag", "投资进度滞后", "project", t.InvestmentLag, investment_lag, investment_lag_from),
    Rule("should_have_started", "应开工未开工", "project", t.ShouldHaveStarted, should_have_started,
         should_have_started_from),
    Rule("signed_without_land", "已签约未供地", "project", t.StalledStage, signed_without_land,
         signed_without_land_from),
    Rule("land_without_start", "已供地未动工", "project", t.StalledStage, land_without_start, land_without_start_from),
    Rule("paper_start", "纸面开工", "project", t.YellowOnly, paper_start, paper_start_from),
    Rule("not_in_statistics", "已开工未入库纳统", "project", t.YellowOnly, not_in_statistics, not_in_statistics_from),
    Rule("budget_overrun", "超预算", "project", t.BudgetOverrun, budget_overrun, lambda *_: None, dated=False),
    Rule("idle_parcel", "闲置地块", "parcel", t.IdleParcel, idle_parcel),
    # Its red alert never opens another task: the late task itself is already escalating.
    Rule("task_late", "督办事项超期", "project", t.TaskLate, task_late, task_late_from, opens_task=False),
    # the unit's task for a round it has not reported comes from the scan (services.alerts.reporting), once per unit
    Rule("round_not_reported", "月调度逾期未报送", "project", t.RoundNotReported, round_not_reported,
         round_not_reported_from, opens_task=False, enabled=False),
)}
PROJECT_RULES = [rule for rule in RULES.values() if rule.subject == "project"]
