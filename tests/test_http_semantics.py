"""HTTP semantics an integrator's client relies on (RFC 9110): 201 with Location and ETag, strong ETags, 304 on
If-None-Match, 405 listing every method of the path, 415 for a body of another media type."""
import uuid

import orjson

from kit.errors import PROBLEM_MEDIA_TYPE
from tests.support.api import client
from tests.support.factories import create_unit, project_body, unit_body


async def test_a_created_project_answers_201_with_where_it_lives_and_its_strong_etag(registry):
    unit = await create_unit(registry)
    created = await registry.post("/api/v1/projects", json=project_body(unit["id"]))
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    location = created.headers["Location"]
    assert location.endswith(f"/api/v1/projects/{created.json()['id']}")
    read = await registry.get(location)
    assert read.status_code == 200 and read.json() == created.json()
    assert read.headers["ETag"] == created.headers["ETag"]


async def test_every_created_resource_has_a_location_that_reads_it(registry, alerts):
    unit = await create_unit(registry)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await registry.post("/api/v1/units", json=unit_body(), headers=key)
    again = await registry.post("/api/v1/units", json=unit_body(code=first.json()["code"],
                                                                  name=first.json()["name"]), headers=key)
    for created in (first, again):
        assert created.status_code == 201, created.text
        assert (await registry.get(created.headers["Location"])).json()["id"] == first.json()["id"]
    task = await alerts.post("/api/v1/tasks", json={"unit_id": unit["id"], "title": "核查现场进度"})
    assert task.status_code == 201, task.text
    read = await alerts.get(task.headers["Location"])
    assert read.status_code == 200 and read.json()["id"] == task.json()["id"]
    assert task.headers["ETag"].startswith('"') and not task.headers["ETag"].startswith("W/")


async def test_if_none_match_answers_304_without_a_body(registry):
    unit = await create_unit(registry)
    url = f"/api/v1/units/{unit['id']}"
    first = await registry.get(url)
    tag = first.headers["ETag"]
    assert tag.startswith('"')
    for same in (tag, f"W/{tag}", f'"other", {tag}', "*"):  # weak comparison (RFC 9110 §13.1.2)
        unchanged = await registry.get(url, headers={"If-None-Match": same})
        assert unchanged.status_code == 304, same
        assert unchanged.content == b"" and unchanged.headers["ETag"] == tag
    changed = await registry.patch(url, json={"name": unit["name"] + "（改）"})
    assert changed.status_code == 200, changed.text
    fresh = await registry.get(url, headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.json()["name"].endswith("（改）")
    assert fresh.headers["ETag"] != tag


async def test_a_project_read_is_not_modified_until_its_version_moves(registry):
    unit = await create_unit(registry)
    project = (await registry.post("/api/v1/projects", json=project_body(unit["id"]))).json()
    url = f"/api/v1/projects/{project['id']}"
    assert (await registry.get(url, headers={"If-None-Match": '"1"'})).status_code == 304
    await registry.patch(url, json={"name": "改名"}, headers={"If-Match": '"1"'})
    moved = await registry.get(url, headers={"If-None-Match": '"1"'})
    assert moved.status_code == 200 and moved.headers["ETag"] == '"2"'


async def test_405_lists_every_method_the_path_serves(registry, alerts):
    unit = await create_unit(registry)
    wrong = await registry.delete(f"/api/v1/projects/{uuid.uuid4()}")
    assert wrong.status_code == 405 and wrong.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert {m.strip() for m in wrong.headers["Allow"].split(",")} >= {"GET", "PATCH"}
    rules = await alerts.post("/api/v1/rules/should_have_started", json={})
    assert {m.strip() for m in rules.headers["Allow"].split(",")} >= {"GET", "PUT", "PATCH"}
    assert (await registry.delete(f"/api/v1/units/{unit['id']}")).headers["Allow"].count("PATCH") == 1


async def test_a_body_of_another_media_type_is_415_and_changes_nothing(registry):
    body = unit_body()
    refused = await registry.post("/api/v1/units", content=orjson.dumps(body),
                                  headers={"Content-Type": "text/plain"})
    assert refused.status_code == 415, refused.text
    assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert refused.json()["type"].endswith("/unsupported-media-type")
    listed = (await registry.get("/api/v1/units", params={"limit": 500})).json()["items"]
    assert body["code"] not in {u["code"] for u in listed}
    accepted = await registry.post("/api/v1/units", content=orjson.dumps(body),
                                   headers={"Content-Type": "application/json; charset=utf-8"})
    assert accepted.status_code == 201, accepted.text


async def test_cors_lets_only_the_configured_origins_in(platform, registry):
    preflight = {"Origin": "https://gis.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    closed = await registry.options("/api/v1/units", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers  # none by default
    with platform.configured("registry", "cors", {"KP_CORS_ORIGINS": '["https://gis.example"]'}) as url:
        async with client(url) as open_to_gis:
            allowed = await open_to_gis.options("/api/v1/units", headers=preflight)
            assert allowed.status_code == 200
            assert allowed.headers["access-control-allow-origin"] == "https://gis.example"
            read = await open_to_gis.get("/api/v1/units", headers={"Origin": "https://gis.example"})
            assert read.headers["access-control-allow-origin"] == "https://gis.example"
            assert "ETag" in read.headers["access-control-expose-headers"]
            other = await open_to_gis.options("/api/v1/units", headers={**preflight, "Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in other.headers
