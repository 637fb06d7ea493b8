"""Each rule on its own (pure functions): the day before, the day of and the day after every boundary."""
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from contracts.alerts import Colour
from services.alerts.rules import definitions as rules
from services.alerts.rules import thresholds as t
from services.alerts.rules.facts import NodeFacts, ParcelFacts, ProjectFacts, TaskFacts

D = date.fromisoformat
NONE, YELLOW, RED = None, Colour.yellow, Colour.red


def project(**facts) -> ProjectFacts:
    return ProjectFacts(**{"id": "p", "year": 2027, "stage": "planning", "name": "新能源电池生产基地", **facts})


def colour(finding):
    return None if finding is None else finding.colour


def check(rule, facts, limits, cases: dict[str, Colour | None]):
    got = {day: colour(rule(facts, limits, D(day))) for day in cases}
    assert got == cases


# ---- node overdue -----------------------------------------------------------------------------------------------

def test_node_overdue_yellow_from_the_first_day_late_red_from_30():
    facts = project(nodes=(NodeFacts("施工许可", D("2027-03-01")),))
    check(rules.node_overdue, facts, t.NodeOverdue(), {
        "2027-03-01": NONE, "2027-03-02": YELLOW, "2027-03-03": YELLOW,   # yellow boundary: 1 day late
        "2027-03-30": YELLOW, "2027-03-31": RED, "2027-04-01": RED,       # red boundary: 30 days late
    })


def test_a_critical_path_node_turns_red_at_15_days():
    facts = project(nodes=(NodeFacts("主体结构封顶", D("2027-03-01"), critical=True),))
    check(rules.node_overdue, facts, t.NodeOverdue(), {
        "2027-03-01": NONE, "2027-03-02": YELLOW, "2027-03-15": YELLOW, "2027-03-16": RED, "2027-03-17": RED})


def test_node_overdue_states_the_fact_of_the_worst_node():
    facts = project(nodes=(NodeFacts("施工许可", D("2027-03-02")), NodeFacts("土地证", D("2027-03-15"))))
    finding = rules.node_overdue(facts, t.NodeOverdue(), D("2027-03-20"))
    assert (finding.colour, finding.message(D("2027-03-20")), finding.escalated_to) == (
        YELLOW, "施工许可节点已逾期 18 天，另有 1 个节点逾期", None)
    assert finding.message(D("2027-03-27")) == "施工许可节点已逾期 25 天，另有 1 个节点逾期"
    critical = project(nodes=(NodeFacts("施工许可", D("2027-03-01")), NodeFacts("桩基", D("2027-03-05"), True)))
    assert rules.node_overdue(critical, t.NodeOverdue(), D("2027-03-20")).message(D("2027-03-20")).startswith(
        "桩基节点（关键路径）已逾期 15 天")


def test_node_overdue_thresholds_are_configuration():
    facts = project(nodes=(NodeFacts("施工许可", D("2027-03-01")),))
    limits = t.NodeOverdue(yellow_days=5, red_days=10)
    check(rules.node_overdue, facts, limits, {"2027-03-05": NONE, "2027-03-06": YELLOW, "2027-03-10": YELLOW,
                                              "2027-03-11": RED})


# ---- investment lag ---------------------------------------------------------------------------------------------
# Plan 36,500 and 8,000 done: the ratio is (8000 / 36500) / (day / 365) = 80 / day, exactly.

def test_investment_lag_yellow_below_0_8_red_below_0_5_of_the_year_elapsed():
    facts = project(annual_plan_investment=Decimal(36500), ytd_investment=Decimal(8000), ytd_year=2027)
    check(rules.investment_lag, facts, t.InvestmentLag(), {
        "2027-04-09": NONE, "2027-04-10": NONE, "2027-04-11": YELLOW, "2027-04-12": YELLOW,  # day 100: ratio 0.8
        "2027-06-09": YELLOW, "2027-06-10": RED, "2027-06-11": RED,                          # day 160: ratio 0.5
    })


def test_investment_lag_message_states_the_rates():
    facts = project(annual_plan_investment=Decimal(36500), ytd_investment=Decimal(8000), ytd_year=2027)
    finding = rules.investment_lag(facts, t.InvestmentLag(), D("2027-06-10"))
    assert finding.message(D("2027-06-10")) == "年度投资完成率 21.9%，时间进度 44.1%，完成进度比 0.50，低于 0.5"
    # worded once: the rates of a later day, as the rule would state them that day
    assert finding.message(D("2027-06-20")) == rules.investment_lag(facts, t.InvestmentLag(), D("2027-06-20")).message(
        D("2027-06-20")) == "年度投资完成率 21.9%，时间进度 46.8%，完成进度比 0.47，低于 0.5"


def test_investment_lag_is_silent_in_the_grace_days_and_outside_the_projects_year():
    nothing = project(annual_plan_investment=Decimal(36500))
    check(rules.investment_lag, nothing, t.InvestmentLag(), {"2027-01-31": NONE, "2027-02-01": RED})
    check(rules.investment_lag, nothing, t.InvestmentLag(grace_days=0), {"2027-01-01": RED})
    assert rules.investment_lag(nothing, t.InvestmentLag(), D("2028-06-01")) is None
    assert rules.investment_lag(project(), t.InvestmentLag(), D("2027-06-01")) is None  # no plan, no ratio


def test_last_years_investment_does_not_count_this_year():
    facts = project(annual_plan_investment=Decimal(36500), ytd_investment=Decimal(36500), ytd_year=2026)
    assert colour(rules.investment_lag(facts, t.InvestmentLag(), D("2027-06-01"))) == RED


def test_investment_ratio_is_exact():
    facts = project(annual_plan_investment=Decimal(36500), ytd_investment=Decimal(8000), ytd_year=2027)
    assert rules.investment_ratio(facts, D("2027-04-10")) == Decimal("0.8")


# ---- should have started, three classes, paper start, statistics -------------------------------------------------

def test_should_have_started_yellow_once_the_planned_start_passed_red_beyond_30_days():
    facts = project(stage="signed", planned_start_date=D("2027-03-01"))
    check(rules.should_have_started, facts, t.ShouldHaveStarted(), {
        "2027-03-01": NONE, "2027-03-02": YELLOW, "2027-03-03": YELLOW,
        "2027-03-31": YELLOW, "2027-04-01": RED, "2027-04-02": RED})
    assert rules.should_have_started(facts, t.ShouldHaveStarted(), D("2027-03-19")).message(D("2027-03-19")) == \
        "计划开工日期 2027-03-01 已过 18 天仍未开工（当前阶段：签约）"
    started = project(stage="started", planned_start_date=D("2027-03-01"), started_on=D("2027-04-20"))
    assert rules.should_have_started(started, t.ShouldHaveStarted(), D("2027-05-01")) is None


def test_signed_without_land_yellow_beyond_90_days_red_beyond_180():
    facts = project(stage="signed", signed_on=D("2027-01-01"))
    check(rules.signed_without_land, facts, t.StalledStage(), {
        "2027-03-31": NONE, "2027-04-01": NONE, "2027-04-02": YELLOW,    # day 90 / 91
        "2027-06-30": YELLOW, "2027-07-01": RED, "2027-07-02": RED})     # day 180 / 181
    assert rules.signed_without_land(facts, t.StalledStage(), D("2027-04-02")).message(D("2027-04-02")) == \
        "已签约 91 天仍未供地"
    assert rules.signed_without_land(project(stage="land_supplied", signed_on=D("2027-01-01")), t.StalledStage(),
                                     D("2027-12-01")) is None


def test_land_without_start_yellow_beyond_90_days_red_beyond_180():
    facts = project(stage="land_supplied", land_supplied_on=D("2027-01-01"))
    check(rules.land_without_start, facts, t.StalledStage(), {
        "2027-04-01": NONE, "2027-04-02": YELLOW, "2027-04-03": YELLOW,
        "2027-06-30": YELLOW, "2027-07-01": RED, "2027-07-02": RED})
    assert rules.land_without_start(facts, t.StalledStage(), D("2027-07-01")).message(D("2027-07-01")) == \
        "已供地 181 天仍未开工"


def test_paper_start_yellow_beyond_30_days_without_a_real_start():
    facts = project(stage="started", started_on=D("2027-03-01"))
    check(rules.paper_start, facts, t.YellowOnly(), {"2027-03-31": NONE, "2027-04-01": YELLOW, "2027-04-02": YELLOW})
    confirmed = project(stage="started", started_on=D("2027-03-01"), real_start_date=D("2027-03-05"))
    assert rules.paper_start(confirmed, t.YellowOnly(), D("2027-06-01")) is None


def test_started_but_not_in_statistics_yellow_beyond_30_days():
    facts = project(stage="started", started_on=D("2027-03-01"), statistics_status="submitted")
    check(rules.not_in_statistics, facts, t.YellowOnly(), {"2027-03-31": NONE, "2027-04-01": YELLOW,
                                                           "2027-04-02": YELLOW})
    accepted = project(stage="completed", started_on=D("2027-03-01"), statistics_status="accepted")
    assert rules.not_in_statistics(accepted, t.YellowOnly(), D("2027-06-01")) is None


# ---- budget, parcels, tasks -------------------------------------------------------------------------------------

@pytest.mark.parametrize("ratio, expected", [
    ("-0.1", NONE), ("0", NONE), ("0.000001", YELLOW), ("0.2", YELLOW), ("0.200001", RED), ("1.5", RED)])
def test_budget_overrun_yellow_over_budget_red_beyond_20_percent(ratio, expected):
    facts = project(government_funded=True, overrun_ratio=Decimal(ratio))
    assert colour(rules.budget_overrun(facts, t.BudgetOverrun(), D("2027-06-01"))) == expected


def test_a_large_overrun_is_referred_to_supervision():
    facts = project(government_funded=True, overrun_ratio=Decimal("0.25"))
    finding = rules.budget_overrun(facts, t.BudgetOverrun(), D("2027-06-01"))
    assert finding.escalated_to == "supervision"
    assert finding.message(D("2027-06-01")) == "财政资金项目超出预算 25.0%，超出部分未获批准调整，已移交监察"
    assert rules.budget_overrun(project(overrun_ratio=Decimal("0.5")), t.BudgetOverrun(), D("2027-06-01")) is None


def test_idle_parcel_yellow_past_the_deadline_red_idle_over_a_year():
    parcel = ParcelFacts("l", "DK-2027-01", D("2027-03-01"))
    check(rules.idle_parcel, parcel, t.IdleParcel(), {
        "2027-03-01": NONE, "2027-03-02": YELLOW, "2027-03-03": YELLOW,
        "2028-02-28": YELLOW, "2028-02-29": YELLOW, "2028-03-01": RED})  # 365 days is still yellow, 366 red
    assert rules.idle_parcel(parcel, t.IdleParcel(), D("2027-03-02")).message(D("2027-03-02")) == \
        "地块 DK-2027-01 超过约定开工期限 1 天仍未开工"
    started = ParcelFacts("l", "DK-2027-01", D("2027-03-01"), started_date=D("2027-04-01"))
    assert rules.idle_parcel(started, t.IdleParcel(), D("2028-06-01")) is None


def test_task_late_red_beyond_15_days_past_the_deadline():
    facts = project(tasks=(TaskFacts("节点逾期督办", D("2027-03-01")),))
    check(rules.task_late, facts, t.TaskLate(), {"2027-03-15": NONE, "2027-03-16": NONE, "2027-03-17": RED,
                                                 "2027-03-18": RED})
    assert rules.task_late(facts, t.TaskLate(), D("2027-03-17")).message(D("2027-03-17")) == \
        "督办事项「节点逾期督办」已超期 16 天未办结"
    waiting = project(tasks=(TaskFacts("a", D("2027-03-01"), status="feedback_submitted"),
                             TaskFacts("b", D("2027-03-01"), resolvable=True)))
    assert rules.task_late(waiting, t.TaskLate(), D("2027-06-01")) is None


# ---- thresholds -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model, values", [
    (t.NodeOverdue, {"yellow_days": 30, "red_days": 30}),
    (t.NodeOverdue, {"critical_red_days": 0}),
    (t.InvestmentLag, {"yellow_ratio": "0.4"}),
    (t.InvestmentLag, {"red_ratio": "-1"}),
    (t.StalledStage, {"yellow_over_days": 200}),
    (t.TaskSettings, {"lead_leader_days": 20}),
    (t.IdleParcel, {"red_over_days": "many"}),
    (t.BudgetOverrun, {"unknown": 1}),
])
def test_inconsistent_or_unknown_thresholds_are_refused(model, values):
    with pytest.raises(ValidationError):
        model.model_validate(values)


def test_every_rule_has_a_title_and_default_thresholds():
    assert set(rules.RULES) == {"node_overdue", "investment_lag", "should_have_started", "signed_without_land",
                                "land_without_start", "paper_start", "not_in_statistics", "budget_overrun",
                                "idle_parcel", "task_late", "round_not_reported"}
    for rule in rules.RULES.values():
        assert rule.title and rule.thresholds()


def test_a_project_not_reported_is_marked_yellow_past_the_deadline():
    facts = ProjectFacts(id="p", year=2026, stage="started",
                         unreported_rounds=(("2026-05", date(2026, 6, 5)), ("2026-06", date(2026, 7, 5))))
    limits = t.RoundNotReported()
    assert rules.round_not_reported(facts, limits, date(2026, 6, 5)) is None  # the deadline day itself
    finding = rules.round_not_reported(facts, limits, date(2026, 7, 6))
    assert finding == (Colour.yellow, "2026年6月调度逾期未报送（截止 2026-07-05），另有 1 个月未报送", None)
    assert rules.round_not_reported(facts, t.RoundNotReported(yellow_over_days=3), date(2026, 7, 6)).wording == \
        "2026年5月调度逾期未报送（截止 2026-06-05）"
    assert rules.round_not_reported(ProjectFacts(id="p", year=2026, stage="started"), limits, date(2026, 7, 6)) is None
