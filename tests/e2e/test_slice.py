"""The vertical slice: a project registered in the registry shows up in the reports overview."""
from decimal import Decimal

from tests.support.api import eventually
from tests.support.factories import create_project, create_unit


async def test_registered_projects_appear_in_overview_with_exact_totals(registry, reports):
    unit = await create_unit(registry)
    await create_project(registry, unit["id"], total_investment="120000.50", annual_plan_investment="30000")
    await create_project(registry, unit["id"], total_investment="0.000001", annual_plan_investment="0")

    async def both_counted():
        body = (await reports.get("/api/v1/overview", params={"unit_id": unit["id"]})).json()
        return body["project_count"] == 2

    await eventually(both_counted, what="two projects in the overview")
    body = (await reports.get("/api/v1/overview", params={"unit_id": unit["id"]})).json()
    assert Decimal(body["total_investment"]) == Decimal("120000.500001")
    assert Decimal(body["annual_plan_investment"]) == Decimal("30000")
    assert body["total_investment_yi"] == "12.00"  # 亿元 to two places


async def test_overview_of_another_unit_does_not_count_them(registry, reports):
    unit = await create_unit(registry)
    other = await create_unit(registry)
    await create_project(registry, unit["id"])

    async def counted():
        return (await reports.get("/api/v1/overview", params={"unit_id": unit["id"]})).json()["project_count"] == 1

    await eventually(counted, what="project counted for its unit")
    assert (await reports.get("/api/v1/overview", params={"unit_id": other["id"]})).json()["project_count"] == 0
