"""Raw ceilings on this machine: asyncpg outbox-row inserts, produce/consume/latency on the embedded broker, and raw SQL
passes (the floor under the services' scans and queries)."""
import asyncio
import time
import uuid
from datetime import datetime, timezone

from aiokafka import AIOKafkaConsumer
from sqlalchemy.ext.asyncio import create_async_engine

from bench.bodies import event_payload
from bench.databases import connect
from bench.pace import paced
from bench.stats import summary
from kit.bus import connection, ensure_topics, make_producer
from kit.settings import ServiceSettings
from kit.tables import metadata, outbox

INSERT_OUTBOX = ("INSERT INTO outbox (event_id, topic, key, type, body, created_at) "
                 "VALUES ($1, $2, $3, $4, $5, $6)")


async def insert_rate(database_url: str, *, connections: int, seconds: float) -> float:
    """Single-row INSERT transactions per second into the kit's own outbox table, `connections` at once."""
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all, tables=[outbox])
    await engine.dispose()
    body = event_payload()
    conns = await asyncio.gather(*(connect(database_url) for _ in range(connections)))
    done = 0
    deadline = time.perf_counter() + seconds

    async def writer(conn) -> None:
        nonlocal done
        statement = await conn.prepare(INSERT_OUTBOX)
        while time.perf_counter() < deadline:
            await statement.fetch(str(uuid.uuid4()), "bench.ceiling", str(uuid.uuid4()), "bench.v1", body,
                                  datetime.now(timezone.utc))
            done += 1

    start = time.perf_counter()
    try:
        await asyncio.gather(*(writer(c) for c in conns))
    finally:
        elapsed = time.perf_counter() - start
        await asyncio.gather(*(c.close() for c in conns))
    return done / elapsed


async def sql_ms(database_url: str, sql: str, *args, repeat: int = 1) -> dict[str, float]:
    """Raw SQL (asyncpg, no ORM) run `repeat` times, its rows streamed through a cursor: the floor under a scan or a
    query over the same rows. Percentiles of the ms a run takes."""
    conn = await connect(database_url)
    samples = []
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            async with conn.transaction():
                async for _ in conn.cursor(sql, *args, prefetch=2000):
                    pass
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        await conn.close()
    return summary(samples)


def client_settings(bootstrap: str) -> ServiceSettings:
    """The kit's client settings (acks=all, linger 0, the consumers' fetch wait and size), pointed at `bootstrap`."""
    return ServiceSettings(service_name="bench", database_url="", port=0, kafka_bootstrap=bootstrap)


def _consumer(settings: ServiceSettings, topic: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(topic, **connection(settings), group_id=f"bench-{uuid.uuid4().hex[:8]}",
                            enable_auto_commit=False, auto_offset_reset="earliest",
                            fetch_max_wait_ms=settings.fetch_max_wait_ms,
                            fetch_min_bytes=settings.fetch_min_bytes)


async def produce_rate(settings: ServiceSettings, topic: str, *, seconds: float, window: int = 1000) -> tuple[float, int]:
    """Messages/s acknowledged by the broker, sends pipelined `window` at a time, keyed over all partitions."""
    producer = make_producer(settings)
    await producer.start()
    body = event_payload()
    acked = 0
    try:
        start = time.perf_counter()
        deadline = start + seconds
        while time.perf_counter() < deadline:
            futures = [await producer.send(topic, value=body, key=uuid.uuid4().bytes) for _ in range(window)]
            await asyncio.wait_for(asyncio.gather(*futures), 30)
            acked += len(futures)
        return acked / (time.perf_counter() - start), acked
    finally:
        await producer.stop()


async def consume_rate(settings: ServiceSettings, topic: str, *, expected: int, timeout: float) -> tuple[float, float]:
    """Group-consume `expected` messages committing after each batch; (messages/s from the first one, join seconds)."""
    consumer = _consumer(settings, topic)
    start = time.perf_counter()
    await consumer.start()
    first = None
    received = 0
    try:
        deadline = start + timeout
        while received < expected and time.perf_counter() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batch.values():
                if records and first is None:
                    first = time.perf_counter()
                received += len(records)
            if batch:
                await consumer.commit()
        end = time.perf_counter()
    finally:
        await consumer.stop()
    if first is None or received < 2:
        return float("nan"), float("nan")
    return received / max(end - first, 1e-6), first - start


async def e2e_latency(settings: ServiceSettings, topic: str, *, rate: float, seconds: float) -> dict[str, float]:
    """Produce paced messages, each carrying its index; milliseconds from send() to the group consumer having it."""
    consumer = _consumer(settings, topic)
    await consumer.start()
    producer = make_producer(settings)
    await producer.start()
    sent: dict[int, float] = {}
    latencies: list[float] = []
    try:
        while not consumer.assignment():  # joined and assigned before the clock starts
            await consumer.getmany(timeout_ms=100)

        async def receive(expected: int) -> None:
            while len(latencies) < expected:
                batch = await consumer.getmany(timeout_ms=200)
                now = time.perf_counter()
                for records in batch.values():
                    latencies.extend((now - sent[int(r.value)]) * 1000 for r in records)

        async def send(i: int) -> None:
            sent[i] = time.perf_counter()
            await (await producer.send(topic, value=str(i).encode(), key=uuid.uuid4().bytes))

        receiver = asyncio.create_task(receive(max(1, int(rate * seconds))))
        await paced(rate, seconds, send)
        await asyncio.wait_for(receiver, 30)
    finally:
        await producer.stop()
        await consumer.stop()
    return summary(latencies)


async def broker_figures(bootstrap: str, *, seconds: float, rate: float) -> dict:
    settings = client_settings(bootstrap)
    run = uuid.uuid4().hex[:6]
    throughput, latency = f"bench.ceiling.{run}", f"bench.latency.{run}"
    await ensure_topics(settings, [throughput, latency])
    produced_rate, produced = await produce_rate(settings, throughput, seconds=seconds)
    consumed_rate, join = await consume_rate(settings, throughput, expected=produced, timeout=seconds * 4 + 15)
    e2e = await e2e_latency(settings, latency, rate=rate, seconds=seconds)
    return {"produce_rate": produced_rate, "produced": produced, "consume_rate": consumed_rate,
            "group_join_s": join, "e2e_ms": e2e}
