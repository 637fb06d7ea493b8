"""Dead letters an operator can act on: list what each dead-letter topic holds, and replay chosen ones to their
source topic once the cause is fixed. A replayed event reaches every consumer of the topic again; those that had
applied it skip it (their inbox), the one that could not applies it now: exactly once. Each consumer also keeps a
copy in its own database (the embedded broker keeps nothing over a restart): listed and replayed from there with
the service's database URL."""
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from contracts.envelope import KAFKA_HEADERS
from sqlalchemy import select

from contracts.topics import PRODUCERS, dead_letter
from kit.bus import connection
from kit.db import make_engine
from kit.settings import ServiceSettings
from kit.tables import dead_letters


@dataclass(frozen=True)
class DeadLetter:
    topic: str  # the dead-letter topic
    partition: int
    offset: int
    at: datetime
    kind: str  # whole | reference
    reason: str
    service: str
    consumer_group: str
    source_topic: str
    source_partition: int | None
    source_offset: int | None
    key: bytes | None
    value: bytes
    event_id: str | None
    event_type: str | None
    stored_id: int | None = None  # its row in a service's database copy

    @property
    def ref(self) -> str:
        """How an operator names it: <dead-letter topic>:<partition>:<offset>, or db:<id> for a database copy."""
        return f"db:{self.stored_id}" if self.stored_id is not None else f"{self.topic}:{self.partition}:{self.offset}"


def _event_of(kind: str, value: bytes | None) -> tuple[str | None, str | None]:
    """The id and type of a whole dead-lettered event (None for a reference, or what does not parse)."""
    if kind != "whole":
        return None, None
    try:
        body = json.loads(value or b"")
        return body.get("id"), body.get("type")
    except (ValueError, AttributeError):
        return None, None


def _letter(record) -> DeadLetter:
    headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    event_id, event_type = _event_of(headers.get("dead_letter_kind", "whole"), record.value)
    number = lambda name: int(headers[name]) if headers.get(name, "").isdigit() else None  # noqa: E731
    return DeadLetter(topic=record.topic, partition=record.partition, offset=record.offset,
                      at=datetime.fromtimestamp(record.timestamp / 1000, timezone.utc),
                      kind=headers.get("dead_letter_kind", "whole"), reason=headers.get("error", ""),
                      service=headers.get("service", ""), consumer_group=headers.get("consumer_group", ""),
                      source_topic=headers.get("source_topic", record.topic.removesuffix(".dlq")),
                      source_partition=number("source_partition"), source_offset=number("source_offset"),
                      key=record.key, value=record.value or b"", event_id=event_id, event_type=event_type)


async def _read(settings: ServiceSettings, topic: str, *, partition: int | None = None,
                offset: int | None = None) -> list:
    """Every record of a topic (or the one at partition/offset), without a consumer group."""
    # A short long poll: the embedded broker answers a fetch only when it next looks (see KP_FETCH_MAX_WAIT_MS).
    consumer = AIOKafkaConsumer(**connection(settings), enable_auto_commit=False, request_timeout_ms=10000,
                                fetch_max_wait_ms=50)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        tps = [TopicPartition(topic, p) for p in partitions if partition is None or p == partition]
        if not tps:
            return []
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            if offset is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, offset)
        records = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in tps])

        def take(fetched: dict) -> None:
            for batch in fetched.values():
                records.extend(r for r in batch if offset is None or r.offset == offset)

        while await behind():
            take(await consumer.getmany(timeout_ms=1000))
            if offset is not None and records:
                break
        if offset is None or not records:
            # One more fetch past the end read: a broker may report a high watermark short of what it holds (tansu
            # 0.6 counts a batch as less), and the newest dead letter would go unlisted.
            # (a second at most: a busy machine may take that long to answer)
            take(await consumer.getmany(timeout_ms=1000))
        return sorted({(r.partition, r.offset): r for r in records}.values(), key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


async def stored_letters(database_url: str) -> list[DeadLetter]:
    """The copies a service kept in its database, oldest first."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(dead_letters).order_by(dead_letters.c.id))).all()
    finally:
        await engine.dispose()
    return [DeadLetter(topic=r.topic, partition=-1, offset=-1, kind=r.kind, reason=r.reason, service=r.service,
                       at=r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=timezone.utc),
                       consumer_group=r.consumer_group, source_topic=r.source_topic,
                       source_partition=r.source_partition, source_offset=r.source_offset, key=r.key, value=r.value,
                       stored_id=r.id, **dict(zip(("event_id", "event_type"), _event_of(r.kind, r.value))))
            for r in rows]


async def list_letters(settings: ServiceSettings, topics: list[str] | None = None) -> list[DeadLetter]:
    """The dead letters of the given topics (default: every event topic's, by this deployment's names)."""
    found = []
    for topic in topics or [dead_letter(settings.topic(t)) for t in PRODUCERS]:
        found += [_letter(r) for r in await _read(settings, topic)]
    return found


async def replay(settings: ServiceSettings, refs: list[str], *, database_url: str | None = None) -> list[str]:
    """Send the named dead letters back to their source topic (a reference: the original message, read from its
    source topic); `db:<id>` names a copy in the service's database (`database_url`). Returns what was sent, as
    `<ref> -> <topic> (<event id>)`."""
    stored = {letter.ref: letter for letter in await stored_letters(database_url)} if database_url else {}
    sent = []
    producer = AIOKafkaProducer(**connection(settings), acks="all", enable_idempotence=settings.kafka_idempotence,
                                request_timeout_ms=10000, max_request_size=max(settings.max_event_bytes, 1 << 20))
    await producer.start()
    try:
        for ref in refs:
            if ref.startswith("db:"):
                if ref not in stored:
                    raise LookupError(f"no dead letter {ref}" + ("" if database_url else " (give --database)"))
                letter = stored[ref]
            else:
                topic, partition, offset = ref.rsplit(":", 2)
                records = await _read(settings, topic, partition=int(partition), offset=int(offset))
                if not records:
                    raise LookupError(f"no dead letter {ref}")
                letter = _letter(records[0])
            key, value = letter.key, letter.value
            if letter.kind == "reference":
                originals = await _read(settings, letter.source_topic, partition=letter.source_partition,
                                        offset=letter.source_offset)
                if not originals:
                    raise LookupError(f"{ref}: the original message is no longer on {letter.source_topic}")
                key, value = originals[0].key, originals[0].value
            await producer.send_and_wait(letter.source_topic, value=value, key=key, headers=list(KAFKA_HEADERS))
            sent.append(f"{ref} -> {letter.source_topic} ({letter.event_id or 'by reference'})")
    finally:
        await producer.stop()
    return sent
