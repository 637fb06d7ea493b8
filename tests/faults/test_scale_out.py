"""Two instances of reports on one database in one consumer group share the partitions and apply each event once."""
import asyncio
from decimal import Decimal

import pytest

from contracts import topics
from contracts.registry import ProjectRegistered
from tests.support.api import client, eventually
from tests.support.databases import fresh_database
from tests.support.factories import create_unit, project_body
from tests.support.kafka import partitions, wait_for_topic
from tests.support.metrics import scrape, value

pytestmark = pytest.mark.timeout(600)  # a bound for a loaded machine; ~1 min when not

PROJECTS = 600
CONCURRENCY = 8
INSTANCES = ("reports-a", "reports-b")
CONSUMED = (topics.REGISTRY, topics.MILESTONES, topics.ALERTS)  # what reports subscribes to


async def test_two_reports_instances_share_partitions_and_apply_each_event_once(own_platform):
    platform = own_platform
    bootstrap = platform.broker.bootstrap
    database_url = await asyncio.to_thread(fresh_database, "reports", platform.workdir)

    def start_reports(instance: str):
        return asyncio.to_thread(platform.start_service, "reports", instance=instance, database_url=database_url)

    await asyncio.gather(asyncio.to_thread(platform.start_service, "registry"), start_reports(INSTANCES[0]))
    await start_reports(INSTANCES[1])  # once the first instance has migrated the shared database
    consumed_partitions = 0
    for topic in CONSUMED:
        consumed_partitions += len(await wait_for_topic(bootstrap, topic, partition_count=6))

    async def instance_metrics() -> dict[str, str]:
        return {name: await scrape(platform.url(name)) for name in INSTANCES}

    async def group_settled():
        assigned = [value(text, "kp_consumer_assigned_partitions", service="reports")
                    for text in (await instance_metrics()).values()]
        return all(n > 0 for n in assigned) and sum(assigned) == consumed_partitions

    await eventually(group_settled, timeout=90, interval=0.5, what="both instances assigned partitions")

    async with client(platform.url("registry"), "admin", "projects:write") as registry:
        unit = await create_unit(registry)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def register(i: int) -> Decimal:
            amount = f"{i}.{i:06d}"
            async with gate:
                body = project_body(unit["id"], total_investment=amount, annual_plan_investment="0")
                response = await registry.post("/api/v1/projects", json=body)
            assert response.status_code == 201, response.text
            return Decimal(amount)

        expected_total = sum(await asyncio.gather(*(register(i) for i in range(1, PROJECTS + 1))), Decimal(0))

    async with client(platform.url(INSTANCES[0]), "reports:read") as reports:
        async def all_applied():
            overview = (await reports.get("/api/v1/overview", params={"unit_id": unit["id"]})).json()
            return overview["project_count"] == PROJECTS

        await eventually(all_applied, timeout=240, interval=0.25, what=f"{PROJECTS} projects in the overview")
        overview = (await reports.get("/api/v1/overview", params={"unit_id": unit["id"]})).json()
    assert Decimal(overview["total_investment"]) == expected_total

    def consumed(text: str) -> float:
        return value(text, "kp_events_consumed_total", service="reports", type=ProjectRegistered.type)

    async def counted():
        return sum(consumed(text) for text in (await instance_metrics()).values()) >= PROJECTS

    await eventually(counted, timeout=10, what="consumed counters caught up")
    await asyncio.sleep(1)  # a second application of some event would be counted by now
    per_instance = {name: consumed(text) for name, text in (await instance_metrics()).items()}
    assert sum(per_instance.values()) == PROJECTS, per_instance
    assert all(n > 0 for n in per_instance.values()), f"both instances must have applied events: {per_instance}"
    assert len(await partitions(bootstrap, topics.REGISTRY)) == 6
