"""The critical path method on a known network: earliest and latest dates, floats, projection and slip."""
from datetime import date, datetime, time, timezone

from services.milestones.critical_path import Activity, analyse
from services.milestones.scan.daily import seconds_until
from services.milestones.scheduling import Mode, PlanNode, plan
from services.milestones.status import alert_levels, crossing, first_alert_date, standing

# A → B(10) → D(5) → E(30) → G;  A → C(20) → D;  B → F(7) → G.  Planned forward (as soon as possible) from 1 Jan.
NETWORK = {"a": (0, ()), "b": (10, ("a",)), "c": (20, ("a",)), "d": (5, ("b", "c")), "e": (30, ("d",)),
           "f": (7, ("b",)), "g": (0, ("e", "f"))}
PLANNED = plan([PlanNode(k, d, p) for k, (d, p) in NETWORK.items()], mode=Mode.forward, anchor=date(2026, 1, 1))


def activities(**changes) -> list[Activity]:
    return [Activity(**{"key": k, "duration_days": d, "predecessors": p, "planned_date": PLANNED[k],
                        "baseline_date": PLANNED[k], **changes.get(k, {})}) for k, (d, p) in NETWORK.items()]


def test_floats_and_critical_nodes_of_the_plan():
    result = analyse(activities())
    floats = {k: t.float_days for k, t in result.timings.items()}
    assert floats == {"a": 0, "b": 10, "c": 0, "d": 0, "e": 0, "f": 38, "g": 0}
    assert result.path == ["a", "c", "d", "e", "g"]
    assert result.timings["b"].earliest_date == date(2026, 1, 11)
    assert result.timings["b"].latest_date == date(2026, 1, 21)
    assert result.timings["f"].latest_date == date(2026, 2, 25)
    assert result.projected_completion_date == result.baseline_completion_date == date(2026, 2, 25)
    assert result.slip_days == 0


def test_a_backward_plan_keeps_its_floats():
    """Planned as late as possible, B's dates leave no slack against the plan, but its float is still 10 days."""
    backward = plan([PlanNode(k, d, p) for k, (d, p) in NETWORK.items()], mode=Mode.backward,
                    anchor=date(2026, 2, 25))
    nodes = [Activity(key=k, duration_days=d, predecessors=p, planned_date=backward[k], baseline_date=backward[k])
             for k, (d, p) in NETWORK.items()]
    result = analyse(nodes)
    assert {k: t.float_days for k, t in result.timings.items()}["b"] == 10
    assert result.path == ["a", "c", "d", "e", "g"]


def test_a_late_critical_node_slips_the_completion_and_shifts_floats():
    result = analyse(activities(a={"actual_date": date(2026, 1, 1)}, c={"actual_date": date(2026, 1, 25)}))
    assert result.projected_completion_date == date(2026, 3, 1)
    assert result.slip_days == 4
    assert result.timings["b"].float_days == 14
    assert result.timings["c"].critical


def test_open_nodes_cannot_happen_before_as_of():
    done = {"actual_date": date(2026, 1, 1)}
    result = analyse(activities(a=done, b={"actual_date": date(2026, 1, 11)}, c={"actual_date": date(2026, 1, 25)}),
                     as_of=date(2026, 2, 10))
    assert result.timings["d"].earliest_date == date(2026, 2, 10)
    assert result.projected_completion_date == date(2026, 3, 12)
    assert result.slip_days == 15


def test_a_node_rescheduled_by_hand_is_a_commitment():
    result = analyse(activities(f={"planned_date": date(2026, 3, 10), "pinned": True}))
    assert result.timings["f"].earliest_date == date(2026, 3, 10)
    assert result.projected_completion_date == date(2026, 3, 10)
    # The hand-set date drives the end: what comes before F has float against it.
    assert result.path == ["f", "g"]
    assert result.timings["e"].float_days == 13


def test_early_completion_projects_ahead_of_the_baseline():
    result = analyse(activities(a={"actual_date": date(2026, 1, 1)}, c={"actual_date": date(2026, 1, 16)}))
    assert result.slip_days == -5


def test_status_and_days_late_as_of_a_date():
    planned = date(2026, 3, 10)
    assert standing(planned=planned, actual=None, as_of=date(2026, 3, 1), due_soon_days=7).status == "pending"
    assert standing(planned=planned, actual=None, as_of=date(2026, 3, 3), due_soon_days=7).status == "due_soon"
    assert standing(planned=planned, actual=None, as_of=date(2026, 3, 10), due_soon_days=7).status == "due_soon"
    late = standing(planned=planned, actual=None, as_of=date(2026, 3, 25), due_soon_days=7)
    assert (late.status, late.days_late, late.variance_days) == ("overdue", 15, 15)
    done = standing(planned=planned, actual=date(2026, 3, 12), as_of=date(2026, 4, 1), due_soon_days=7)
    assert (done.status, done.days_late) == ("done_late", 2)
    early = standing(planned=planned, actual=date(2026, 3, 8), as_of=date(2026, 4, 1), due_soon_days=7)
    assert (early.status, early.days_late, early.variance_days) == ("done_on_time", 0, -2)


def test_alert_levels_are_crossed_once_each_highest_first():
    levels = alert_levels(due_soon_days=7, overdue_thresholds=[30, 1, 15])
    assert levels == [-7, 1, 15, 30]
    planned = date(2026, 3, 10)
    start = first_alert_date(planned, levels)
    assert start == date(2026, 3, 3)
    soon = crossing(planned=planned, next_alert_date=start, as_of=date(2026, 3, 5), levels=levels)
    assert (soon.level, soon.next_alert_date) == (-7, date(2026, 3, 11))
    late = crossing(planned=planned, next_alert_date=soon.next_alert_date, as_of=date(2026, 3, 28), levels=levels)
    assert (late.level, late.next_alert_date) == (15, date(2026, 4, 9))  # 1 and 15 crossed together: 15 announced
    last = crossing(planned=planned, next_alert_date=late.next_alert_date, as_of=date(2026, 6, 1), levels=levels)
    assert (last.level, last.next_alert_date) == (30, None)


def test_the_daily_scan_waits_for_its_local_time():
    now = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)
    assert seconds_until(time(1, 0), now) == 5400
    assert seconds_until(time(23, 30), now) == 86400
    assert seconds_until(time(23, 45), now) == 900
