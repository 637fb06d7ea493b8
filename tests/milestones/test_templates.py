"""Templates API: the built-in templates by category, custom ones created and replaced, networks checked."""
from tests.milestones.flows import PARALLEL_NODES, unique_key
from tests.support.api import client


async def test_builtin_templates_cover_every_category(milestones):
    body = (await milestones.get("/api/v1/templates", params={"limit": 500})).json()
    builtin = {t["key"]: t for t in body["items"] if t["builtin"]}
    assert set(builtin) == {"industrial", "infrastructure", "services", "agriculture", "social"}
    covered = {c for t in builtin.values() for c in t["default_for"]}
    assert covered == {"industry", "manufacturing", "infrastructure", "services", "agriculture", "social"}
    for_manufacturing = (await milestones.get("/api/v1/templates", params={"category": "manufacturing"})).json()
    assert "industrial" in [t["key"] for t in for_manufacturing["items"]]


async def test_industrial_template_has_the_issue_nodes_in_order(milestones):
    template = (await milestones.get("/api/v1/templates/industrial")).json()
    names = [n["name"] for n in template["nodes"]]
    assert names == ["签约", "供地", "规划许可", "环评批复", "施工许可", "开工", "实质性开工", "主体封顶", "竣工验收",
                     "投产", "入库纳统"]
    by_key = {n["key"]: n for n in template["nodes"]}
    assert by_key["signed"]["stage"] == "signed" and by_key["started"]["stage"] == "started"
    assert by_key["completion_acceptance"]["stage"] == "completed"
    assert by_key["in_operation"]["stage"] == "in_operation"
    assert by_key["real_start"]["trigger"] == "real_start"
    assert by_key["statistics_included"] == {
        "key": "statistics_included", "name": "入库纳统", "name_en": "Included in the statistics database",
        "duration_days": 30, "predecessors": ["real_start"], "stage": None, "trigger": "statistics_included",
        "weight": 1}
    assert by_key["construction_permit"]["predecessors"] == ["planning_permit", "environmental_approval"]
    assert template["total_duration_days"] == 60 + 45 + 20 + 15 + 15 + 180 + 90 + 30


async def test_create_read_and_replace_a_custom_template(milestones):
    key = unique_key("road")
    created = await milestones.post("/api/v1/templates", json={
        "key": key, "name": "道路工程", "name_en": "Road works", "category": "infrastructure",
        "nodes": PARALLEL_NODES})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["builtin"] is False and body["version"] == 1
    assert body["total_duration_days"] == 55  # A → C (20) → D (5) → E (30)
    assert (await milestones.get(f"/api/v1/templates/{key}")).json()["nodes"][3]["predecessors"] == ["b", "c"]

    replaced = await milestones.put(f"/api/v1/templates/{key}", json={
        "name": "道路工程（修订）", "nodes": PARALLEL_NODES[:2]})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["version"] == 2 and len(replaced.json()["nodes"]) == 2

    listed = (await milestones.get("/api/v1/templates", params={"limit": 500})).json()["items"]
    assert key in [t["key"] for t in listed]


async def test_templates_page_by_key(milestones):
    first = (await milestones.get("/api/v1/templates", params={"limit": 2})).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = (await milestones.get("/api/v1/templates", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert second["items"][0]["key"] > first["items"][1]["key"]


async def test_a_cycle_is_422_naming_its_nodes(milestones):
    nodes = [{"key": "a", "name": "甲", "duration_days": 0, "predecessors": ["c"]},
             {"key": "b", "name": "乙", "duration_days": 5, "predecessors": ["a"]},
             {"key": "c", "name": "丙", "duration_days": 5, "predecessors": ["b"]}]
    response = await milestones.post("/api/v1/templates", json={"key": unique_key("cycle"), "name": "环",
                                                                 "nodes": nodes})
    assert response.status_code == 422
    problem = response.json()
    assert "cycle" in problem["detail"]
    assert {e["field"] for e in problem["errors"]} == {"nodes[0].predecessors", "nodes[1].predecessors",
                                                        "nodes[2].predecessors"}
    assert "'a'" in problem["errors"][0]["message"]


async def test_a_self_dependency_is_a_cycle(milestones):
    nodes = [{"key": "a", "name": "甲", "duration_days": 0, "predecessors": ["a"]}]
    response = await milestones.post("/api/v1/templates", json={"key": unique_key("self"), "name": "自环",
                                                                 "nodes": nodes})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "nodes[0].predecessors"


async def test_an_unknown_predecessor_is_422_naming_the_node(milestones):
    nodes = [{"key": "a", "name": "甲", "duration_days": 0},
             {"key": "b", "name": "乙", "duration_days": 5, "predecessors": ["a", "ghost"]}]
    response = await milestones.post("/api/v1/templates", json={"key": unique_key("ghost"), "name": "缺",
                                                                 "nodes": nodes})
    assert response.status_code == 422
    problem = response.json()
    assert "'b'" in problem["detail"] and "'ghost'" in problem["detail"]
    assert problem["errors"] == [{"field": "nodes[1].predecessors", "message": "unknown node 'ghost'"}]


async def test_replacing_with_a_cycle_is_422_and_keeps_the_template(milestones):
    key = unique_key("keep")
    await milestones.post("/api/v1/templates", json={"key": key, "name": "保留", "nodes": PARALLEL_NODES})
    broken = [*PARALLEL_NODES[:4], {**PARALLEL_NODES[4], "predecessors": ["d"]},
              {"key": "f", "name": "戊", "duration_days": 1, "predecessors": ["f"]}]
    assert (await milestones.put(f"/api/v1/templates/{key}", json={"name": "x", "nodes": broken})).status_code == 422
    assert (await milestones.get(f"/api/v1/templates/{key}")).json()["version"] == 1


async def test_duplicate_keys_stages_and_template_keys_are_refused(milestones):
    twice = [{"key": "a", "name": "甲", "duration_days": 0}, {"key": "a", "name": "乙", "duration_days": 1}]
    response = await milestones.post("/api/v1/templates", json={"key": unique_key("dup"), "name": "重",
                                                                 "nodes": twice})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "nodes[1].key"
    two_starts = [{"key": "a", "name": "甲", "duration_days": 0, "stage": "started"},
                  {"key": "b", "name": "乙", "duration_days": 1, "stage": "started", "predecessors": ["a"]}]
    response = await milestones.post("/api/v1/templates", json={"key": unique_key("stage"), "name": "重",
                                                                 "nodes": two_starts})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "nodes[1].stage"
    assert (await milestones.post("/api/v1/templates", json={"key": "industrial", "name": "x",
                                                              "nodes": PARALLEL_NODES})).status_code == 409
    key = unique_key("taken")
    assert (await milestones.post("/api/v1/templates", json={"key": key, "name": "x",
                                                              "nodes": PARALLEL_NODES})).status_code == 201
    assert (await milestones.post("/api/v1/templates", json={"key": key, "name": "y",
                                                              "nodes": PARALLEL_NODES})).status_code == 409
    assert (await milestones.put("/api/v1/templates/industrial", json={"name": "x",
                                                                        "nodes": PARALLEL_NODES})).status_code == 409
    assert (await milestones.get("/api/v1/templates/nope")).status_code == 404


async def test_template_scopes(platform):
    url = platform.url("milestones")
    body = {"key": unique_key("scoped"), "name": "权限", "nodes": PARALLEL_NODES}
    async with client(url, "projects:read") as reader:
        assert (await reader.get("/api/v1/templates/industrial")).status_code == 200
        assert (await reader.post("/api/v1/templates", json=body)).status_code == 403
    async with client(url, "milestones:read") as reader:
        assert (await reader.get("/api/v1/templates/industrial")).status_code == 200
    async with client(url, "reports:read") as stranger:
        assert (await stranger.get("/api/v1/templates/industrial")).status_code == 403
    async with client(url, "milestones:write", unit_id="some-unit") as unit_bound:
        assert (await unit_bound.post("/api/v1/templates", json=body)).status_code == 403
    async with client(url, auth=False) as anonymous:
        assert (await anonymous.get("/api/v1/templates")).status_code == 401
    async with client(url, "milestones:write") as writer:
        created = await writer.post("/api/v1/templates", json=body, headers={"Idempotency-Key": body["key"]})
        again = await writer.post("/api/v1/templates", json=body, headers={"Idempotency-Key": body["key"]})
        assert created.status_code == again.status_code == 201
        assert again.headers.get("Idempotent-Replayed") == "true"
