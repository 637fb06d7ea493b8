"""Steps the milestones tests share: a project registered in the registry and known to milestones, its nodes."""
import uuid

from tests.support.api import eventually
from tests.support.factories import create_project, create_unit

WAIT = 90.0  # the machine is shared and loaded: generous polling

# A → B (10 days) and A → C (20 days) in parallel; D waits for both (5 days); E after D (30 days).
PARALLEL_NODES = [
    {"key": "a", "name": "立项", "duration_days": 0},
    {"key": "b", "name": "规划许可", "duration_days": 10, "predecessors": ["a"]},
    {"key": "c", "name": "环评批复", "duration_days": 20, "predecessors": ["a"]},
    {"key": "d", "name": "施工许可", "duration_days": 5, "predecessors": ["b", "c"]},
    {"key": "e", "name": "竣工验收", "duration_days": 30, "predecessors": ["d"]},
]


def unique_key(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def parallel_template(milestones) -> str:
    key = unique_key("parallel")
    response = await milestones.post("/api/v1/templates", json={"key": key, "name": "并行测试", "nodes": PARALLEL_NODES})
    assert response.status_code == 201, response.text
    return key


async def known_project(registry, milestones, *, unit_id: str | None = None, scheduled: bool | None = None,
                        **overrides) -> dict:
    """A project registered through the registry, once the milestones service has it (and, when it was registered
    with planned dates, its generated schedule)."""
    if unit_id is None:
        unit_id = (await create_unit(registry))["id"]
    project = await create_project(registry, unit_id, **overrides)
    if scheduled is None:
        scheduled = bool(project.get("planned_completion_date") or project.get("planned_start_date"))
    url = f"/api/v1/projects/{project['id']}/schedule" if scheduled else f"/api/v1/projects/{project['id']}/milestones"

    async def arrived():
        return (await milestones.get(url)).status_code == 200

    await eventually(arrived, timeout=WAIT, what=f"project {project['code']} in milestones")
    return project


async def nodes(milestones, project_id: str, **params) -> dict[str, dict]:
    """The project's nodes by key."""
    response = await milestones.get(f"/api/v1/projects/{project_id}/milestones", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return {n["key"]: n for n in response.json()["items"]}


async def schedule(milestones, project_id: str, **body) -> dict:
    response = await milestones.post(f"/api/v1/projects/{project_id}/schedule", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def dates(schedule_or_nodes, field: str = "planned_date") -> dict[str, str]:
    items = schedule_or_nodes["milestones"] if isinstance(schedule_or_nodes, dict) and "milestones" in \
        schedule_or_nodes else list(schedule_or_nodes.values())
    return {n["key"]: n[field] for n in items}
