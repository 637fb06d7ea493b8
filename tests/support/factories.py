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


def project_registered(unit_id: str, **overrides):
    """A ProjectRegistered event as the registry would publish it, for tests that produce onto the topic directly."""
    from decimal import Decimal

    from contracts.envelope import new_event
    from contracts.registry import ProjectRegistered

    fields = {"id": str(uuid.uuid4()), "code": code("P"), "name": "新能源电池生产基地", "year": 2026,
              "level": "municipal", "category": "manufacturing", "sector": "secondary",
              "total_investment": Decimal("120000.5"), "annual_plan_investment": Decimal("30000"),
              "bracket": "10_50yi", "responsible_unit_id": unit_id, "stage": "planning", "version": 1}
    data = ProjectRegistered(**{**fields, **overrides})
    return new_event(data, subject=data.id, source="/keyproject/registry")
