"""One pure function per rule: (facts, thresholds, as_of) → None or a Finding (colour and the fact in Chinese, worded
so that the days passing alone do not change it: see contracts.alerts.render)."""
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, timedelta
from fractions import Fraction
from math import floor
from typing import Callable, NamedTuple

from contracts import alerts as contract
from contracts.alerts import Colour, literal, percent, year_share
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
    wording: str
    escalated_to: str | None = None

    def message(self, as_of: date) -> str:
        return contract.render(self.wording, as_of)


def _days(as_of: date, since: date) -> int:
    return (as_of - since).days


def _day(days: int) -> timedelta:
    return timedelta(days=days)


def earliest(dates) -> date | None:
    """The earliest of the dates that are not None (None: none is)."""
    return min((d for d in dates if d is not None), default=None)


def _after(as_of: date, dates) -> date | None:
    """The earliest of the dates later than `as_of` (None: none is)."""
    return min((d for d in dates if d is not None and d > as_of), default=None)


def _since(day: date) -> str:
    return f"{{days:{day.isoformat()}}}"


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
    wording = f"{literal(node.name)}节点{'（关键路径）' if node.critical else ''}已逾期 {_since(node.planned_date)} 天"
    if late > 1:
        wording += f"，另有 {late - 1} 个节点逾期"
    return Finding(colour, wording)


def node_overdue_from(facts: ProjectFacts, limits: t.NodeOverdue, as_of: date) -> date | None:
    # a node turns late, or red; the days of all the late ones grow alike, so the worst stays the worst till then
    return _after(as_of, (node.planned_date + _day(days) for node in facts.nodes for days in (
        (limits.critical_yellow_days, limits.critical_red_days) if node.critical
        else (limits.yellow_days, limits.red_days))))


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
    return Finding(colour, f"年度投资完成率 {percent(completion)}，时间进度 {{share}}，"
                           f"完成进度比 {{ratio:{completion.numerator}/{completion.denominator}}}，"
                           f"低于 {limits.red_ratio if colour == Colour.red else limits.yellow_ratio}")


def investment_lag_from(facts: ProjectFacts, limits: t.InvestmentLag, as_of: date) -> date | None:
    if facts.annual_plan_investment <= 0 or facts.year < as_of.year:
        return None
    if facts.year > as_of.year:
        return date(facts.year, 1, 1)
    past_grace = date(as_of.year, 1, 1) + _day(limits.grace_days)
    if as_of < past_grace:
        return past_grace
    # the ratio falls below either bar, or the year ends (the rule looks at the project's year only)
    return earliest((first_day_below(facts, limits.yellow_ratio, as_of),
                     first_day_below(facts, limits.red_ratio, as_of), date(as_of.year + 1, 1, 1)))


def should_have_started(facts: ProjectFacts, limits: t.ShouldHaveStarted, as_of: date) -> Finding | None:
    """Planned start passed while the project is still before the started stage."""
    if facts.stage not in BEFORE_START or facts.planned_start_date is None:
        return None
    days = _days(as_of, facts.planned_start_date)
    if days < 1:
        return None
    colour = Colour.red if days > limits.red_over_days else Colour.yellow
    return Finding(colour, f"计划开工日期 {facts.planned_start_date} 已过 {_since(facts.planned_start_date)} 天仍未开工"
                           f"（当前阶段：{STAGE_NAMES[Stage(facts.stage)]}）")


def should_have_started_from(facts: ProjectFacts, limits: t.ShouldHaveStarted, as_of: date) -> date | None:
    if facts.stage not in BEFORE_START or facts.planned_start_date is None:
        return None
    return _after(as_of, (facts.planned_start_date + _day(1), facts.planned_start_date + _day(limits.red_over_days + 1)))


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
    colour = _stalled(_days(as_of, facts.signed_on), limits)
    return Finding(colour, f"已签约 {_since(facts.signed_on)} 天仍未供地") if colour else None


def _stalled_from(since: date, limits: t.StalledStage, as_of: date) -> date | None:
    return _after(as_of, (since + _day(limits.yellow_over_days + 1), since + _day(limits.red_over_days + 1)))


def signed_without_land_from(facts: ProjectFacts, limits: t.StalledStage, as_of: date) -> date | None:
    if facts.stage != Stage.signed or facts.signed_on is None:
        return None
    return _stalled_from(facts.signed_on, limits, as_of)


def land_without_start(facts: ProjectFacts, limits: t.StalledStage, as_of: date) -> Finding | None:
    """Land supplied (供地) but not started for too long."""
    if facts.stage != Stage.land_supplied or facts.land_supplied_on is None:
        return None
    colour = _stalled(_days(as_of, facts.land_supplied_on), limits)
    return Finding(colour, f"已供地 {_since(facts.land_supplied_on)} 天仍未开工") if colour else None


def land_without_start_from(facts: ProjectFacts, limits: t.StalledStage, as_of: date) -> date | None:
    if facts.stage != Stage.land_supplied or facts.land_supplied_on is None:
        return None
    return _stalled_from(facts.land_supplied_on, limits, as_of)


def paper_start(facts: ProjectFacts, limits: t.YellowOnly, as_of: date) -> Finding | None:
    """Started on paper: no real start (piling, controlling works) confirmed long after the start."""
    if facts.stage != Stage.started or facts.real_start_date is not None or facts.started_on is None:
        return None
    if _days(as_of, facts.started_on) <= limits.yellow_over_days:
        return None
    return Finding(Colour.yellow, f"开工 {_since(facts.started_on)} 天仍未确认实质性开工（疑似纸面开工）")


def paper_start_from(facts: ProjectFacts, limits: t.YellowOnly, as_of: date) -> date | None:
    if facts.stage != Stage.started or facts.real_start_date is not None or facts.started_on is None:
        return None
    return _after(as_of, (facts.started_on + _day(limits.yellow_over_days + 1),))


def not_in_statistics(facts: ProjectFacts, limits: t.YellowOnly, as_of: date) -> Finding | None:
    """Started but not yet accepted into the statistics database (入库纳统)."""
    if facts.stage not in STARTED_OR_LATER or facts.statistics_status == "accepted" or facts.started_on is None:
        return None
    if _days(as_of, facts.started_on) <= limits.yellow_over_days:
        return None
    return Finding(Colour.yellow, f"开工 {_since(facts.started_on)} 天仍未入库纳统")


def not_in_statistics_from(facts: ProjectFacts, limits: t.YellowOnly, as_of: date) -> date | None:
    if facts.stage not in STARTED_OR_LATER or facts.statistics_status == "accepted" or facts.started_on is None:
        return None
    return _after(as_of, (facts.started_on + _day(limits.yellow_over_days + 1),))


def budget_overrun(facts: ProjectFacts, limits: t.BudgetOverrun, as_of: date) -> Finding | None:
    """A government-funded project spending over its budget plus approved adjustments."""
    ratio = facts.overrun_ratio
    if not facts.government_funded or ratio is None or ratio <= 0:
        return None
    if ratio > limits.red_over_ratio:
        return Finding(Colour.red, f"财政资金项目超出预算 {percent(ratio)}，超出部分未获批准调整，已移交监察",
                       SUPERVISION)
    return Finding(Colour.yellow, f"财政资金项目超出预算 {percent(ratio)}，须暂停施工并报批预算调整")


def idle_parcel(parcel: ParcelFacts, limits: t.IdleParcel, as_of: date) -> Finding | None:
    """A sold parcel past its start deadline without a start (闲置); over a year it is a disposal case."""
    if parcel.started_date is not None:
        return None
    days = _days(as_of, parcel.start_deadline)
    if days < 1:
        return None
    wording = f"地块 {literal(parcel.code)} 超过约定开工期限 {_since(parcel.start_deadline)} 天仍未开工"
    if days > limits.red_over_days:
        return Finding(Colour.red, f"{wording}，闲置超过一年须处置")
    return Finding(Colour.yellow, wording)


def task_late(facts: ProjectFacts, limits: t.TaskLate, as_of: date) -> Finding | None:
    """A supervision task of the project still open long past its deadline."""
    late = sorted(((_days(as_of, task.deadline), task.title, task.deadline) for task in facts.tasks
                   if task.status == "open" and not task.resolvable), reverse=True)
    late = [task for task in late if task[0] > limits.red_over_days]
    if not late:
        return None
    _, title, deadline = late[0]
    wording = f"督办事项「{literal(title)}」已超期 {_since(deadline)} 天未办结"
    if len(late) > 1:
        wording += f"，另有 {len(late) - 1} 项超期"
    return Finding(Colour.red, wording)


def task_late_from(facts: ProjectFacts, limits: t.TaskLate, as_of: date) -> date | None:
    # another task turns late; the days of the late ones grow alike, so the latest stays the latest till then
    return _after(as_of, (task.deadline + _day(limits.red_over_days + 1) for task in facts.tasks
                          if task.status == "open" and not task.resolvable))


def round_not_reported(facts: ProjectFacts, limits: t.RoundNotReported, as_of: date) -> Finding | None:
    """The project's monthly report (月调度) not in past a round's deadline: a yellow mark until it is (off unless the
    office switches it on; the unit's task for the round comes either way)."""
    late = [(period, deadline) for period, deadline in facts.unreported_rounds
            if _days(as_of, deadline) > limits.yellow_over_days]
    if not late:
        return None
    period, deadline = max(late)
    wording = f"{int(period[:4])}年{int(period[5:])}月调度逾期未报送（截止 {deadline}）"
    if len(late) > 1:
        wording += f"，另有 {len(late) - 1} 个月未报送"
    return Finding(Colour.yellow, wording)


def round_not_reported_from(facts: ProjectFacts, limits: t.RoundNotReported, as_of: date) -> date | None:
    """Of the rounds whose deadline has passed; a round whose deadline is still ahead is the engine's to add."""
    return _after(as_of, (deadline + _day(limits.yellow_over_days + 1) for _, deadline in facts.unreported_rounds))


@dataclass(frozen=True)
class Rule:
    """`changes_from(facts, limits, as_of)`: the first later day on which `check` may find otherwise than as of
    `as_of` (something where it found nothing, another colour or another wording; None: no day will until the facts
    change), so the daily scan can leave the project until then."""

    name: str
    title: str
    subject: str  # "project" or "parcel"
    thresholds: type[t.Thresholds]
    check: Callable
    changes_from: Callable | None = None  # parcels are few, and all scanned every day
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
    Rule("budget_overrun", "超预算", "project", t.BudgetOverrun, budget_overrun, lambda *_: None),
    Rule("idle_parcel", "闲置地块", "parcel", t.IdleParcel, idle_parcel),
    # Its red alert never opens another task: the late task itself is already escalating.
    Rule("task_late", "督办事项超期", "project", t.TaskLate, task_late, task_late_from, opens_task=False),
    # the unit's task for a round it has not reported comes from the scan (services.alerts.reporting), once per unit
    Rule("round_not_reported", "月调度逾期未报送", "project", t.RoundNotReported, round_not_reported,
         round_not_reported_from, opens_task=False, enabled=False),
)}
PROJECT_RULES = [rule for rule in RULES.values() if rule.subject == "project"]
