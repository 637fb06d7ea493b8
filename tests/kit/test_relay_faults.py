"""The relay rides out database outages and keeps its backlog gauge true while the broker is away."""
import asyncio
import contextlib
import logging
import uuid

import orjson
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from contracts.envelope import EventData
from kit.broker import free_port
from kit.outbox import Relay, stage
from kit.settings import ServiceSettings
from kit.tables import outbox
from tests.kit.outages import database_outage, stalled_outbox
from tests.support.databases import postgres_base
from tests.support.api import eventually
from tests.support.kafka import read_topic

pytestmark = pytest.mark.timeout(120)


class Probe(EventData):
    """A test event; `stage_probes` gives it the test's topic (a staged row is published to its event's topic)."""

    type = "keyproject.tests.probe.v1"
    topic = ""
    marker: str


def relay_settings(url: str, bootstrap: str, **overrides) -> ServiceSettings:
    return ServiceSettings(service_name=f"relay-test-{uuid.uuid4().hex[:8]}", database_url=url, port=0,
                           kafka_bootstrap=bootstrap, **{"kafka_partitions": 1, **overrides})


@contextlib.asynccontextmanager
async def running_relay(settings: ServiceSettings, sessionmaker, topic: str):
    task = asyncio.create_task(Relay(settings=settings, sessionmaker=sessionmaker, topic=topic).run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def stage_probes(sessionmaker, topic: str, *markers: str, key: str = "key-1") -> None:
    """Stage one probe event per marker, keyed `key`, in one transaction."""
    probe = type("TopicProbe", (Probe,), {"topic": topic})
    async with sessionmaker() as session:
        for marker in markers:
            await stage(session, probe(marker=marker), subject=key, source="/tests")
        await session.commit()


async def unpublished(sessionmaker) -> int:
    async with sessionmaker() as session:
        return len((await session.execute(select(outbox.c.id).where(outbox.c.published_at.is_(None)))).all())


async def test_the_relay_waits_out_a_database_outage_and_publishes_after_it(plumbing, broker, caplog):
    url, sessionmaker = plumbing
    topic = f"keyproject.tests.relay.{uuid.uuid4().hex[:10]}"
    settings = relay_settings(url, broker.bootstrap, relay_poll_seconds=0.2)
    await stage_probes(sessionmaker, topic, "before")
    with caplog.at_level(logging.WARNING, logger="kit.outbox"):
        async with database_outage(url):
            task = asyncio.create_task(Relay(settings=settings, sessionmaker=sessionmaker, topic=topic).run())

            async def met_the_outage() -> bool:
                return task.done() or "unavailable" in caplog.text

            await eventually(met_the_outage, timeout=30, what="the relay meeting the outage")
            await asyncio.sleep(0.5)  # a retry or two more while the database is away
            assert not task.done(), f"the relay died of the outage: {task.exception()!r}"
    try:
        await stage_probes(sessionmaker, topic, "after")

        async def all_published() -> bool:
            return await unpublished(sessionmaker) == 0

        await eventually(all_published, timeout=30, what="the events published after the outage")
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 15)
    markers = [orjson.loads(r.value)["data"]["marker"] for r in await read_topic(broker.bootstrap, topic)]
    assert markers == ["before", "after"]


@pytest.mark.skipif(postgres_base() is None, reason="a statement that waits without end needs PostgreSQL's locks")
async def test_a_relay_step_that_never_answers_is_abandoned_and_retried(plumbing, broker, caplog):
    url, sessionmaker = plumbing
    topic = f"keyproject.tests.relay.{uuid.uuid4().hex[:10]}"
    settings = relay_settings(url, broker.bootstrap, relay_poll_seconds=0.2, relay_pass_timeout_seconds=1.0)
    await stage_probes(sessionmaker, topic, "waited")
    task = None
    try:
        with caplog.at_level(logging.WARNING, logger="kit.outbox"):
            async with stalled_outbox(url):
                task = asyncio.create_task(Relay(settings=settings, sessionmaker=sessionmaker, topic=topic).run())

                async def abandoned() -> bool:
                    return task.done() or "TimeoutError" in caplog.text

                await eventually(abandoned, timeout=30, what="the stuck pass abandoned")
                assert not task.done(), f"the relay died of the stuck step: {task.exception()!r}"

        # the outbox answers again: the same relay publishes what waited
        async def published() -> bool:
            return await unpublished(sessionmaker) == 0

        await eventually(published, timeout=30, what="the waiting event published")
        assert not task.done()
    finally:
        if task is not None:
            task.cancel()
            await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 15)
    markers = [orjson.loads(r.value)["data"]["marker"] for r in await read_topic(broker.bootstrap, topic)]
    assert markers == ["waited"]


def backlog(settings: ServiceSettings) -> float | None:
    return REGISTRY.get_sample_value("kp_outbox_backlog", {"service": settings.service_name})


async def test_the_backlog_gauge_counts_every_held_row_while_the_broker_is_unreachable(plumbing):
    url, sessionmaker = plumbing
    settings = relay_settings(url, f"127.0.0.1:{free_port()}", relay_batch_size=2, relay_poll_seconds=0.2)
    topic = "keyproject.tests.relay.unreachable"
    await stage_probes(sessionmaker, topic, *(f"held-{i}" for i in range(5)))
    async with running_relay(settings, sessionmaker, topic) as task:
        async def shows(n: int) -> bool:
            return backlog(settings) == n

        await eventually(lambda: shows(5), timeout=30, what="a backlog of 5 while the broker is unreachable")
        await stage_probes(sessionmaker, topic, "held-5", "held-6")
        await eventually(lambda: shows(7), timeout=30, what="the backlog following new rows")
        assert not task.done()
