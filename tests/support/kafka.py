"""Raw Kafka access for tests: produce CloudEvents or arbitrary bytes, wait for a topic, read a whole topic."""
import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts.envelope import KAFKA_HEADERS, CloudEvent, encode


async def produce(bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes]], *,
                  max_request_size: int = 1048576, headers: list[tuple[str, bytes]] | None = None) -> None:
    """Send (key, value) pairs in order and wait until the broker acknowledged every one (`max_request_size`: an
    attacker's producer sends larger messages than ours)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, request_timeout_ms=10000,
                                max_request_size=max_request_size)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=value, key=key, headers=headers) for key, value in messages]
        await asyncio.wait_for(asyncio.gather(*futures), 60)
    finally:
        await producer.stop()


async def produce_events(bootstrap: str, topic: str, events: list[CloudEvent]) -> None:
    """Produce CloudEvents as the relay does: structured JSON, keyed by subject (the project id)."""
    await produce(bootstrap, topic, [(event.subject.encode(), encode(event)) for event in events],
                  headers=list(KAFKA_HEADERS))


async def partitions(bootstrap: str, topic: str) -> set[int]:
    """The topic's partitions as the broker reports them now (empty when it does not exist).

    Asks for metadata of all topics, which never auto-creates `topic` on brokers that create on demand."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        return set(consumer._client.cluster.partitions_for_topic(topic) or ())
    finally:
        await consumer.stop()


async def wait_for_topic(bootstrap: str, topic: str, *, partition_count: int = 1, timeout: float = 30.0) -> set[int]:
    """Poll until `topic` exists with at least `partition_count` partitions (a service's start-up creates it)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await partitions(bootstrap, topic)
        if len(found) >= partition_count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"topic {topic} has partitions {sorted(found)} after {timeout}s")
        await asyncio.sleep(0.2)


async def read_topic(bootstrap: str, topic: str, *, timeout: float = 20.0) -> list:
    """Every record of every partition from the beginning to the current end, without a consumer group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, request_timeout_ms=5000)
    try:
        # Bounded as a whole: a position that cannot be fetched waits forever in aiokafka.
        async with asyncio.timeout(timeout + 15):
            return await _read_all(consumer, topic, timeout)
    except TimeoutError:
        raise AssertionError(f"could not read {topic} within {timeout + 15}s") from None
    finally:
        await asyncio.wait_for(consumer.stop(), 10)


async def _read_all(consumer: AIOKafkaConsumer, topic: str, timeout: float) -> list:
    """`read_topic`'s reading, on a consumer it stops."""
    await consumer.start()
    await consumer._client.force_metadata_update()
    tps = [TopicPartition(topic, p) for p in consumer._client.cluster.partitions_for_topic(topic) or ()]
    if not tps:
        return []
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    ends = await consumer.end_offsets(tps)
    records = []
    deadline = time.monotonic() + timeout
    while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
        if time.monotonic() > deadline:
            raise AssertionError(f"could not read {topic} to its end within {timeout}s")
        for batch in (await consumer.getmany(timeout_ms=500)).values():
            records.extend(batch)
    return sorted(records, key=lambda r: (r.partition, r.offset))
