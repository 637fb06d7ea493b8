"""Outbox and inbox against a real database and the real broker: publish only what committed, apply each event once."""
import asyncio
import contextlib
import time
import uuid
from decimal import Decimal

import orjson
import pytest
from prometheus_client import REGISTRY
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import select

from contracts import topics
from contracts.envelope import EventData, encode, new_event
from contracts.registry import ProjectRegistered
from kit.broker import EmbeddedBroker
from kit.bus import ensure_topics
from kit.db import make_engine, make_sessionmaker
from kit.outbox import Relay, stage
from kit.settings import ServiceSettings
from kit.tables import metadata, outbox
from tests.support.api import eventually
from tests.support.databases import fresh_database
from tests.support.factories import create_project, create_unit
from tests.support.kafka import produce, read_topic
from tests.support.metrics import metric


def probe_event(topic_name: str) -> type[EventData]:
    """An event type of the tests' own, published to a topic no service reads."""

    class Probe(EventData):
        type = "keyproject.tests.probe.v1"
        topic = topic_name
        marker: str

    return Probe


@pytest.fixture
def database_url(workdir):
    return fresh_database("outbox", workdir)


@pytest.fixture
async def outbox_world(platform, database_url):
    """A database with the plumbing tables, settings pointing at the session broker, and a fresh topic."""
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    settings = ServiceSettings(service_name="outbox-test", database_url=database_url, port=0,
                               kafka_bootstrap=platform.broker.bootstrap, kafka_partitions=3,
                               relay_poll_seconds=30)
    topic = f"keyproject.tests.outbox.{uuid.uuid4().hex[:10]}"
    await ensure_topics(settings, [topic])
    try:
        yield settings, make_sessionmaker(engine), topic
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def running_relay(settings: ServiceSettings, sessionmaker, topic: str):
    relay = Relay(settings=settings, sessionmaker=sessionmaker, topic=topic)
    task = asyncio.create_task(relay.run(), name="test-relay")
    try:
        yield relay
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@contextlib.asynccontextmanager
async def topic_reader(bootstrap: str, topic: str):
    """A plain consumer assigned to every partition of `topic` from the beginning (no group, no commits)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50,
                                request_timeout_ms=10000)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = consumer._client.cluster.partitions_for_topic(topic) or set()
        assert partitions, f"topic {topic} does not exist"
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        yield consumer
    finally:
        await consumer.stop()


async def markers_within(consumer: AIOKafkaConsumer, seconds: float, *, until: str | None = None) -> list[str]:
    """Markers of the probe events read for `seconds`, or until the marker `until` shows up."""
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=100)
        for records in batches.values():
            seen.extend(orjson.loads(r.value)["data"]["marker"] for r in records)
        if until is not None and until in seen:
            break
    return seen


async def outbox_rows(sessionmaker) -> list:
    async with sessionmaker() as session:
        return (await session.execute(select(outbox.c.event_id, outbox.c.published_at).order_by(outbox.c.id))).all()


async def test_a_rolled_back_event_is_never_published_and_a_committed_one_is(outbox_world, platform):
    settings, sessionmaker, topic = outbox_world
    probe = probe_event(topic)
    async with running_relay(settings, sessionmaker, topic), topic_reader(settings.kafka_bootstrap, topic) as reader:
        async with sessionmaker() as session:
            await stage(session, probe(marker="rolled-back"), subject="key-1", source="/tests")
            await session.rollback()
        async with sessionmaker() as session:
            committed = await stage(session, probe(marker="committed"), subject="key-1", source="/tests")
            await session.commit()

        assert "committed" in await markers_within(reader, 30, until="committed"), "the committed event never arrived"

        records = await read_topic(settings.kafka_bootstrap, topic)
        assert [orjson.loads(r.value)["data"]["marker"] for r in records] == ["committed"]
        assert records[0].key == b"key-1"
        assert orjson.loads(records[0].value)["id"] == committed.id

        rows = await outbox_rows(sessionmaker)
        assert [row.event_id for row in rows] == [committed.id]
        await eventually(lambda: _all_marked_published(sessionmaker), timeout=10, what="outbox row marked published")


async def _all_marked_published(sessionmaker) -> bool:
    return all(row.published_at is not None for row in await outbox_rows(sessionmaker))


async def test_an_open_transaction_is_not_published_and_a_commit_wakes_the_relay(outbox_world, platform):
    settings, sessionmaker, topic = outbox_world
    assert settings.relay_poll_seconds >= 30, "polling must be too slow to explain a prompt publish"
    probe = probe_event(topic)
    # Committed before the relay starts, so its first pass publishes it: then the relay is up and idle for 30 s.
    async with sessionmaker() as session:
        await stage(session, probe(marker="warm-up"), subject="key-1", source="/tests")
        await session.commit()
    async with running_relay(settings, sessionmaker, topic) as relay, \
            topic_reader(settings.kafka_bootstrap, topic) as reader:
        assert "warm-up" in await markers_within(reader, 30, until="warm-up"), "the relay never published"

        async with sessionmaker() as session:
            await stage(session, probe(marker="pending"), subject="key-1", source="/tests")
            relay.wake()  # a pass while the transaction is open must find nothing committed
            assert "pending" not in await markers_within(reader, 1.0), "published before its transaction committed"
            await session.commit()
        assert "pending" in await markers_within(reader, 30, until="pending"), "the committed event was not published"

        await asyncio.sleep(0.5)  # let the relay finish its passes and go back to waiting
        async with sessionmaker() as session:
            await stage(session, probe(marker="prompt"), subject="key-2", source="/tests")
            started = time.monotonic()
            await session.commit()
        seen = await markers_within(reader, 30, until="prompt")
        elapsed = time.monotonic() - started
        assert "prompt" in seen, "the committed event was not published"
        assert elapsed < 3.0, f"published {elapsed:.2f}s after commit: the relay was not woken by the commit"

    assert [orjson.loads(r.value)["data"]["marker"] for r in await read_topic(settings.kafka_bootstrap, topic)] \
        .count("pending") == 1


async def test_reports_apply_a_redelivered_project_event_once(platform, registry, reports):
    unit = await create_unit(registry)
    project = await create_project(registry, unit["id"], total_investment="1234.5", annual_plan_investment="100")
    bootstrap = platform.broker.bootstrap

    async def overview() -> dict:
        response = await reports.get("/api/v1/overview", params={"unit_id": unit["id"]})
        assert response.status_code == 200, response.text
        return response.json()

    async def counted(n: int):
        return (await overview())["project_count"] == n

    await eventually(lambda: counted(1), timeout=30, what="the registered project in the overview")

    registered = [r for r in await read_topic(bootstrap, topics.REGISTRY)
                  if orjson.loads(r.value)["subject"] == project["id"]
                  and orjson.loads(r.value)["type"] == ProjectRegistered.type]
    assert len(registered) == 1, "the registry published the project once"
    original = registered[0]
    duplicates_before = await metric(platform.url("reports"), "kp_events_skipped_total", service="reports",
                                     reason="duplicate")

    # The very same bytes twice more, then the same project and version under a new event id.
    same_version = orjson.loads(original.value)
    same_version["id"] = str(uuid.uuid4())
    # A second project last, on the same key and so the same partition: once it is counted, the copies before it
    # have been consumed too.
    marker_data = ProjectRegistered.model_validate(orjson.loads(original.value)["data"]).model_copy(
        update={"id": str(uuid.uuid4()), "code": f"P-{uuid.uuid4().hex[:10]}", "total_investment": Decimal("1"),
                "annual_plan_investment": Decimal("1")})
    marker = encode(new_event(marker_data, subject=marker_data.id, source="/tests/registry"))
    await produce(bootstrap, topics.REGISTRY, [
        (original.key, original.value),
        (original.key, original.value),
        (original.key, orjson.dumps(same_version)),
        (original.key, marker),
    ])

    await eventually(lambda: counted(2), timeout=30, what="the marker project in the overview")
    body = await overview()
    assert body["project_count"] == 2
    assert Decimal(body["total_investment"]) == Decimal("1235.5"), "a redelivered event was applied twice"
    assert Decimal(body["annual_plan_investment"]) == Decimal("101")
    duplicates_after = await metric(platform.url("reports"), "kp_events_skipped_total", service="reports",
                                    reason="duplicate")
    assert duplicates_after - duplicates_before >= 2, "the inbox did not recognise the redelivered event id"


def refeeds() -> float:
    return REGISTRY.get_sample_value("kp_outbox_refeeds_total", {"service": "outbox-test"}) or 0.0


async def test_a_broker_that_came_back_empty_is_refed_even_when_its_log_was_refilled_first(database_url, tmp_path):
    """A producer that rides out a restart refills the new log at once, so its high watermark need not go back:
    the new cluster id is what tells the relay that what it published is gone."""
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log").start()
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        sessionmaker = make_sessionmaker(engine)
        settings = ServiceSettings(service_name="outbox-test", database_url=database_url, port=0,
                                   kafka_bootstrap=broker.bootstrap, kafka_partitions=1, relay_log_check_seconds=0.2)
        topic = f"keyproject.tests.outbox.{uuid.uuid4().hex[:10]}"
        probe = probe_event(topic)
        relay = Relay(settings=settings, sessionmaker=sessionmaker, topic=topic)
        async with sessionmaker() as session:
            for i in range(5):
                await stage(session, probe(marker=f"before-{i}"), subject="key-1", source="/tests")
            await session.commit()
        task = asyncio.create_task(relay.run())
        await eventually(lambda: _all_marked_published(sessionmaker), timeout=30, what="the first events published")
        await asyncio.sleep(1.0)  # a periodic log check reads the watermark of the first log
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

        broker.stop()
        broker.start()
        await ensure_topics(settings, [topic])
        await produce(broker.bootstrap, topic, [(b"key-1", encode(new_event(probe(marker=f"filler-{i}"),
                                                                          subject="key-1", source="/tests")))
                                                for i in range(20)])

        refeeds_before = refeeds()
        task = asyncio.create_task(relay.run())
        try:
            async with topic_reader(broker.bootstrap, topic) as reader:
                seen = await markers_within(reader, 30, until="before-4")
            assert [m for m in seen if m.startswith("before-")] == [f"before-{i}" for i in range(5)]
            assert refeeds() == refeeds_before + 1
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await engine.dispose()
        broker.stop()
