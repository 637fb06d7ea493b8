"""Registry HTTP contract at its edges: bearer auth and scopes, problem+json errors, Idempotency-Key, unit-bound tokens."""
import asyncio
import time
import uuid
from datetime import timedelta

import httpx
import jwt
import pytest

from kit.auth import mint
from kit.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from tests.support.api import client
from tests.support.factories import create_unit, project_body
from tests.support.metrics import scrape, value
from tests.support.platform import JWT_SECRET

PROJECTS = "/api/v1/projects"


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict:
    """The response is RFC 9457 problem+json with the given status and stable type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == PROBLEM_BASE + slug, body
    assert body["status"] == status and body["title"] and body["detail"], body
    return body


def fields_of(body: dict) -> set[str]:
    return {error["field"] for error in body["errors"]}


@pytest.fixture
def registry_url(platform) -> str:
    return platform.url("registry")


@pytest.fixture
async def unit(registry) -> dict:
    return await create_unit(registry)


async def _bare(registry_url: str, method: str, path: str, **kwargs) -> httpx.Response:
    async with client(registry_url, auth=False) as http:
        return await http.request(method, path, **kwargs)


# --- authentication ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [("GET", PROJECTS), ("POST", PROJECTS), ("GET", "/api/v1/units")])
async def test_a_missing_token_is_401_with_a_bearer_challenge(registry_url, method, path):
    response = await _bare(registry_url, method, path, json={} if method == "POST" else None)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].lower().startswith("bearer")


@pytest.mark.parametrize("authorization", [
    "Bearer not-a-jwt",
    "Bearer",
    "Basic dXNlcjpwYXNz",
    "Bearer " + mint(secret="another-secret-0123456789-0123456789-xyz", subject="x", scopes=["admin"]),
    # unsigned: the classic `alg: none` forgery
    "Bearer " + jwt.encode({"sub": "x", "scope": "admin", "exp": int(time.time()) + 600}, None, algorithm="none"),
])
async def test_an_invalid_token_is_401(registry_url, authorization):
    response = await _bare(registry_url, "GET", PROJECTS, headers={"Authorization": authorization})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].lower().startswith("bearer")


async def test_an_expired_token_is_401(registry_url):
    expired = mint(secret=JWT_SECRET, subject="tests", scopes=["admin"], ttl=timedelta(seconds=-60))
    response = await _bare(registry_url, "GET", PROJECTS, headers={"Authorization": f"Bearer {expired}"})
    body = assert_problem(response, 401, "unauthorized")
    assert "expired" in body["detail"].lower()


async def test_a_token_that_expired_after_use_is_refused(registry_url):
    """The verified-token cache must not outlive the token."""
    short = mint(secret=JWT_SECRET, subject="tests", scopes=["admin"], ttl=timedelta(seconds=2))
    headers = {"Authorization": f"Bearer {short}"}
    assert (await _bare(registry_url, "GET", PROJECTS, headers=headers)).status_code == 200
    await asyncio.sleep(3)
    assert_problem(await _bare(registry_url, "GET", PROJECTS, headers=headers), 401, "unauthorized")


@pytest.mark.parametrize("scopes, method, path", [
    (("projects:read",), "POST", PROJECTS),
    (("reports:read",), "GET", PROJECTS),
    (("projects:write",), "POST", "/api/v1/units"),
])
async def test_a_token_without_the_scope_is_403(registry_url, unit, scopes, method, path):
    async with client(registry_url, *scopes) as http:
        body = project_body(unit["id"]) if path == PROJECTS else {"code": f"U-{uuid.uuid4().hex[:8]}",
                                                                   "name": "城关镇", "kind": "town"}
        response = await http.request(method, path, json=body if method == "POST" else None)
    assert_problem(response, 403, "forbidden")


async def test_health_readiness_and_metrics_need_no_token(registry_url):
    async with client(registry_url, auth=False) as http:
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": True, "broker": True}
        metrics = await http.get("/metrics")
        assert metrics.status_code == 200 and "kp_http_requests_total" in metrics.text


async def test_http_requests_and_latency_are_counted_by_route_and_status(registry, registry_url):
    route, labels = "/api/v1/projects/{project_id}", {"service": "registry", "method": "GET"}
    before = await scrape(registry_url)
    for _ in range(3):
        assert (await registry.get(f"{PROJECTS}/{uuid.uuid4()}")).status_code == 404
    after = await scrape(registry_url)
    for name in ("kp_http_requests_total", "kp_http_request_duration_seconds_count"):
        rise = value(after, name, route=route, status="404", **labels) - value(before, name, route=route, status="404",
                                                                             **labels)
        assert rise == 3, name
    assert value(after, "kp_http_request_duration_seconds_count", route=route, status="200", **labels) == \
        value(before, "kp_http_request_duration_seconds_count", route=route, status="200", **labels)


# --- validation -------------------------------------------------------------------------------------------------

async def test_malformed_json_is_422(registry, unit):
    response = await registry.post(PROJECTS, content=b'{"code": "P-1", "name": ', headers={"content-type": "application/json"})
    body = assert_problem(response, 422, "validation-error")
    assert fields_of(body) == {"body"}


@pytest.mark.parametrize("content", [b"[1, 2]", b'"a string"', b"null"])
async def test_a_body_that_is_not_an_object_is_422(registry, content):
    response = await registry.post(PROJECTS, content=content, headers={"content-type": "application/json"})
    assert_problem(response, 422, "validation-error")


async def test_every_offending_field_is_listed(registry, unit):
    body = project_body(unit["id"], total_investment="-1", category="mining", year="soon", unknown_field=1)
    problem = assert_problem(await registry.post(PROJECTS, json=body), 422, "validation-error")
    assert fields_of(problem) == {"total_investment", "category", "year", "unknown_field"}
    assert all(error["message"] for error in problem["errors"])


async def test_a_missing_required_field_is_named(registry, unit):
    body = project_body(unit["id"])
    del body["total_investment"], body["name"]
    problem = assert_problem(await registry.post(PROJECTS, json=body), 422, "validation-error")
    assert fields_of(problem) == {"total_investment", "name"}


async def test_registry_rules_across_fields_are_field_errors(registry, unit):
    body = project_body(unit["id"], total_investment="100", annual_plan_investment="100.000001",
                        planned_start_date="2026-05-01", planned_completion_date="2026-04-30")
    problem = assert_problem(await registry.post(PROJECTS, json=body), 422, "validation-error")
    assert fields_of(problem) == {"annual_plan_investment", "planned_completion_date"}


@pytest.mark.parametrize("overrides, field", [
    ({"total_investment": "-0.5"}, "total_investment"),
    ({"category": "mining"}, "category"),
    ({"total_investment": "10", "annual_plan_investment": "11"}, "annual_plan_investment"),
    ({"planned_start_date": "2026-06-01", "planned_completion_date": "2026-01-01"}, "planned_completion_date"),
    ({"planned_start_date": "2026-02-30"}, "planned_start_date"),
    ({"total_investment": "1e400"}, "total_investment"),
    ({"total_investment": "NaN"}, "total_investment"),
    ({"annual_plan_investment": "Infinity"}, "annual_plan_investment"),
    ({"total_investment": "1" * 30}, "total_investment"),
    ({"year": 2026.5}, "year"),
])
async def test_each_bad_field_alone_is_422(registry, unit, overrides, field):
    problem = assert_problem(await registry.post(PROJECTS, json=project_body(unit["id"], **overrides)), 422,
                             "validation-error")
    assert field in fields_of(problem)


async def test_an_unknown_unit_is_a_field_error(registry):
    problem = assert_problem(await registry.post(PROJECTS, json=project_body(str(uuid.uuid4()))), 422,
                             "validation-error")
    assert fields_of(problem) == {"responsible_unit_id"}


async def test_an_unknown_route_is_404_problem(registry):
    assert_problem(await registry.get("/api/v1/nothing-here"), 404, "not-found")
    assert_problem(await registry.get("/nothing-here"), 404, "not-found")


async def test_an_unknown_project_is_404_problem(registry):
    assert_problem(await registry.get(f"{PROJECTS}/{uuid.uuid4()}"), 404, "not-found")


async def test_a_wrong_method_is_405_problem(registry):
    response = await registry.delete("/api/v1/units")
    assert_problem(response, 405, "method-not-allowed")


# --- Idempotency-Key ---------------------------------------------------------------------------------------------

async def _projects_of(registry, unit_id: str) -> list[dict]:
    response = await registry.get(PROJECTS, params={"unit_id": unit_id, "limit": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_the_same_idempotency_key_and_body_replay_the_first_response(registry, unit):
    body = project_body(unit["id"])
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await registry.post(PROJECTS, json=body, headers=key)
    second = await registry.post(PROJECTS, json=body, headers=key)
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert second.json() == first.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert [p["id"] for p in await _projects_of(registry, unit["id"])] == [first.json()["id"]]


async def test_concurrent_requests_with_one_idempotency_key_create_once(registry, unit):
    body = project_body(unit["id"])
    key = {"Idempotency-Key": str(uuid.uuid4())}
    responses = await asyncio.gather(*(registry.post(PROJECTS, json=body, headers=key) for _ in range(4)))
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await _projects_of(registry, unit["id"])) == 1


async def test_the_same_idempotency_key_with_another_body_is_422(registry, unit):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await registry.post(PROJECTS, json=project_body(unit["id"]), headers=key)
    assert first.status_code == 201, first.text
    other = await registry.post(PROJECTS, json=project_body(unit["id"]), headers=key)
    assert_problem(other, 422, "validation-error")
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert [p["id"] for p in await _projects_of(registry, unit["id"])] == [first.json()["id"]]


async def test_an_idempotency_key_belongs_to_its_caller(registry_url, unit):
    """Seen in probing: another caller sending a key already used got the first caller's response back."""
    key = {"Idempotency-Key": f"order-{uuid.uuid4().hex[:6]}"}
    body = project_body(unit["id"])
    def caller(subject: str) -> httpx.AsyncClient:
        signed = mint(secret=JWT_SECRET, subject=subject, scopes=["projects:write"], unit_id=unit["id"],
                      ttl=timedelta(hours=1))
        return httpx.AsyncClient(base_url=registry_url, headers={"Authorization": f"Bearer {signed}"}, timeout=30)

    async with caller("clerk-1@town") as first_caller, caller("clerk-2@town") as other_caller:
        first = await first_caller.post(PROJECTS, json=body, headers=key)
        other = await other_caller.post(PROJECTS, json=body, headers=key)
    assert first.status_code == 201, first.text
    # the other caller's key is its own: not a replay of the first response (here, the same code is a conflict)
    assert other.headers.get("idempotent-replayed") is None
    assert_problem(other, 409, "conflict")


async def test_without_a_key_each_request_creates(registry, unit):
    for _ in range(2):
        assert (await registry.post(PROJECTS, json=project_body(unit["id"]))).status_code == 201
    assert len(await _projects_of(registry, unit["id"])) == 2


async def test_a_duplicate_code_is_409(registry, unit):
    body = project_body(unit["id"])
    assert (await registry.post(PROJECTS, json=body)).status_code == 201
    assert_problem(await registry.post(PROJECTS, json=body), 409, "conflict")


# --- unit-bound tokens -------------------------------------------------------------------------------------------

async def test_a_unit_bound_token_writes_only_its_own_unit(registry, registry_url):
    own, other = await create_unit(registry), await create_unit(registry)
    async with client(registry_url, "projects:write", "projects:read", unit_id=own["id"]) as http:
        assert_problem(await http.post(PROJECTS, json=project_body(other["id"])), 403, "forbidden")
        created = await http.post(PROJECTS, json=project_body(own["id"]))
        assert created.status_code == 201, created.text
    assert await _projects_of(registry, other["id"]) == []


async def test_a_refused_write_does_not_consume_its_idempotency_key(registry, registry_url):
    own, other = await create_unit(registry), await create_unit(registry)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = project_body(other["id"])
    async with client(registry_url, "projects:write", unit_id=own["id"]) as http:
        assert_problem(await http.post(PROJECTS, json=body, headers=key), 403, "forbidden")
    assert (await registry.post(PROJECTS, json=body, headers=key)).status_code == 201


@pytest.mark.parametrize("overrides", [{"name": "滨江\u0000项目"}, {"owner": "\u0000"}, {"tags": ["a\u0000"]},
                                       {"location": "东区\u0000"}, {"responsible_unit_id": "\u0000"}])
async def test_a_nul_character_in_a_body_is_422_not_500(registry, unit, overrides):
    """PostgreSQL text cannot hold NUL: refused as bad input on every database alike."""
    problem = assert_problem(await registry.post(PROJECTS, json=project_body(unit["id"], **overrides)), 422,
                             "validation-error")
    assert fields_of(problem) == set(overrides)
    assert await _projects_of(registry, unit["id"]) == []
    unit_patch = await registry.patch(f"/api/v1/units/{unit['id']}", json={"name": "城\u0000关"})
    assert fields_of(assert_problem(unit_patch, 422, "validation-error")) == {"name"}


async def test_one_answer_names_every_field_holding_nul_or_a_loose_yes_no_or_number(registry, unit):
    """The body's fields are checked in one pass, and every field it refuses is named, in a create and an update."""
    body = project_body(unit["id"], name="滨江\u0000", tags=["a", "b\u0000"], government_funded=1, year=True)
    problem = assert_problem(await registry.post(PROJECTS, json=body), 422, "validation-error")
    assert fields_of(problem) == {"name", "tags", "government_funded", "year"}
    assert await _projects_of(registry, unit["id"]) == []
    created = await registry.post(PROJECTS, json=project_body(unit["id"]))
    update = await registry.patch(f"{PROJECTS}/{created.json()['id']}", json={"year": False, "owner": "\u0000"},
                                  headers={"If-Match": created.headers["ETag"]})
    assert fields_of(assert_problem(update, 422, "validation-error")) == {"year", "owner"}


@pytest.mark.parametrize("path, params", [
    (PROJECTS, {"q": "滨江\u0000"}), (PROJECTS, {"unit_id": "\u0000"}), (f"{PROJECTS}/%00", {}),
    (f"{PROJECTS}/a%00b/history", {}), ("/api/v1/units/%00", {}), ("/api/v1/parcels", {"project_id": "\u0000"}),
])
async def test_a_nul_character_in_the_path_or_query_is_422_not_500(registry, path, params):
    assert_problem(await registry.get(path, params=params), 422, "validation-error")
