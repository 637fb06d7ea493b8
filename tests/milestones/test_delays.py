"""GET /delays and /delays/nodes (超时倒查): days late charged to the unit responsible for each node (an approval
department owning a permit node included, by name), the project's slip to the nodes that added it, and every late
node with its history as the evidence."""
from tests.milestones.flows import WAIT, known_project, nodes, parallel_template, schedule
from tests.support.api import eventually
from tests.support.factories import create_unit

AS_OF = "2026-03-01"


async def test_delays_are_charged_to_the_units_that_caused_them(registry, milestones):
    town = await create_unit(registry, name="城关镇")
    bureau = await create_unit(registry, name="市生态环境局", kind="department")
    project = await known_project(registry, milestones, unit_id=town["id"])
    pid = project["id"]
    # a 01-01, b 01-11 (10 days), c 01-21 (20 days, the environmental approval), d 01-26, e 02-25
    await schedule(milestones, pid, template=await parallel_template(milestones), mode="forward",
                   anchor_date="2026-01-01")
    by_key = await nodes(milestones, pid)
    handed = await milestones.patch(f"/api/v1/milestones/{by_key['c']['id']}",
                                    json={"responsible_unit_id": bureau["id"], "reason": "环评由生态环境局负责"})
    assert handed.status_code == 200, handed.text
    for key, day in (("a", "2026-01-01"), ("b", "2026-01-11"), ("c", "2026-02-10")):
        done = await milestones.post(f"/api/v1/milestones/{by_key[key]['id']}/complete",
                                     json={"actual_date": day, "note": "批复下达"})
        assert done.status_code == 200, done.text

    async def named():
        body = (await milestones.get("/api/v1/delays", params={"project_id": pid, "as_of": AS_OF})).json()
        return {row["name"] for row in body["items"]} == {"城关镇", "市生态环境局"}

    await eventually(named, timeout=WAIT, what="the units' names known to milestones")
    body = (await milestones.get("/api/v1/delays", params={"project_id": pid, "as_of": AS_OF})).json()
    # As of 1 March: c done 20 days late holds d (still open: 34 days past 26 January) and so the end e (open, 4 days
    # late) back; the project ends 30 March, 34 days late: c added 20 of them, d the 14 it lost on top.
    rows = {row["name"]: row for row in body["items"]}
    assert {k: rows["市生态环境局"][k] for k in ("key", "late_nodes", "days_late", "slip_days", "projects")} == {
        "key": bureau["id"], "late_nodes": 1, "days_late": 20, "slip_days": 20, "projects": 1}
    assert {k: rows["城关镇"][k] for k in ("late_nodes", "days_late", "slip_days")} == {
        "late_nodes": 2, "days_late": 34 + 4, "slip_days": 14}
    assert body["total"]["slip_days"] == 34 and body["total"]["late_nodes"] == 3

    kinds = (await milestones.get("/api/v1/delays", params={"project_id": pid, "as_of": AS_OF,
                                                            "by": "node_kind"})).json()
    assert [(r["key"], r["name"], r["slip_days"]) for r in kinds["items"]] == [
        ("d", "施工许可", 14), ("c", "环评批复", 20), ("e", "竣工验收", 0)]
    projects = (await milestones.get("/api/v1/delays", params={"project_id": pid, "as_of": AS_OF,
                                                               "by": "project"})).json()
    assert [(r["key"], r["slip_days"]) for r in projects["items"]] == [(pid, 34)]

    # The evidence for 问责: each late node with its history, most delay first.
    late = (await milestones.get("/api/v1/delays/nodes", params={"project_id": pid, "as_of": AS_OF})).json()
    assert [(n["key"], n["responsible_unit_name"], n["days_late"], n["slip_days"]) for n in late["items"]] == [
        ("d", "城关镇", 34, 14), ("c", "市生态环境局", 20, 20), ("e", "城关镇", 4, 0)]
    trail = late["items"][1]["history"]
    assert [c["action"] for c in trail] == ["reassigned", "completed"]
    assert trail[0]["reason"] == "环评由生态环境局负责"
    assert late["items"][0]["project_slip_days"] == 34

    # On a date before anything was late there is nothing to charge; one unit's nodes alone.
    early = (await milestones.get("/api/v1/delays", params={"project_id": pid, "as_of": "2026-01-05"})).json()
    assert early["items"] == [] and early["total"]["days_late"] == 0
    mine = (await milestones.get("/api/v1/delays/nodes", params={"unit_id": bureau["id"], "as_of": AS_OF})).json()
    assert [n["key"] for n in mine["items"]] == ["c"]


async def test_bad_delay_queries_are_422(milestones):
    for params in ({"by": "colour"}, {"basis": "mood"}, {"year": "1"}, {"as_of": "0001-01-01"}, {"limit": "0"}):
        path = "/api/v1/delays/nodes" if "limit" in params else "/api/v1/delays"
        response = await milestones.get(path, params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
