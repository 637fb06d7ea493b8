"""Nodes driven by real registry events: stage changes, the real start, statistics inclusion, going back, unit
changes, late planned dates, archiving. Everything is done through the registry API; milestones is polled."""
from contracts.milestones import MilestoneCompleted, MilestoneReopened
from tests.milestones.flows import WAIT, known_project, nodes
from tests.support.api import eventually
from tests.support.factories import create_unit


async def wait_nodes(milestones, project_id, check, what):
    """Poll the project's nodes until `check(nodes_by_key)` holds; return them."""
    found = {}

    async def holds():
        found.update(await nodes(milestones, project_id))
        return check(found)

    await eventually(holds, timeout=WAIT, what=what)
    return found


async def test_stages_real_start_and_statistics_complete_their_nodes(registry, milestones, milestones_events):
    project = await known_project(registry, milestones, planned_start_date="2026-03-01",
                                  planned_completion_date="2027-06-30")
    pid = project["id"]
    moved = await registry.post(f"/api/v1/projects/{pid}/transitions", json={
        "to_stage": "started", "date": "2026-03-15", "evidence": ["开工令.pdf"],
        "skipped_dates": {"signed": "2026-01-10", "land_supplied": "2026-02-01"}})
    assert moved.status_code == 200, moved.text
    by_key = await wait_nodes(milestones, pid, lambda n: n["started"]["actual_date"] is not None,
                              "the started node completed")
    assert {k: by_key[k]["actual_date"] for k in ("signed", "land_supplied", "started")} == {
        "signed": "2026-01-10", "land_supplied": "2026-02-01", "started": "2026-03-15"}
    assert by_key["started"]["completed_by"] == "registry"
    # Backward from 2027-06-30 the start was planned on 2026-09-18: done early.
    assert by_key["started"]["status"] == "done_on_time"
    assert by_key["real_start"]["actual_date"] is None
    # The permits were never reported, but a started project had them: done, never overdue, on a date the platform
    # does not know (by their plan at the latest, so not charged as late).
    permit = by_key["construction_permit"]
    assert permit["actual_date"] == min(permit["planned_date"], "2026-03-15")
    assert permit["status"] == "done_on_time" and permit["completed_by"] == "inferred"

    confirmed = await registry.post(f"/api/v1/projects/{pid}/start-confirmation", json={
        "kind": "piling", "date": "2026-03-20", "evidence": ["桩基施工照片.jpg"]})
    assert confirmed.status_code == 200, confirmed.text
    by_key = await wait_nodes(milestones, pid, lambda n: n["real_start"]["actual_date"] == "2026-03-20",
                              "the real-start node completed")

    for kind in ("approval", "construction_contract", "site_photo"):
        document = await registry.post(f"/api/v1/projects/{pid}/documents", json={
            "kind": kind, "title": kind, "uri": f"https://files.example.gov.cn/{pid}/{kind}.pdf"})
        assert document.status_code == 201, document.text
    assert (await registry.post(f"/api/v1/projects/{pid}/statistics/submit")).status_code == 200
    accepted = await registry.post(f"/api/v1/projects/{pid}/statistics/accept")
    assert accepted.status_code == 200, accepted.text
    by_key = await wait_nodes(milestones, pid, lambda n: n["statistics_included"]["actual_date"] is not None,
                              "the statistics node completed")
    assert by_key["statistics_included"]["completed_by"] == "registry"

    completed = await milestones_events.wait_for(MilestoneCompleted, subject=pid, count=5, timeout=WAIT)
    assert completed.completed_by == "registry"
    started = [e for e in await milestones_events.all(MilestoneCompleted, subject=pid) if e.key == "started"]
    assert len(started) == 1 and str(started[0].actual_date) == "2026-03-15"


async def test_going_back_reopens_what_the_registry_took_back(registry, milestones, milestones_events):
    project = await known_project(registry, milestones, planned_completion_date="2027-06-30")
    pid = project["id"]
    await registry.post(f"/api/v1/projects/{pid}/transitions", json={
        "to_stage": "started", "date": "2026-03-15",
        "skipped_dates": {"signed": "2026-01-10", "land_supplied": "2026-02-01"}})
    await wait_nodes(milestones, pid, lambda n: n["started"]["actual_date"] is not None, "started")
    back = await registry.post(f"/api/v1/projects/{pid}/transitions", json={
        "to_stage": "signed", "date": "2026-04-01", "reason": "开工为误报"})
    assert back.status_code == 200, back.text
    by_key = await wait_nodes(milestones, pid, lambda n: n["started"]["actual_date"] is None, "started reopened")
    assert by_key["land_supplied"]["actual_date"] is None
    assert by_key["signed"]["actual_date"] == "2026-01-10"
    reopened = await milestones_events.wait_for(MilestoneReopened, subject=pid, count=2, timeout=WAIT)
    assert reopened.actual_date is None and "registry" in reopened.reason


async def test_planned_dates_added_later_generate_the_schedule_with_the_stages_so_far(registry, milestones):
    project = await known_project(registry, milestones)
    pid = project["id"]
    signed = await registry.post(f"/api/v1/projects/{pid}/transitions",
                                 json={"to_stage": "signed", "date": "2026-01-10"})
    assert signed.status_code == 200
    updated = await registry.patch(f"/api/v1/projects/{pid}", json={"planned_start_date": "2030-06-01"},
                                   headers={"If-Match": signed.headers["ETag"]})
    assert updated.status_code == 200, updated.text
    by_key = await wait_nodes(milestones, pid, lambda n: "started" in n, "a schedule after the update")
    assert by_key["started"]["planned_date"] == "2030-06-01"
    assert by_key["signed"]["actual_date"] == "2026-01-10"


async def test_nodes_follow_the_project_to_its_new_unit(registry, milestones):
    project = await known_project(registry, milestones, planned_completion_date="2027-06-30")
    pid = project["id"]
    by_key = await nodes(milestones, pid)
    reassigned = await milestones.patch(f"/api/v1/milestones/{by_key['planning_permit']['id']}",
                                        json={"responsible_unit_id": "00000000-0000-0000-0000-0000000000aa"})
    assert reassigned.status_code == 200
    new_unit = await create_unit(registry)
    updated = await registry.patch(f"/api/v1/projects/{pid}", json={"responsible_unit_id": new_unit["id"]},
                                   headers={"If-Match": f'"{project["version"]}"'})
    assert updated.status_code == 200, updated.text
    by_key = await wait_nodes(milestones, pid, lambda n: n["signed"]["responsible_unit_id"] == new_unit["id"],
                              "nodes moved to the new unit")
    assert by_key["planning_permit"]["responsible_unit_id"] == "00000000-0000-0000-0000-0000000000aa"
    assert by_key["in_operation"]["responsible_unit_id"] == new_unit["id"]


async def test_archiving_closes_the_schedule(registry, milestones):
    project = await known_project(registry, milestones, planned_completion_date="2027-06-30")
    pid = project["id"]
    archived = await registry.post(f"/api/v1/projects/{pid}/archive", json={"reason": "调出年度清单"})
    assert archived.status_code == 200
    by_key = await wait_nodes(milestones, pid, lambda n: all(node["closed"] for node in n.values()),
                              "the schedule closed")
    listed = (await milestones.get("/api/v1/milestones", params={"project_id": pid})).json()["items"]
    assert listed == []
    with_closed = await milestones.get("/api/v1/milestones", params={"project_id": pid, "include_closed": "true"})
    assert len(with_closed.json()["items"]) == len(by_key)
    assert (await milestones.get(f"/api/v1/projects/{pid}/schedule")).json()["closed"] is True
    blocked = await milestones.patch(f"/api/v1/milestones/{by_key['signed']['id']}",
                                     json={"planned_date": "2026-01-01", "reason": "x"})
    assert blocked.status_code == 409
    assert (await milestones.post(f"/api/v1/projects/{pid}/schedule",
                                  json={"reason": "重排"})).status_code == 409


async def test_a_project_registered_mid_flight_has_nothing_overdue_before_its_stage(registry, milestones):
    """Seen: a project registered already started had its approval nodes 'overdue 150-296 days' on its first day."""
    project = await known_project(registry, milestones, planned_start_date="2026-03-01",
                                  planned_completion_date="2027-06-30", stage="started", listed_on="2026-01-01",
                                  stage_dates={"signed": "2025-10-10", "started": "2026-03-15"})
    by_key = await wait_nodes(milestones, project["id"], lambda n: n["started"]["actual_date"] is not None,
                              "the started node completed from the registration")
    started = by_key["started"]
    assert started["actual_date"] == "2026-03-15" and started["completed_by"] == "registry"
    before = [n for n in by_key.values() if n["key"] in ("signed", "land_supplied", "construction_permit")]
    assert len(before) == 3 and all(n["actual_date"] is not None for n in before)
    assert by_key["signed"]["actual_date"] == "2025-10-10"
    assert by_key["land_supplied"]["completed_by"] == "inferred"
    # what precedes the start is done; nothing before it is overdue (later nodes may be, by their own dates)
    assert [n["key"] for n in before if n["status"] in ("overdue", "done_late")] == []
