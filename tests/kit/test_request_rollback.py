"""A request that fails after staging an event rolls its transaction back: the event is never published.

No registry route raises after it staged an event (each checks everything first), so a minimal service built by
the same factory stands in: routes that stage, then fail with a problem, a validation error or a bug."""
import uuid

import httpx
import orjson
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from contracts.envelope import EventData
from kit.app import ServiceSpec, SessionDep, create_service_app
from kit.errors import Conflict, Invalid, field_error
from kit.outbox import stage
from kit.settings import ServiceSettings
from kit.tables import outbox
from tests.support.api import eventually
from tests.support.databases import query
from tests.support.kafka import read_topic

pytestmark = pytest.mark.timeout(120)


class Probe(EventData):
    type = "keyproject.tests.rollback.v1"
    topic = ""
    marker: str


class Write(BaseModel):
    marker: str


def staging_router(topic: str) -> APIRouter:
    probe = type("TopicProbe", (Probe,), {"topic": topic})
    router = APIRouter()

    @router.post("/writes", status_code=201)
    async def write(body: Write, session: SessionDep):
        await stage(session, probe(marker=body.marker), subject="key-1", source="/tests")
        return {"marker": body.marker}

    @router.post("/writes/conflicting")
    async def conflicting(body: Write, session: SessionDep):
        await stage(session, probe(marker=body.marker), subject="key-1", source="/tests")
        raise Conflict("found a conflict after staging")

    @router.post("/writes/invalid")
    async def invalid(body: Write, session: SessionDep):
        await stage(session, probe(marker=body.marker), subject="key-1", source="/tests")
        raise Invalid("found invalid input after staging", errors=[field_error("marker", "checked too late")])

    @router.post("/writes/crashing")
    async def crashing(body: Write, session: SessionDep):
        await stage(session, probe(marker=body.marker), subject="key-1", source="/tests")
        raise RuntimeError("a bug after staging")

    return router


async def test_a_request_failing_after_it_staged_an_event_publishes_nothing(plumbing_url, migrations, broker):
    topic = f"keyproject.tests.rollback.{uuid.uuid4().hex[:10]}"
    spec = ServiceSpec(name="rollback-test", title="rollback test", routers=[staging_router(topic)],
                       migrations=migrations, produces=topic)
    settings = ServiceSettings(service_name="rollback-test", database_url=plumbing_url, port=0,
                               kafka_bootstrap=broker.bootstrap, kafka_partitions=1, relay_poll_seconds=0.2)
    app = create_service_app(spec, settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=transport, base_url="http://rollback-test") as http:
        for path, status in [("conflicting", 409), ("invalid", 422), ("crashing", 500)]:
            response = await http.post(f"/api/v1/writes/{path}", json={"marker": path})
            assert response.status_code == status, response.text
            assert response.headers["content-type"] == "application/problem+json"
        response = await http.post("/api/v1/writes", json={"marker": "committed"})
        assert response.status_code == 201, response.text

        async def all_published() -> bool:
            [(rows, unpublished)] = await query(
                plumbing_url, "SELECT count(*), count(*) - count(published_at) FROM outbox")
            return rows > 0 and unpublished == 0

        await eventually(all_published, timeout=30, what="the committed request's event published")

    # The failed requests' events were published neither before the committed one nor after it.
    markers = [orjson.loads(r.value)["data"]["marker"] for r in await read_topic(broker.bootstrap, topic)]
    assert markers == ["committed"]
    rows = await query(plumbing_url, f"SELECT body FROM {outbox.name}")
    assert [orjson.loads(body)["data"]["marker"] for (body,) in rows] == ["committed"]
