"""SIGKILL the consuming service in the middle of a 2,000-event stream, restart it: every event applied exactly once."""
import asyncio
import uuid
from decimal import Decimal

import pytest

from contracts import topics
from contracts.registry import ProjectRegistered
from tests.support.api import client, eventually
from tests.support.databases import fresh_database, query
from tests.support.factories import project_registered
from tests.support.kafka import produce_events, wait_for_topic
from tests.support.metrics import scrape, value

pytestmark = pytest.mark.timeout(600)  # a bound for a loaded machine; ~1 min when not

EVENTS = 2000
KILL_AT = 700  # applied events seen before the kill: past the first committed batch (up to 500), mid-stream


async def test_consumer_killed_mid_stream_applies_every_event_exactly_once(own_platform):
    platform = own_platform
    database_url = await asyncio.to_thread(fresh_database, "reports", platform.workdir)
    await asyncio.to_thread(platform.start_service, "reports", database_url=database_url)
    await wait_for_topic(platform.broker.bootstrap, topics.REGISTRY, partition_count=6)

    unit_id = str(uuid.uuid4())
    events = [project_registered(unit_id, total_investment=Decimal(f"{i}.{i:06d}"), annual_plan_investment=Decimal(0),
                                 bracket="lt_1yi")
              for i in range(1, EVENTS + 1)]
    expected_total = sum((Decimal(e.data["total_investment"]) for e in events), Decimal(0))

    async def stream():
        # Paced, so the consumer is still behind the stream when it is killed (it applies whole fetches at once).
        for start in range(0, EVENTS, 50):
            await produce_events(platform.broker.bootstrap, topics.REGISTRY, events[start:start + 50])
            await asyncio.sleep(0.1)

    async def joined():
        return value(await scrape(platform.url("reports")), "kp_consumer_assigned_partitions", service="reports") > 0

    await eventually(joined, timeout=120, what="reports joined its consumer group")
    producing = asyncio.create_task(stream())

    async def project_count(http) -> int:
        response = await http.get("/api/v1/overview", params={"unit_id": unit_id})
        assert response.status_code == 200, response.text
        return response.json()["project_count"]

    # Kill as soon as part of the stream is applied, while the consumer is busy with a batch.
    async with client(platform.url("reports"), "reports:read") as http:
        async def some_applied():
            return await project_count(http) >= KILL_AT

        await eventually(some_applied, timeout=240, interval=0.1, what=f"{KILL_AT} events applied")
        platform.services["reports"].kill()
    await producing

    await asyncio.sleep(1)  # a COMMIT the process sent just before it died may still be landing on PostgreSQL
    [(applied_before_kill, in_read_model)] = await query(
        database_url, "SELECT (SELECT count(*) FROM inbox WHERE type = :t),"
                      " (SELECT count(*) FROM project_view WHERE unit_id = :u)", t=ProjectRegistered.type, u=unit_id)
    assert in_read_model == applied_before_kill, "an inbox row and its effect must commit together"
    assert 0 < applied_before_kill < EVENTS, f"the kill came too late: {applied_before_kill} already applied"

    await asyncio.to_thread(platform.start_service, "reports", database_url=database_url)
    async with client(platform.url("reports"), "reports:read") as http:
        async def all_applied():
            return await project_count(http) == EVENTS

        await eventually(all_applied, timeout=300, interval=0.25, what=f"{EVENTS} projects in the overview")
        overview = (await http.get("/api/v1/overview", params={"unit_id": unit_id})).json()
    assert Decimal(overview["total_investment"]) == expected_total

    # Exactly once: the inbox holds each produced event id once (its primary key), nothing else ...
    inbox_ids = [row[0] for row in await query(
        database_url, "SELECT event_id FROM inbox WHERE type = :t", t=ProjectRegistered.type)]
    assert len(inbox_ids) == EVENTS
    assert set(inbox_ids) == {e.id for e in events}
    # ... and the restarted instance applied only what the killed one had not: the events redelivered from the
    # last committed offsets were recognised as duplicates. Were an event applied twice, `consumed` would exceed
    # EVENTS - applied_before_kill (the project upsert alone would hide it from the overview).
    reports_url = platform.url("reports")

    async def restarted_consumed():
        return value(await scrape(reports_url), "kp_events_consumed_total",
                     service="reports", type=ProjectRegistered.type)

    async def settled():
        return await restarted_consumed() >= EVENTS - applied_before_kill

    await eventually(settled, timeout=10, what="consumed counter caught up")
    await asyncio.sleep(1)  # a duplicate application would be counted by now
    text = await scrape(reports_url)
    consumed = value(text, "kp_events_consumed_total", service="reports", type=ProjectRegistered.type)
    duplicates = value(text, "kp_events_skipped_total", service="reports", reason="duplicate")
    print(f"applied before kill {applied_before_kill}, after restart {consumed}, redelivered duplicates {duplicates}")
    assert consumed == EVENTS - applied_before_kill
    # Whether the kill left applied-but-uncommitted events depends on where it landed (batches commit their offsets
    # right after their transaction); when it did, they were recognised as duplicates above.
