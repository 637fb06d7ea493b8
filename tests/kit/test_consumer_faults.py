"""What the consumer waits out (the database away) and what it dead-letters (a handler that fails, constraint or not)."""
import asyncio
import contextlib
import sqlite3
import uuid

import asyncpg
import orjson
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from contracts.registry import ProjectRegistered
from contracts.topics import dead_letter
from kit.clock import utcnow
from kit.consumer import MAX_HANDLER_ATTEMPTS, Consumer
from kit.db import database_unavailable
from kit.settings import ServiceSettings
from kit.tables import idempotency_keys, inbox
from tests.support.api import eventually
from tests.support.databases import postgres_base
from tests.support.factories import project_registered
from tests.support.kafka import produce_events, read_topic

pytestmark = pytest.mark.timeout(180)
postgres_only = pytest.mark.skipif(postgres_base() is None, reason="needs TEST_DATABASE_URL on PostgreSQL")


def wrapped(cause: BaseException, **kwargs) -> DBAPIError:
    """A driver error as SQLAlchemy raises it: wrapped, the driver's own error on the `__cause__` chain."""
    error = DBAPIError("SELECT 1", {}, cause, **kwargs)
    error.__cause__ = cause
    return error


@pytest.mark.parametrize("error, unavailable", [
    (OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")), True),
    (wrapped(asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
             connection_invalidated=True), True),
    (wrapped(asyncpg.CannotConnectNowError("the database system is starting up")), True),
    (wrapped(asyncpg.AdminShutdownError("terminating connection due to administrator command")), True),
    (asyncpg.CannotConnectNowError("the database system is shutting down"), True),
    (ConnectionRefusedError(111, "Connect call failed"), True),
    (IntegrityError("INSERT", {}, asyncpg.UniqueViolationError("duplicate key")), False),
    (wrapped(asyncpg.DivisionByZeroError("division by zero")), False),
    (ValueError("a handler bug"), False),
])
def test_database_unavailable_tells_an_outage_from_a_failed_statement(error, unavailable):
    assert database_unavailable(error) is unavailable


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@contextlib.asynccontextmanager
async def consuming(url: str, sessionmaker, broker, handler):
    """A consumer of a fresh topic applying ProjectRegistered with `handler`; yields (settings, topic)."""
    settings = ServiceSettings(service_name=f"consumer-test-{uuid.uuid4().hex[:8]}", database_url=url, port=0,
                               kafka_bootstrap=broker.bootstrap, kafka_partitions=1,
                               consumer_group=f"keyproject.tests.{uuid.uuid4().hex[:8]}")
    topic = f"keyproject.tests.consumer.{uuid.uuid4().hex[:10]}"
    consumer = Consumer(settings=settings, sessionmaker=sessionmaker, topics=[topic],
                        handlers={ProjectRegistered: handler})
    task = asyncio.create_task(consumer.run())
    try:
        yield settings, topic
        assert not task.done(), f"the consumer died: {task.exception()!r}"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def effect(cloud_event, key: str | None = None):
    """The handlers' visible effect: a row in a real table."""
    return insert(idempotency_keys).values(key=key or cloud_event.id, request_hash="-", status=200, body="",
                                           created_at=utcnow())


async def recorded(sessionmaker, column, value) -> bool:
    async with sessionmaker() as session:
        return await session.scalar(select(column).where(column == value)) is not None


@postgres_only  # the errors of a PostgreSQL shutdown
async def test_an_event_is_applied_after_the_database_terminated_its_sessions_not_dead_lettered(plumbing, broker):
    url, sessionmaker = plumbing
    calls = 0
    # More terminated sessions than handler attempts: counted as handler failures, the event would be dead-lettered.
    terminations = MAX_HANDLER_ATTEMPTS + 1  # the first call is the batch's

    async def handler(session, cloud_event, data):
        nonlocal calls
        calls += 1
        if calls <= terminations:
            # What a shutting-down server does to every session (57P01), here deterministically, mid-transaction.
            await session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        await session.execute(effect(cloud_event))

    async with consuming(url, sessionmaker, broker, handler) as (settings, topic):
        event = project_registered(str(uuid.uuid4()))
        await produce_events(broker.bootstrap, topic, [event])

        async def settled() -> bool:
            return await recorded(sessionmaker, inbox.c.event_id, event.id) or bool(
                counter("kp_events_dead_lettered_total", service=settings.service_name, topic=dead_letter(topic)))

        await eventually(settled, timeout=90, interval=0.2, what="the event applied or dead-lettered")
        assert counter("kp_events_dead_lettered_total", service=settings.service_name, topic=dead_letter(topic)) == 0
        assert await recorded(sessionmaker, idempotency_keys.c.key, event.id)
        assert calls == terminations + 1
    assert await read_topic(broker.bootstrap, dead_letter(topic)) == []


async def test_a_handler_breaking_a_constraint_is_a_failure_dead_lettered_not_a_duplicate(plumbing, broker):
    url, sessionmaker = plumbing
    async with sessionmaker() as session:
        await session.execute(effect(None, key="taken"))
        await session.commit()

    async def handler(session, cloud_event, data):
        await session.execute(effect(cloud_event, key="taken"))

    async with consuming(url, sessionmaker, broker, handler) as (settings, topic):
        event = project_registered(str(uuid.uuid4()))
        await produce_events(broker.bootstrap, topic, [event])
        service = settings.service_name

        def dead_lettered() -> float:
            return counter("kp_events_dead_lettered_total", service=service, topic=dead_letter(topic))

        def duplicates() -> float:
            return counter("kp_events_skipped_total", service=service, reason="duplicate")

        async def settled() -> bool:
            return bool(dead_lettered() or duplicates())

        await eventually(settled, timeout=60, interval=0.1, what="the event dead-lettered or skipped")
        assert duplicates() == 0, "a constraint the handler broke was taken for an already applied event"
        assert dead_lettered() == 1
        assert not await recorded(sessionmaker, inbox.c.event_id, event.id)
    [dead] = await read_topic(broker.bootstrap, dead_letter(topic))
    assert orjson.loads(dead.value)["id"] == event.id
    assert "IntegrityError" in dict(dead.headers)["error"].decode()


@postgres_only  # SQLite serialises writers: no other instance can record the event meanwhile
async def test_an_event_another_instance_recorded_meanwhile_is_a_duplicate(plumbing, broker):
    url, sessionmaker = plumbing
    calls = 0

    async def handler(session, cloud_event, data):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("fail the batch, so the event is applied on its own")
        # Another instance applies the same event and commits after this one checked the inbox.
        async with sessionmaker() as other:
            await other.execute(insert(inbox).values(event_id=cloud_event.id, type=cloud_event.type,
                                                     processed_at=utcnow()))
            await other.commit()
        await session.execute(effect(cloud_event))

    async with consuming(url, sessionmaker, broker, handler) as (settings, topic):
        event = project_registered(str(uuid.uuid4()))
        await produce_events(broker.bootstrap, topic, [event])

        async def skipped() -> bool:
            return bool(counter("kp_events_skipped_total", service=settings.service_name, reason="duplicate"))

        await eventually(skipped, timeout=60, interval=0.1, what="the event skipped as a duplicate")
        assert calls == 2
        assert not await recorded(sessionmaker, idempotency_keys.c.key, event.id), \
            "this instance's effect was committed beside the other's"
        assert counter("kp_events_dead_lettered_total", service=settings.service_name, topic=dead_letter(topic)) == 0


async def test_an_idle_consumer_polls_at_its_idle_pace_and_at_the_short_one_while_events_come(plumbing, broker):
    """An idle platform costs next to nothing: after a second without events the long poll waits
    KP_FETCH_IDLE_MAX_WAIT_MS; an event brings it back to KP_FETCH_MAX_WAIT_MS at once (and is applied)."""
    url, sessionmaker = plumbing
    settings = ServiceSettings(service_name=f"consumer-test-{uuid.uuid4().hex[:8]}", database_url=url, port=0,
                               kafka_bootstrap=broker.bootstrap, kafka_partitions=1, fetch_max_wait_ms=20,
                               fetch_idle_max_wait_ms=400, consumer_group=f"keyproject.tests.{uuid.uuid4().hex[:8]}")
    topic = f"keyproject.tests.consumer.{uuid.uuid4().hex[:10]}"

    async def handler(session, cloud_event, data):
        await session.execute(effect(cloud_event))

    consumer = Consumer(settings=settings, sessionmaker=sessionmaker, topics=[topic],
                        handlers={ProjectRegistered: handler})
    task = asyncio.create_task(consumer.run())
    waits: list[int] = []

    async def waiting(ms: int) -> bool:
        fetcher = getattr(consumer._consumer, "_fetcher", None)  # None until the consumer has started
        waits.append(fetcher._fetch_max_wait_ms if fetcher is not None else None)
        return waits[-1] == ms

    try:
        await eventually(lambda: waiting(400), timeout=60, interval=0.02, what="the idle pace")
        event = project_registered(str(uuid.uuid4()))
        await produce_events(broker.bootstrap, topic, [event])
        # a fetch brought events: the short wait, for a second (watched from the moment it came, not after the
        # event was seen applied: on a busy machine that may be more than a second later)
        await eventually(lambda: waiting(20), timeout=10, interval=0.01, what="the short pace")
        await eventually(lambda: recorded(sessionmaker, inbox.c.event_id, event.id), timeout=10, interval=0.02,
                         what="the event applied")
        await eventually(lambda: waiting(400), timeout=10, interval=0.02, what="the idle pace again")
        assert not task.done(), f"the consumer died: {task.exception()!r}"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
