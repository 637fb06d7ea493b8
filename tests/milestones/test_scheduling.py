"""Backward (倒排) and forward scheduling as pure functions: checked dates on parallel branches and calendars."""
from datetime import date

import pytest

from services.milestones.network import DependencyCycle, UnknownPredecessor, topological_order
from services.milestones.scheduling import (CALENDAR_DAYS, Mode, PlanNode, from_day, plan, push_later,
                                          working_calendar)
from services.milestones.templates.builtin import BUILTIN, INDUSTRIAL

# A → B (10 days) and A → C (20 days) run in parallel; D waits for both (5 days), E follows D (30 days).
PARALLEL = [
    PlanNode("a", 0),
    PlanNode("b", 10, ("a",)),
    PlanNode("c", 20, ("a",)),
    PlanNode("d", 5, ("b", "c")),
    PlanNode("e", 30, ("d",)),
]


def test_forward_takes_the_longer_branch():
    dates = plan(PARALLEL, mode=Mode.forward, anchor=date(2026, 1, 1))
    assert dates == {"a": date(2026, 1, 1), "b": date(2026, 1, 11), "c": date(2026, 1, 21),
                     "d": date(2026, 1, 26), "e": date(2026, 2, 25)}


def test_backward_derives_every_node_from_the_target():
    dates = plan(PARALLEL, mode=Mode.backward, anchor=date(2026, 6, 30))
    # Both branches end as late as D allows; A must be early enough for the longer one.
    assert dates == {"a": date(2026, 5, 6), "b": date(2026, 5, 26), "c": date(2026, 5, 26),
                     "d": date(2026, 5, 31), "e": date(2026, 6, 30)}


def test_backward_and_forward_agree_on_the_span():
    forward = plan(PARALLEL, mode=Mode.forward, anchor=date(2026, 5, 6))
    backward = plan(PARALLEL, mode=Mode.backward, anchor=date(2026, 6, 30))
    assert forward["e"] == backward["e"] and forward["a"] == backward["a"]


def test_anchor_node_takes_the_date_and_the_rest_flows_both_ways():
    dates = plan(PARALLEL, mode=Mode.backward, anchor=date(2026, 6, 1), anchor_key="d")
    assert dates["d"] == date(2026, 6, 1)
    assert dates["b"] == dates["c"] == date(2026, 5, 27)
    assert dates["a"] == date(2026, 5, 7)
    assert dates["e"] == date(2026, 7, 1)  # after the anchor: forward


def test_pinned_node_keeps_its_date():
    dates = plan(PARALLEL, mode=Mode.forward, anchor=date(2026, 1, 1), pinned={"b": date(2026, 2, 1)})
    assert dates["b"] == date(2026, 2, 1)
    assert dates["d"] == date(2026, 2, 6)  # now B's branch is the longer one
    assert dates["e"] == date(2026, 3, 8)


def test_industrial_template_forward_from_the_planned_start():
    nodes = [PlanNode(n.key, n.duration_days, tuple(n.predecessors)) for n in INDUSTRIAL]
    dates = plan(nodes, mode=Mode.forward, anchor=date(2026, 3, 1), anchor_key="started")
    assert dates == {
        "signed": date(2025, 10, 12),
        "land_supplied": date(2025, 12, 11),
        "planning_permit": date(2026, 1, 25),      # the planning permit branch (30 days) has slack
        "environmental_approval": date(2026, 1, 25),
        "construction_permit": date(2026, 2, 14),
        "started": date(2026, 3, 1),
        "real_start": date(2026, 3, 16),
        "topped_out": date(2026, 9, 12),
        "completion_acceptance": date(2026, 12, 11),
        "in_operation": date(2027, 1, 10),
        "statistics_included": date(2026, 4, 15),  # 入库 30 days after the real start
    }


def test_industrial_template_backward_from_the_planned_completion():
    nodes = [PlanNode(n.key, n.duration_days, tuple(n.predecessors)) for n in INDUSTRIAL]
    dates = plan(nodes, mode=Mode.backward, anchor=date(2027, 6, 30), anchor_key="completion_acceptance")
    assert dates["completion_acceptance"] == date(2027, 6, 30)
    assert dates["in_operation"] == date(2027, 7, 30)
    assert dates["topped_out"] == date(2027, 4, 1)
    assert dates["started"] == date(2026, 9, 18)
    assert dates["signed"] == date(2026, 5, 1)
    assert dates["statistics_included"] == date(2026, 11, 2)


def test_working_days_skip_weekends_holidays_and_work_make_up_days():
    chain = [PlanNode("a", 0), PlanNode("b", 3, ("a",))]
    friday = date(2026, 1, 2)
    assert plan(chain, mode=Mode.forward, anchor=friday, calendar=working_calendar())["b"] == date(2026, 1, 7)
    with_holiday = working_calendar(holidays=[date(2026, 1, 6)])
    assert plan(chain, mode=Mode.forward, anchor=friday, calendar=with_holiday)["b"] == date(2026, 1, 8)
    saturday_worked = working_calendar(extra_workdays=[date(2026, 1, 3)])
    assert plan(chain, mode=Mode.forward, anchor=friday, calendar=saturday_worked)["b"] == date(2026, 1, 6)
    # Backward from a Sunday target: the end rolls back to Friday, the start 3 working days before it.
    back = plan(chain, mode=Mode.backward, anchor=date(2026, 1, 11), calendar=working_calendar())
    assert back == {"a": date(2026, 1, 6), "b": date(2026, 1, 9)}


def test_calendar_days_count_weekends():
    chain = [PlanNode("a", 0), PlanNode("b", 3, ("a",))]
    assert plan(chain, mode=Mode.forward, anchor=date(2026, 1, 2), calendar=CALENDAR_DAYS)["b"] == date(2026, 1, 5)


def test_push_later_moves_only_what_must_move():
    planned = plan(PARALLEL, mode=Mode.backward, anchor=date(2026, 6, 30))
    planned["c"] = date(2026, 6, 10)  # C slipped
    moved = push_later(PARALLEL, planned, moved_from=["c"])
    assert moved == {"d": date(2026, 6, 15), "e": date(2026, 7, 15)}
    # Planned as soon as possible, B has 10 days of slack: moving it 10 days later moves nothing else.
    early = plan(PARALLEL, mode=Mode.forward, anchor=date(2026, 1, 1))
    assert push_later(PARALLEL, {**early, "b": date(2026, 1, 21)}, moved_from=["b"]) == {}
    assert push_later(PARALLEL, {**early, "b": date(2026, 1, 22)}, moved_from=["b"]) == {
        "d": date(2026, 1, 27), "e": date(2026, 2, 26)}


def test_a_cascade_moves_only_what_follows_and_a_done_node_drives_by_its_actual_date():
    """Seen: a cascade moved a done predecessor's plan months forward and turned an overdue node into 'on time'."""
    early = plan(PARALLEL, mode=Mode.forward, anchor=date(2026, 1, 1))
    # C was done early although its plan says late: its stale plan drives nothing; D follows C's actual date.
    stale = {**early, "c": date(2026, 5, 1)}
    moved = push_later(PARALLEL, stale, moved_from=["c"], done={"c": early["c"]})
    assert moved == {}
    # Moving B later moves what follows B, never C (done) nor A (before it), whatever their plans say.
    moved = push_later(PARALLEL, {**stale, "b": date(2026, 3, 1)}, moved_from=["b"], done={"c": early["c"]})
    assert set(moved) <= {"d", "e"} and "c" not in moved and "a" not in moved
    assert moved["d"] == date(2026, 3, 6)


def test_unknown_predecessor_and_cycles_name_the_node():
    with pytest.raises(UnknownPredecessor) as unknown:
        topological_order({"a": [], "b": ["a", "x"]})
    assert unknown.value.node == "b" and unknown.value.predecessor == "x"
    with pytest.raises(DependencyCycle) as cycle:
        topological_order({"a": ["c"], "b": ["a"], "c": ["b"], "d": []})
    assert set(cycle.value.cycle) == {"a", "b", "c"}
    assert cycle.value.cycle[0] == cycle.value.cycle[-1]
    with pytest.raises(DependencyCycle):
        topological_order({"a": ["a"]})


@pytest.mark.parametrize("key", sorted(BUILTIN))
def test_every_builtin_template_schedules_and_has_the_registry_nodes(key):
    _, _, categories, nodes = BUILTIN[key]
    dates = plan([PlanNode(n.key, n.duration_days, tuple(n.predecessors)) for n in nodes], mode=Mode.backward,
                 anchor=date(2027, 12, 31), anchor_key="completion_acceptance")
    assert dates["completion_acceptance"] == date(2027, 12, 31)
    stages = {n.stage for n in nodes if n.stage}
    assert {"signed", "land_supplied", "started", "completed", "in_operation"} <= stages
    assert {n.trigger for n in nodes if n.trigger} == {"real_start", "statistics_included"}
    statistics = next(n for n in nodes if n.trigger == "statistics_included")
    assert statistics.predecessors == ["real_start"]
    assert categories


def test_a_plan_made_today_plans_its_passed_nodes_from_today():
    """Backward from 2026-06-30 the nodes fall in May; drawn up on 27 May, A (done) stays, B and C (passed) are
    planned from 27 May, D and E after them."""
    planned = plan(PARALLEL, mode=Mode.backward, anchor=date(2026, 6, 30))
    moved = from_day(PARALLEL, planned, day=date(2026, 5, 27), fixed={"a": date(2026, 5, 1)})
    assert moved == {"b": date(2026, 6, 6), "c": date(2026, 6, 16), "d": date(2026, 6, 21), "e": date(2026, 7, 21)}


def test_nothing_moves_when_nothing_has_passed():
    planned = plan(PARALLEL, mode=Mode.backward, anchor=date(2026, 6, 30))
    assert from_day(PARALLEL, planned, day=date(2026, 5, 6), fixed={}) == {}


def test_a_passed_node_after_a_pinned_one_keeps_the_pin():
    planned = plan(PARALLEL, mode=Mode.forward, anchor=date(2026, 1, 1))
    moved = from_day(PARALLEL, planned, day=date(2026, 1, 24), fixed={"d": date(2026, 1, 26)})
    # B and C had passed: planned from 24 January; D is pinned and does not move; E keeps its date after D.
    assert moved == {"a": date(2026, 1, 24), "b": date(2026, 2, 3), "c": date(2026, 2, 13)}


def test_a_node_planned_from_today_gets_at_least_the_lead():
    planned = plan(PARALLEL, mode=Mode.backward, anchor=date(2026, 6, 30))
    moved = from_day(PARALLEL, planned, day=date(2026, 6, 1), fixed={}, lead_days=15)
    # A (no duration) gets the 15 days' lead; B and C take their durations after it, D and E follow them.
    assert moved == {"a": date(2026, 6, 16), "b": date(2026, 6, 26), "c": date(2026, 7, 6), "d": date(2026, 7, 11),
                     "e": date(2026, 8, 10)}


def test_the_official_calendar_knows_the_2026_spring_festival_and_national_day_weeks():
    """chinesecalendar: Spring Festival 15-23 February 2026 off, Saturdays 14 and 28 February worked; National Day
    1-7 October off, Sunday 20 September and Saturday 10 October worked."""
    official = working_calendar(official=True)
    assert [d for d in range(14, 29) if official.is_working(date(2026, 2, d))] == [14, 24, 25, 26, 27, 28]
    assert official.is_working(date(2026, 9, 20)) and official.is_working(date(2026, 10, 10))
    assert not any(official.is_working(date(2026, 10, d)) for d in range(1, 8))
    # five working days from Friday 13 February: Saturday 14, then 24-27 February
    assert official.shift(date(2026, 2, 13), 5) == date(2026, 2, 27)
    # configuration overrides the data: a local holiday, a make-up day of a year not published yet
    local = working_calendar(official=True, holidays=[date(2026, 2, 24)], extra_workdays=[date(2027, 2, 6)])
    assert not local.is_working(date(2026, 2, 24)) and local.is_working(date(2027, 2, 6))
    assert local.is_working(date(2027, 3, 1)) and not local.is_working(date(2027, 3, 6))  # 2027: weekends only
