"""Delay attribution (超时倒查) as a pure function: every late node is charged its own lateness; a project's slip is
attributed along its critical path to the nodes that added it, never to a late node off the path."""
from datetime import date

from services.milestones.critical_path import Activity
from services.milestones.delays.attribution import attribute


def chain(**actual) -> list[Activity]:
    """A → B → C → D, ten days each, planned (and baselined) from 1 January."""
    planned = {"a": date(2026, 1, 1), "b": date(2026, 1, 11), "c": date(2026, 1, 21), "d": date(2026, 1, 31)}
    before = {"a": (), "b": ("a",), "c": ("b",), "d": ("c",)}
    return [Activity(key=k, duration_days=0 if k == "a" else 10, predecessors=before[k], planned_date=day,
                     baseline_date=day, actual_date=actual.get(k)) for k, day in planned.items()]


def test_the_slip_goes_to_the_nodes_that_added_it():
    # B done ten days late; C still open on 5 February (it could not start before 31 January): the project
    # (D) now ends on 15 February, 15 days late; B added 10 of them, C the 5 it lost on top.
    delay = attribute(chain(a=date(2026, 1, 1), b=date(2026, 1, 21)), as_of=date(2026, 2, 5))
    assert delay.slip_days == 15
    assert {k: n.slip_days for k, n in delay.nodes.items()} == {"a": 0, "b": 10, "c": 5, "d": 0}
    assert sum(n.slip_days for n in delay.nodes.values()) == delay.slip_days
    # each node's own lateness against its plan: B done 10 late, C open 15 days past its date, D 5
    assert {k: n.days_late for k, n in delay.nodes.items()} == {"a": 0, "b": 10, "c": 15, "d": 5}


def test_a_late_node_off_the_critical_path_is_charged_its_lateness_not_the_projects_slip():
    # A → B (10 days) and A → C (30 days) in parallel, D after both (5 days). B is 14 days late but C, the longer
    # branch, is on time: the project does not slip, and B alone answers for its 14 days.
    nodes = [Activity("a", 0, (), date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 1)),
             Activity("b", 10, ("a",), date(2026, 1, 11), date(2026, 1, 11), date(2026, 1, 25)),
             Activity("c", 30, ("a",), date(2026, 1, 31), date(2026, 1, 31), date(2026, 1, 31)),
             Activity("d", 5, ("b", "c"), date(2026, 2, 5), date(2026, 2, 5))]
    delay = attribute(nodes, as_of=date(2026, 2, 1))
    assert delay.slip_days == 0
    assert {k: (n.days_late, n.slip_days) for k, n in delay.nodes.items()} == {
        "a": (0, 0), "b": (14, 0), "c": (0, 0), "d": (0, 0)}


def test_a_rescheduled_node_is_on_time_against_its_plan_and_late_against_its_baseline():
    nodes = chain(a=date(2026, 1, 1))
    b = nodes[1]
    nodes[1] = Activity(b.key, b.duration_days, b.predecessors, planned_date=date(2026, 2, 1),
                        baseline_date=b.baseline_date, actual_date=date(2026, 2, 1), pinned=True)
    delay = attribute(nodes, as_of=date(2026, 2, 1))
    assert (delay.nodes["b"].days_late, delay.nodes["b"].baseline_days_late) == (0, 21)
    assert delay.nodes["b"].slip_days == 21 and delay.slip_days == 21


def test_a_project_on_time_charges_no_slip():
    delay = attribute(chain(), as_of=date(2025, 12, 1))
    assert delay.slip_days == 0
    assert all((n.days_late, n.baseline_days_late, n.slip_days) == (0, 0, 0) for n in delay.nodes.values())


def test_float_absorbs_what_a_predecessor_lost_beyond_the_slip():
    # B (10 days after A, with 20 days of float before D) is done 30 days late: D, bound by B now, ends 10 days
    # late. B answers for its 30 days of lateness, and for 10 days of the project's slip: the rest was float.
    nodes = [Activity("a", 0, (), date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 1)),
             Activity("b", 10, ("a",), date(2026, 1, 11), date(2026, 1, 11), date(2026, 2, 10)),
             Activity("c", 30, ("a",), date(2026, 1, 31), date(2026, 1, 31), date(2026, 1, 31)),
             Activity("d", 5, ("b", "c"), date(2026, 2, 5), date(2026, 2, 5), date(2026, 2, 15))]
    delay = attribute(nodes, as_of=date(2026, 3, 1))
    assert delay.slip_days == 10
    assert {k: (n.days_late, n.slip_days) for k, n in delay.nodes.items()} == {
        "a": (0, 0), "b": (30, 10), "c": (0, 0), "d": (10, 0)}


def test_a_node_done_after_the_day_was_still_open_on_it():
    delay = attribute(chain(a=date(2026, 1, 1), b=date(2026, 2, 20)), as_of=date(2026, 1, 16))
    assert (delay.nodes["b"].days_late, delay.slip_days) == (5, 5)
