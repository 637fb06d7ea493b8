"""SIGTERM the consuming service while events stream in: it exits promptly, and a restarted instance ends with every
event applied exactly once (the SIGKILL variant is test_consumer_killed_mid_stream)."""
import asyncio
import signal
import time
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

pytestmark = pytest.mark.timeout(400)  # a bound for a loaded machine; well under a minute when not

EVENTS = 1000
STOP_AT = 300  # applied events seen before the stop: mid-stream (the first half is produced before it)
PROMPT_EXIT = 15.0  # seconds


async def test_consumer_stopped_mid_stream_exits_promptly_and_applies_every_event_once(own_platform):
    platform = own_platform
    database_url = await asyncio.to_thread(fresh_database, "reports", platform.workdir)
    await asyncio.to_thread(platform.start_service, "reports", database_url=database_url)
    await wait_for_topic(platform.broker.bootstrap, topics.REGISTRY, partition_count=6)

    unit_id = str(uuid.uuid4())
    events = [project_registered(unit_id, total_investment=Decimal(f"{i}.{i:06d}"), annual_plan_investment=Decimal(1),
                                 bracket="lt_1yi")
              for i in range(1, EVENTS + 1)]
    expected_total = sum((Decimal(e.data["total_investment"]) for e in events), Decimal(0))

    async def joined():
        return value(await scrape(platform.url("reports")), "kp_consumer_assigned_partitions", service="reports") > 0

    await eventually(joined, timeout=120, what="reports joined its consumer group")

    signalled = asyncio.Event()

    async def stream():
        # Paced; the second half only once the stop was signalled, so events are streaming in while the service
        # stops, however fast it applied the first half.
        for start in range(0, EVENTS, 25):
            if start == EVENTS // 2:
                await signalled.wait()
            await produce_events(platform.broker.bootstrap, topics.REGISTRY, events[start:start + 25])
            await asyncio.sleep(0.1)

    producing = asyncio.create_task(stream())

    async def overview(http) -> dict:
        response = await http.get("/api/v1/overview", params={"unit_id": unit_id})
        assert response.status_code == 200, response.text
        return response.json()

    async with client(platform.url("reports"), "reports:read") as http:
        async def some_applied():
            return (await overview(http))["project_count"] >= STOP_AT

        await eventually(some_applied, timeout=240, interval=0.1, what=f"{STOP_AT} events applied")
    process = platform.services["reports"].process
    stopping = time.monotonic()
    process.send_signal(signal.SIGTERM)
    signalled.set()
    try:
        returncode = await asyncio.to_thread(process.wait, 60)
    finally:
        platform.services["reports"].kill()  # a no-op once it has exited
    took = time.monotonic() - stopping
    assert took < PROMPT_EXIT, f"reports took {took:.1f}s to stop on SIGTERM"
    assert returncode in (0, -signal.SIGTERM), f"reports exited with {returncode} on SIGTERM"
    await producing

    [(applied_before_stop, in_read_model)] = await query(
        database_url, "SELECT (SELECT count(*) FROM inbox WHERE type = :t),"
                      " (SELECT count(*) FROM project_view WHERE unit_id = :u)", t=ProjectRegistered.type, u=unit_id)
    assert in_read_model == applied_before_stop, "an inbox row and its effect must commit together"
    assert STOP_AT <= applied_before_stop <= EVENTS // 2, f"{applied_before_stop} applied when stopped"

    await asyncio.to_thread(platform.start_service, "reports", database_url=database_url)
    reports_url = platform.url("reports")
    async with client(reports_url, "reports:read") as http:
        async def all_applied():
            return (await overview(http))["project_count"] == EVENTS

        await eventually(all_applied, timeout=240, interval=0.25, what=f"{EVENTS} projects in the overview")
        figures = await overview(http)
    assert Decimal(figures["total_investment"]) == expected_total
    assert Decimal(figures["annual_plan_investment"]) == EVENTS

    inbox_ids = [row[0] for row in await query(
        database_url, "SELECT event_id FROM inbox WHERE type = :t", t=ProjectRegistered.type)]
    assert len(inbox_ids) == EVENTS
    assert set(inbox_ids) == {e.id for e in events}

    # The restarted instance applied exactly what the stopped one had not: the project upsert would hide a second
    # application from the overview, the counter does not.
    async def restarted_consumed() -> float:
        return value(await scrape(reports_url), "kp_events_consumed_total", service="reports",
                     type=ProjectRegistered.type)

    async def settled():
        return await restarted_consumed() >= EVENTS - applied_before_stop

    await eventually(settled, timeout=10, what="the consumed counter caught up")
    await asyncio.sleep(1)  # a second application would be counted by now
    text = await scrape(reports_url)
    duplicates = value(text, "kp_events_skipped_total", service="reports", reason="duplicate")
    print(f"took {took:.2f}s to stop; applied before the stop {applied_before_stop}, "
          f"redelivered duplicates after the restart {duplicates}")
    assert value(text, "kp_events_consumed_total", service="reports", type=ProjectRegistered.type) \
        == EVENTS - applied_before_stop
