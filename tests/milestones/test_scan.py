"""The daily scan on given dates: due-soon and overdue thresholds, once per node per threshold, idempotent reruns.

Plans lie in 2031 so that the service's own daily scan (run for the test run's pinned today) never reaches them; scans of other
tests may announce this test's nodes only for dates they scan, so every assertion is about this test's project.
"""
from contracts.milestones import MilestoneDueSoon, MilestoneOverdue, MilestoneReassigned
from tests.milestones.flows import WAIT, known_project, nodes, parallel_template, schedule
from tests.support.api import client, eventually
from tests.support.clock import TODAY
from tests.support.databases import query


async def scan(milestones, day: str) -> dict:
    response = await milestones.post("/api/v1/admin/scan", params={"date": day})
    assert response.status_code == 200, response.text
    return response.json()


async def crossings(platform, project_id: str) -> list[tuple]:
    """(node key, level, as_of) recorded for the project, straight from the milestones database."""
    url = platform.services["milestones"].env["KP_DATABASE_URL"]
    rows = await query(url, "SELECT m.key, c.level, c.as_of FROM alert_crossings c "
                            "JOIN milestones m ON m.id = c.milestone_id WHERE m.project_id = :p "
                            "ORDER BY c.as_of, m.key", p=project_id)
    return [(key, level, str(as_of)) for key, level, as_of in rows]


async def announced(milestones, milestones_events, project: dict, marker_node: dict) -> tuple[list, list]:
    """Every due-soon and overdue event of the project, read once a later marker event is on the broker: the relay
    publishes in outbox order and one project's events share a partition, so nothing staged earlier is missing."""
    before = len(await milestones_events.all(MilestoneReassigned, subject=project["id"]))
    person = f"值班员{before}"
    response = await milestones.patch(f"/api/v1/milestones/{marker_node['id']}", json={"responsible_person": person})
    assert response.status_code == 200, response.text
    await milestones_events.wait_for(MilestoneReassigned, subject=project["id"], count=before + 1, timeout=WAIT)
    due = await milestones_events.all(MilestoneDueSoon, subject=project["id"])
    late = await milestones_events.all(MilestoneOverdue, subject=project["id"])
    return ([(e.key, str(e.as_of), e.days_until_due) for e in due],
            [(e.key, str(e.as_of), e.threshold_days, e.days_late, e.critical) for e in late])


async def planned_2031(registry, milestones) -> tuple[dict, dict]:
    """The parallel template forward from 2031-01-01 (a 01-01, b 01-11, c 01-21, d 01-26, e 02-25); a done early."""
    template = await parallel_template(milestones)
    project = await known_project(registry, milestones)
    await schedule(milestones, project["id"], template=template, mode="forward", anchor_date="2031-01-01")
    by_key = await nodes(milestones, project["id"])
    done = await milestones.post(f"/api/v1/milestones/{by_key['a']['id']}/complete",
                                 json={"actual_date": "2026-11-01"})
    assert done.status_code == 200, done.text
    return project, await nodes(milestones, project["id"])


async def test_thresholds_are_announced_once_each(platform, registry, milestones, milestones_events):
    project, by_key = await planned_2031(registry, milestones)
    pid = project["id"]
    result = await scan(milestones, "2031-01-05")
    assert result["due_soon"] >= 1 and result["as_of"] == "2031-01-05"
    assert await crossings(platform, pid) == [("b", -7, "2031-01-05")]
    await scan(milestones, "2031-01-05")
    await scan(milestones, "2031-01-03")
    assert await crossings(platform, pid) == [("b", -7, "2031-01-05")]

    await scan(milestones, "2031-01-12")
    await scan(milestones, "2031-01-16")
    await scan(milestones, "2031-02-10")
    await scan(milestones, "2031-02-10")
    await scan(milestones, "2031-01-20")
    assert await crossings(platform, pid) == [
        ("b", -7, "2031-01-05"), ("b", 1, "2031-01-12"), ("c", -7, "2031-01-16"),
        ("b", 30, "2031-02-10"), ("c", 15, "2031-02-10"), ("d", 15, "2031-02-10")]

    due, late = await announced(milestones, milestones_events, project, by_key["e"])
    assert due == [("b", "2031-01-05", 6), ("c", "2031-01-16", 5)]
    # b is not on the critical path (10 days of float); c and d are.
    assert sorted(late) == [("b", "2031-01-12", 1, 1, False), ("b", "2031-02-10", 30, 30, False),
                            ("c", "2031-02-10", 15, 20, True), ("d", "2031-02-10", 15, 15, True)]
    overdue_b = [e for e in await milestones_events.all(MilestoneOverdue, subject=pid) if e.key == "b"][-1]
    assert (overdue_b.status, str(overdue_b.planned_date), overdue_b.responsible_unit_id) == (
        "overdue", "2031-01-11", project["responsible_unit_id"])
    assert overdue_b.predecessors == ["a"] and overdue_b.name == "规划许可"


async def test_rescheduling_starts_a_new_round(platform, registry, milestones):
    project, by_key = await planned_2031(registry, milestones)
    await scan(milestones, "2031-01-12")
    assert await crossings(platform, project["id"]) == [("b", 1, "2031-01-12")]
    moved = await milestones.patch(f"/api/v1/milestones/{by_key['b']['id']}",
                                   json={"planned_date": "2031-03-01", "reason": "规划调整"})
    assert moved.status_code == 200
    await scan(milestones, "2031-01-12")
    assert await crossings(platform, project["id"]) == [("b", 1, "2031-01-12")]
    await scan(milestones, "2031-02-25")
    await scan(milestones, "2031-03-02")
    found = await crossings(platform, project["id"])
    assert [(k, level) for k, level, _ in found if k == "b"] == [("b", 1), ("b", -7), ("b", 1)]


async def test_done_and_closed_nodes_are_not_scanned(platform, registry, milestones):
    project, by_key = await planned_2031(registry, milestones)
    archived = await registry.post(f"/api/v1/projects/{project['id']}/archive", json={"reason": "项目终止"})
    assert archived.status_code == 200

    async def closed():
        return all(n["closed"] for n in (await nodes(milestones, project["id"])).values())

    await eventually(closed, timeout=WAIT, what="schedule closed")
    await scan(milestones, "2031-12-31")
    assert await crossings(platform, project["id"]) == []


async def test_the_scan_needs_admin_and_a_date(platform, milestones):
    async with client(platform.url("milestones"), "milestones:write") as writer:
        assert (await writer.post("/api/v1/admin/scan", params={"date": "2031-01-01"})).status_code == 403
    assert (await milestones.post("/api/v1/admin/scan", params={"date": "someday"})).status_code == 422
    today = await milestones.post("/api/v1/admin/scan")
    assert today.status_code == 200 and today.json()["as_of"]


async def test_the_daily_scan_ran_at_start_up_for_today(platform):
    url = platform.services["milestones"].env["KP_DATABASE_URL"]

    async def ran():
        return bool(await query(url, "SELECT as_of FROM scan_runs WHERE trigger = 'daily'"))

    await eventually(ran, timeout=WAIT, what="the start-up scan")
    days = [str(row[0]) for row in await query(url, "SELECT as_of FROM scan_runs WHERE trigger = 'daily'")]
    assert str(TODAY) in days
