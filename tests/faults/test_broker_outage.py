"""The broker goes away while projects keep being registered and comes back empty: nothing is lost."""
import asyncio
import time
from decimal import Decimal

import httpx
import orjson
import pytest

from contracts import topics
from contracts.registry import ProjectRegistered
from tests.support.api import client, eventually
from tests.support.databases import fresh_database, query
from tests.support.factories import create_unit, project_body
from tests.support.kafka import read_topic
from tests.support.metrics import metric

pytestmark = pytest.mark.timeout(480)  # a bound for a loaded machine; ~40 s when not

PER_PHASE = 15  # projects registered before, during and after the outage (at least)
OUTAGE_SECONDS = 4  # at least; short enough that Kafka clients may ride it out without ever reporting an error


class Writer:
    """Registers projects one after another until stopped, remembering every response."""

    def __init__(self, http: httpx.AsyncClient, unit_id: str):
        self.http = http
        self.unit_id = unit_id
        self.created: list[dict] = []
        self.failures: list[str] = []
        self._stop = asyncio.Event()

    async def run(self) -> None:
        i = 0
        while not self._stop.is_set():
            i += 1
            body = project_body(self.unit_id, total_investment=f"{i}.{i:06d}", annual_plan_investment=str(i))
            started = time.monotonic()
            try:
                response = await self.http.post("/api/v1/projects", json=body)
            except httpx.HTTPError as exc:
                self.failures.append(f"{exc!r} after {time.monotonic() - started:.2f}s")
                continue
            if response.status_code == 201:
                self.created.append(response.json())
            else:
                self.failures.append(f"{response.status_code} {response.text[:300]}")
            await asyncio.sleep(0.05)

    async def until(self, count: int, timeout: float = 60) -> None:
        async def enough():
            assert not self.failures, self.failures
            return len(self.created) >= count

        await eventually(enough, timeout=timeout, what=f"{count} projects registered")

    def stop(self) -> None:
        self._stop.set()


async def test_broker_outage_loses_nothing_and_registry_reports_not_ready(own_platform):
    platform = own_platform
    broker = platform.broker
    registry_db = await asyncio.to_thread(fresh_database, "registry", platform.workdir)
    await asyncio.gather(asyncio.to_thread(platform.start_service, "registry", database_url=registry_db),
                         asyncio.to_thread(platform.start_service, "reports"))

    async with client(platform.url("registry"), "admin", "projects:write") as registry, \
            client(platform.url("reports"), "reports:read") as reports, \
            httpx.AsyncClient(base_url=platform.url("registry"), timeout=10) as probe:
        unit = await create_unit(registry)

        async def overview() -> dict:
            response = await reports.get("/api/v1/overview", params={"unit_id": unit["id"]})
            assert response.status_code == 200, response.text
            return response.json()

        async def ready_status() -> int:
            return (await probe.get("/readyz")).status_code

        assert await ready_status() == 200
        writer = Writer(registry, unit["id"])
        writing = asyncio.create_task(writer.run())
        try:
            # Before: the stream flows end to end (so the consumer group has committed offsets to lose).
            await writer.until(PER_PHASE)

            async def caught_up():
                return (await overview())["project_count"] >= PER_PHASE

            await eventually(caught_up, timeout=90, what="projects before the outage in reports")

            # During: the broker is gone; registry keeps accepting writes into its outbox and is not ready.
            await asyncio.to_thread(broker.stop)  # tansu takes seconds to stop; the writer must not wait for it
            down_at, down_since = len(writer.created), time.monotonic()

            async def not_ready():
                return await ready_status() == 503

            await eventually(not_ready, timeout=15, what="registry /readyz 503 while the broker is down")
            await writer.until(down_at + PER_PHASE)
            await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_since)))
            assert await ready_status() == 503
            held = (await query(registry_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL"))[0][0]
            assert held >= PER_PHASE, "the outbox holds what could not be published"

            # After: the broker is back on the same port with an empty log.
            await asyncio.to_thread(broker.start)
            up_at = len(writer.created)

            async def ready():
                return await ready_status() == 200

            await eventually(ready, timeout=15, what="registry /readyz 200 once the broker is back")
            await writer.until(up_at + PER_PHASE)
        finally:
            writer.stop()
            await asyncio.wait_for(writing, 30)
        assert not writer.failures, writer.failures
        assert up_at - down_at >= PER_PHASE, "writes must keep succeeding during the outage"

        created = writer.created
        expected_total = sum((Decimal(p["total_investment"]) for p in created), Decimal(0))

        async def all_in_reports():
            return (await overview())["project_count"] == len(created)

        await eventually(all_in_reports, timeout=180, interval=0.25,
                         what=f"all {len(created)} projects (before, during and after the outage) in reports")
        assert Decimal((await overview())["total_investment"]) == expected_total

    # The emptied broker was re-fed: it holds every project's event again, so a read model can still be rebuilt
    # by replaying the topic.
    async def broker_holds_all():
        on_topic = {orjson.loads(r.value)["subject"] for r in await read_topic(broker.bootstrap, topics.REGISTRY)
                    if orjson.loads(r.value)["type"] == ProjectRegistered.type}
        return on_topic >= {p["id"] for p in created}

    await eventually(broker_holds_all, timeout=30, interval=0.5, what="every project's event back on the broker")
    refeeds = await metric(platform.url("registry"), "kp_outbox_refeeds_total", service="registry")
    assert refeeds >= 1
    print(f"registered {len(created)} ({down_at} before, {up_at - down_at} during the outage), "
          f"{held} events held in the outbox during the outage, refeeds {refeeds}")
