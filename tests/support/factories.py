"""Valid request bodies with unique codes, so tests sharing one platform never collide."""
import uuid


def code(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def unit_body(**overrides) -> dict:
    return {"code": code("U"), "name": "城关镇", "kind": "town", **overrides}


def project_body(unit_id: str, **overrides) -> dict:
    return {
        "code": code("P"),
        "name": "新能源电池生产基地",
        "year": 2026,
        "level": "municipal",
        "category": "manufacturing",
        "total_investment": "120000.50",
        "annual_plan_investment": "30000",
        "responsible_unit_id": unit_id,
        **overrides,
    }


async def create_unit(registry, **overrides) -> dict:
    response = await registry.post("/api/v1/units", json=unit_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def create_project(registry, unit_id: str, **overrides) -> dict:
    response = await registry.post("/api/v1/projects", json=project_body(unit_id, **overrides))
    assert response.status_code == 201, response.text
    return response.json()
