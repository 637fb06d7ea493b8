"""What the milestones service publishes on keyproject.milestones: each event carries the node as consumers need it."""
from contracts.milestones import (MilestoneCompleted, MilestonePlanned, MilestoneReassigned, MilestoneRemoved,
                                  MilestoneRescheduled, ScheduleGenerated)
from tests.milestones.flows import WAIT, known_project, nodes, parallel_template, schedule


async def test_a_generated_schedule_is_announced_whole(registry, milestones, milestones_events):
    project = await known_project(registry, milestones, planned_completion_date="2031-06-30")
    generated = await milestones_events.wait_for(ScheduleGenerated, subject=project["id"], timeout=WAIT)
    assert (generated.template, generated.mode, str(generated.anchor_date)) == ("industrial", "backward",
                                                                                "2031-06-30")
    assert str(generated.projected_completion_date) == "2031-07-30"
    by_key = {m.key: m for m in generated.milestones}
    assert len(by_key) == 11
    started = by_key["started"]
    assert (started.name, started.stage, str(started.planned_date), str(started.baseline_date)) == (
        "开工", "started", "2030-09-18", "2030-09-18")
    assert started.responsible_unit_id == project["responsible_unit_id"] and started.critical is True
    assert by_key["statistics_included"].critical is False  # 入库 has float before the end
    assert by_key["construction_permit"].predecessors == ["planning_permit", "environmental_approval"]


async def test_node_changes_are_announced(registry, milestones, milestones_events):
    project = await known_project(registry, milestones)
    pid = project["id"]
    await schedule(milestones, pid, anchor_date="2027-06-30")  # the plan as drawn up: its past dates stay
    by_key = await nodes(milestones, pid)

    moved = await milestones.patch(f"/api/v1/milestones/{by_key['land_supplied']['id']}",
                                   json={"planned_date": "2026-07-15", "reason": "征地拆迁延后"})
    assert moved.status_code == 200
    rescheduled = await milestones_events.wait_for(MilestoneRescheduled, subject=pid, timeout=WAIT)
    assert (rescheduled.key, str(rescheduled.planned_date), str(rescheduled.previous_planned_date),
            str(rescheduled.baseline_date), rescheduled.reason) == (
        "land_supplied", "2026-07-15", "2026-06-30", "2026-06-30", "征地拆迁延后")

    done = await milestones.post(f"/api/v1/milestones/{by_key['signed']['id']}/complete", json={
        "actual_date": "2026-05-11", "evidence": ["投资协议.pdf"], "note": "签约仪式"})
    assert done.status_code == 200
    completed = await milestones_events.wait_for(MilestoneCompleted, subject=pid, timeout=WAIT)
    assert (completed.key, str(completed.actual_date), completed.days_late, completed.status) == (
        "signed", "2026-05-11", 10, "done_late")
    assert (completed.completed_by, completed.evidence, completed.note) == ("manual", ["投资协议.pdf"], "签约仪式")

    added = await milestones.post(f"/api/v1/projects/{pid}/milestones", json={
        "key": "power_supply", "name": "双回路供电", "planned_date": "2027-03-01", "predecessors": ["real_start"],
        "responsible_person": "王五"})
    assert added.status_code == 201
    planned = await milestones_events.wait_for(MilestonePlanned, subject=pid, timeout=WAIT)
    assert (planned.key, planned.responsible_person, planned.predecessors) == ("power_supply", "王五",
                                                                               ["real_start"])

    handed = await milestones.patch(f"/api/v1/milestones/{added.json()['id']}", json={"responsible_person": "赵六"})
    assert handed.status_code == 200
    reassigned = await milestones_events.wait_for(MilestoneReassigned, subject=pid, timeout=WAIT)
    assert (reassigned.responsible_person, reassigned.previous_responsible_person) == ("赵六", "王五")

    gone = await milestones.delete(f"/api/v1/projects/{pid}/milestones/{added.json()['id']}")
    assert gone.status_code == 204
    removed = await milestones_events.wait_for(MilestoneRemoved, subject=pid, timeout=WAIT)
    assert removed.key == "power_supply" and removed.project_id == pid


async def test_a_regenerated_schedule_announces_the_nodes_it_drops(registry, milestones, milestones_events):
    template = await parallel_template(milestones)
    project = await known_project(registry, milestones)
    pid = project["id"]
    first = await schedule(milestones, pid, template=template, mode="forward", anchor_date="2026-01-01")
    b = next(n for n in first["milestones"] if n["key"] == "b")
    again = await schedule(milestones, pid, template=template, mode="forward", anchor_date="2026-01-01",
                           omit=["b"], reason="规划许可并入环评")
    assert "b" not in {n["key"] for n in again["milestones"]}
    removed = await milestones_events.wait_for(MilestoneRemoved, subject=pid, timeout=WAIT)
    assert (removed.id, removed.key, removed.project_id) == (b["id"], "b", pid)
    generated = await milestones_events.wait_for(ScheduleGenerated, subject=pid, count=2, timeout=WAIT)
    assert b["id"] not in {m.id for m in generated.milestones}
