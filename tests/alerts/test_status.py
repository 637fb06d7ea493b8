"""Colour, grade, how alerts follow findings, and the escalation ladder (pure functions)."""
from datetime import date, timedelta
from fractions import Fraction

import pytest

from contracts.alerts import Colour, EscalationLevel, Grade
from services.alerts.rules.definitions import Finding
from services.alerts.rules.escalation import first_tuesday, level_due, steps_to
from services.alerts.rules.facts import NodeFacts, ProjectFacts
from services.alerts.rules.status import Active, grade, has_late_node, reconcile, worst
from services.alerts.rules.thresholds import TaskSettings

FASTER = Fraction(11, 10)


def test_colour_is_the_worst_active_alert_blue_when_none():
    assert worst([]) == Colour.blue
    assert worst(["yellow", "yellow"]) == Colour.yellow
    assert worst([Colour.yellow, Colour.red, Colour.yellow]) == Colour.red


@pytest.mark.parametrize("colour, ratio, late, expected", [
    (Colour.red, Fraction(2), False, Grade.lagging),
    (Colour.yellow, Fraction(2), False, Grade.warning),
    (Colour.blue, Fraction(11, 10), False, Grade.faster),      # exactly 1.1 is faster
    (Colour.blue, Fraction(109, 100), False, Grade.normal),
    (Colour.blue, Fraction(3, 2), True, Grade.normal),          # a late node keeps it normal
    (Colour.blue, None, False, Grade.normal),                   # no plan this year: no ratio
])
def test_grade_per_design(colour, ratio, late, expected):
    assert grade(colour, ratio=ratio, late_node=late, faster_ratio=FASTER) == expected


def test_a_late_node_is_one_past_its_planned_date_not_done():
    facts = ProjectFacts(id="p", year=2027, stage="started", nodes=(NodeFacts("桩基", date(2027, 3, 1)),))
    assert not has_late_node(facts, date(2027, 3, 1))
    assert has_late_node(facts, date(2027, 3, 2))


def test_reconcile_raises_escalates_downgrades_refreshes_and_resolves():
    yellow = Active("a1", "node_overdue", Colour.yellow, "施工许可节点已逾期 {days:2027-03-02} 天")
    red = Active("a2", "investment_lag", Colour.red, "x")
    stale = Active("a3", "paper_start", Colour.yellow, "开工 {days:2027-02-01} 天仍未确认实质性开工（疑似纸面开工）")
    same = Active("a4", "signed_without_land", Colour.yellow, "已签约 {days:2027-01-01} 天仍未供地")
    resolved = Active("a5", "budget_overrun", Colour.yellow, "y")
    unworded = Active("a6", "land_without_start", Colour.yellow, None)  # stored before wordings were kept
    findings = {
        "node_overdue": Finding(Colour.red, "施工许可节点已逾期 {days:2027-03-02} 天"),
        "investment_lag": Finding(Colour.yellow, "y"),
        "paper_start": Finding(Colour.yellow, "开工 {days:2027-02-03} 天仍未确认实质性开工（疑似纸面开工）"),
        "signed_without_land": Finding(Colour.yellow, "已签约 {days:2027-01-01} 天仍未供地"),
        "land_without_start": Finding(Colour.yellow, "已供地 {days:2027-01-01} 天仍未开工"),
        "budget_overrun": None,
        "should_have_started": Finding(Colour.yellow, "z"),
        "task_late": None,
    }
    active = {a.rule: a for a in (yellow, red, stale, same, resolved, unworded)}
    steps = {s.rule: s.action for s in reconcile(findings, active)}
    assert steps == {"node_overdue": "escalate", "investment_lag": "downgrade", "paper_start": "refresh",
                     "land_without_start": "refresh", "budget_overrun": "resolve", "should_have_started": "raise"}


def test_reconcile_is_idempotent():
    findings = {"node_overdue": Finding(Colour.red, "m")}
    assert reconcile(findings, {"node_overdue": Active("a", "node_overdue", Colour.red, "m")}) == []


def test_escalation_ladder_on_days_past_the_deadline():
    deadline, ladder = date(2027, 3, 1), TaskSettings()
    levels = {d: level_due(deadline, deadline + timedelta(days=d), ladder) for d in (0, 1, 2, 6, 7, 8, 14, 15, 16)}
    assert levels == {0: EscalationLevel.none, 1: EscalationLevel.unit_head, 2: EscalationLevel.unit_head,
                      6: EscalationLevel.unit_head, 7: EscalationLevel.lead_leader, 8: EscalationLevel.lead_leader,
                      14: EscalationLevel.lead_leader, 15: EscalationLevel.accountability,
                      16: EscalationLevel.accountability}


def test_a_task_climbs_every_rung_and_never_goes_down():
    assert steps_to("none", EscalationLevel.accountability) == [
        EscalationLevel.unit_head, EscalationLevel.lead_leader, EscalationLevel.accountability]
    assert steps_to("unit_head", EscalationLevel.lead_leader) == [EscalationLevel.lead_leader]
    assert steps_to("lead_leader", EscalationLevel.unit_head) == []
    assert steps_to("accountability", EscalationLevel.accountability) == []


@pytest.mark.parametrize("year, month, expected", [(2026, 12, 1), (2027, 2, 2), (2027, 6, 1), (2027, 3, 2),
                                                   (2027, 8, 3)])
def test_the_supervision_day_is_the_first_tuesday(year, month, expected):
    day = first_tuesday(year, month)
    assert day == date(year, month, expected) and day.weekday() == 1
