"""Each service's OpenAPI document is a valid OpenAPI 3 document (openapi-spec-validator), as the running service
serves it: operation ids unique, every reference resolvable."""
import re

import pytest
from openapi_spec_validator import validate

from tests.support.api import client
from tests.support.factories import create_project, create_unit, project_body

SERVICES = ("registry", "milestones", "alerts", "reports")


@pytest.mark.parametrize("service", SERVICES)
async def test_the_openapi_document_is_valid(platform, service):
    async with client(platform.url(service), auth=False) as http:
        document = (await http.get("/openapi.json")).json()
    validate(document)
    ids = [op["operationId"] for path in document["paths"].values() for op in path.values() if "operationId" in op]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("page_path", ["/docs", "/redoc"])
@pytest.mark.parametrize("service", SERVICES)
async def test_the_docs_page_loads_nothing_from_outside(platform, service, page_path):
    """Government intranets have no internet: every script and stylesheet of /docs comes from the service itself."""
    async with client(platform.url(service), auth=False) as http:
        page = await http.get(page_path)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and not [a for a in assets if re.match(r"^(https?:)?//", a) and platform.url(service) not in a]
        for asset in assets:
            fetched = await http.get(asset)
            assert fetched.status_code == 200 and fetched.content, asset
        bundle = next(a for a in assets if a.endswith(("swagger-ui-bundle.js", "redoc.standalone.js")))
        assert len((await http.get(bundle)).content) > 1_000_000  # the whole Swagger UI, not a loader
        assert "/openapi.json" in page.text


@pytest.mark.parametrize("service", SERVICES)
async def test_every_protected_operation_names_the_bearer_scheme_and_the_problems_it_answers(platform, service):
    """What an integrator's generated client needs: which operations take a token (and which scope), and the RFC 9457
    problem documents really sent, not FastAPI's HTTPValidationError."""
    async with client(platform.url(service), auth=False) as http:
        document = (await http.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": document["components"][
            "securitySchemes"]["bearer"]["description"]}
    assert "HTTPValidationError" not in str(document)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if path in ("/healthz", "/readyz"):
                assert "security" not in operation
                continue
            assert {"bearer": []} in operation["security"], (method, path)
            for status in ("401", "403", "422", "503"):
                content = responses[status]["content"]["application/problem+json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}, (method, path, status)
            if path.startswith("/api/") and operation["security"] == [{"bearer": []}]:
                assert "需要的 scope：" in operation["description"], (method, path)
            if "requestBody" in operation:
                assert {"400", "415"} <= responses.keys(), (method, path)


async def test_conditional_requests_and_created_resources_are_documented(platform):
    """The headers kit.conditional sends are in the contract: 201 with Location and ETag, a GET's 304, the If-Match a
    project change requires (428 without it, 412 with a stale one)."""
    async with client(platform.url("registry"), auth=False) as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
    created = paths["/api/v1/projects"]["post"]["responses"]["201"]["headers"]
    assert created["Location"]["required"] and created["ETag"]["required"]
    read = paths["/api/v1/projects/{project_id}"]["get"]
    assert "304" in read["responses"] and "If-None-Match" in {p["name"] for p in read["parameters"]}
    change = paths["/api/v1/projects/{project_id}"]["patch"]
    if_match = next(p for p in change["parameters"] if p["name"] == "If-Match")
    assert if_match["required"] and {"412", "428"} <= change["responses"].keys()


async def test_money_and_rates_say_their_unit_and_scale(platform):
    """万元 on every amount, 亿元 on the display figures, and rates as fractions beside their rounded percentages."""
    async with client(platform.url("reports"), auth=False) as http:
        overview = (await http.get("/openapi.json")).json()["components"]["schemas"]["Overview"]["properties"]
    assert "万元" in overview["ytd_investment"]["description"]
    assert "亿元" in overview["ytd_investment_yi"]["description"]
    assert "1 = 100%" in overview["investment_completion_rate"]["description"]
    assert "仅供展示" in overview["investment_completion_rate_percent"]["description"]
    async with client(platform.url("registry"), auth=False) as http:
        create = (await http.get("/openapi.json")).json()["components"]["schemas"]["ProjectCreate"]["properties"]
    amount = create["total_investment"]
    assert "万元" in amount["description"]
    assert {branch["type"] for branch in amount["anyOf"]} == {"integer", "string"}  # exact: never a binary fraction


async def test_what_the_document_states_is_what_the_service_accepts(registry):
    """The kit.inputs types: dates only as ISO text in range, amounts as integers or decimal text, no NUL, no text
    made only of invisible characters, yes/no only as true or false."""
    unit = await create_unit(registry)
    for field, value in [("planned_start_date", 0), ("planned_start_date", "0202-03-01"),
                         ("total_investment", 1000.5), ("total_investment", "1e3"), ("total_investment", True),
                         ("name", "契约\x00项目"), ("name", "\u200b "), ("government_funded", 1),
                         ("government_funded", "yes")]:
        refused = await registry.post("/api/v1/projects", json=project_body(unit["id"], **{field: value}))
        assert refused.status_code == 422, (field, value, refused.text)
        assert refused.json()["errors"][0]["field"] == field
    created = await create_project(registry, unit["id"], total_investment=120000.0, planned_start_date="2026-03-01")
    assert created["total_investment"] == "120000"  # 120000.0 is a JSON integer
