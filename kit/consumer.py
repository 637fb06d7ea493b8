"""Consumer group loop: inbox-deduplicated handlers, offsets committed after the database, dead letters for bad events."""
import asyncio
import base64
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, RecordTooLargeError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.catalog import CATALOG
from contracts.envelope import CloudEvent, EventData, UndecodableEvent, decode
from contracts.topics import dead_letter, from_its_producer
from kit import metrics, tracing
from kit.bus import BrokerWatch, connection, ensure_topics, make_producer
from kit.clock import utcnow
from kit.db import database_unavailable, one_of
from kit.settings import ServiceSettings
from kit.tables import dead_letters, inbox

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent, EventData], Awaitable[None]]
Handlers = dict[type[EventData], Handler]
# Wraps the handlers of a whole fetch applied in one transaction, given the fetch's events (e.g. to read what they
# touch at once, or to write aggregates once per fetch).
BatchScope = Callable[[AsyncSession, list[tuple[CloudEvent, EventData]]], contextlib.AbstractAsyncContextManager]

# Set in session.info by a batch scope whose handlers keep what they load for the whole fetch (and read again what
# Core statements changed themselves): nothing is flushed and expired between its events.
KEEP_LOADED = "consumer.keep_loaded"

MAX_HANDLER_ATTEMPTS = 5
REFERENCE_BYTES = 1024  # of a message dead-lettered by reference: its first bytes, for whoever looks into it


def decode_record(record: ConsumerRecord, *, max_bytes: int, deployments: Mapping[str, str] | None = None
                  ) -> tuple[CloudEvent, EventData]:
    """A consumed record as an event. UndecodableEvent for a message above `max_bytes` (never parsed), one that is
    not a known event, or one whose source is not its topic's producer (anyone who can reach the broker can write) or,
    on another deployment's topic (`deployments`: topic -> source prefix), not that deployment's."""
    size = len(record.value or b"")
    if size > max_bytes:
        raise UndecodableEvent(f"the message has {size} bytes, more than KP_MAX_EVENT_BYTES ({max_bytes})")
    cloud_event, data = decode(record.value, CATALOG)
    if not from_its_producer(record.topic, cloud_event.source, (deployments or {}).get(record.topic)):
        raise UndecodableEvent(f"source {cloud_event.source!r} is not the producer of {record.topic}")
    return cloud_event, data


# A dead letter by reference is plain JSON about the message, not a CloudEvent.
_REFERENCE = [("dead_letter_kind", b"reference"), ("content-type", b"application/json")]


def _reference(record: ConsumerRecord, reason: str) -> bytes:
    """A dead letter that stands for a message too large to copy: where it is, its size, its first bytes."""
    value = record.value or b""
    return json.dumps({"topic": record.topic, "partition": record.partition, "offset": record.offset,
                       "size": len(value), "first_bytes_base64": base64.b64encode(value[:REFERENCE_BYTES]).decode(),
                       "reason": reason[:4000]}).encode()



def _continuing(cloud_event: CloudEvent):
    """Handle the event in the trace that caused it: what its handler stages and logs carries that trace."""
    return tracing.continuing((cloud_event.model_extra or {}).get("traceparent"), f"apply {cloud_event.type}",
                              event_id=cloud_event.id)

class Consumer:
    """Applies each event once: the inbox row and the handler's effects commit together, then the offset."""

    def __init__(
        self,
        *,
        settings: ServiceSettings,
        sessionmaker: async_sessionmaker,
        topics: list[str],
        handlers: Handlers,
        batch_scope: BatchScope | None = None,
        deployments: Mapping[str, str] | None = None,
    ):
        self.settings = settings
        self.deployments = dict(deployments or {})  # another deployment's topic -> the source prefix it carries
        self.sessionmaker = sessionmaker
        self.topics = topics
        self.handlers = {model.type: handler for model, handler in handlers.items()}
        self.batch_scope = batch_scope or (lambda _session, _events: contextlib.nullcontext())
        self._consumer: AIOKafkaConsumer | None = None
        self._dlq: AIOKafkaProducer | None = None
        self._next_lag_observation = 0.0
        self._cluster: str | None = None  # the broker cluster our positions are in
        self._next_cluster_check = 0.0
        self._watch = BrokerWatch(settings)
        self._gate = asyncio.Lock()  # each batch is applied under it; `paused()` holds it

    @contextlib.asynccontextmanager
    async def paused(self):
        """Apply nothing while the block runs (the batch in hand is finished first), e.g. while the service rebuilds
        its read models; records fetched meanwhile wait, and their offsets stay uncommitted."""
        async with self._gate:
            yield

    async def run(self) -> None:
        """Consume until cancelled; broker outages are waited out, the consumer is rebuilt after each."""
        backoff = 0.2
        while True:
            try:
                await self._start()
                backoff = 0.2
                while True:
                    batch = await self._consumer.getmany(timeout_ms=1000, max_records=500)
                    self._pace(busy=bool(batch))
                    async with self._gate:
                        records = [record for records in batch.values() for record in records]
                        if records and not await self._apply_batch(records):
                            for record in records:
                                await self._process(record)
                        if batch:
                            # Only the partitions just applied: committing every assigned one would retry forever
                            # on a topic the broker no longer has (a broker restarted empty), stalling the stream.
                            offsets = {tp: records[-1].offset + 1 for tp, records in batch.items() if records}
                            await asyncio.wait_for(self._consumer.commit(offsets), 30)
                    await self._observe_lag()
                    await self._reread_if_broker_replaced()
            except (KafkaError, OSError, asyncio.TimeoutError) as exc:
                log.warning("consumer: broker unavailable (%s); retrying in %.1fs", exc, backoff)
                await self.stop()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except BaseException:  # cancelled, or died (to be restarted): leave the group, or it keeps our partitions
                await self.stop()
                raise

    def _pace(self, *, busy: bool) -> None:
        """Long polls of KP_FETCH_MAX_WAIT_MS while events come, of KP_FETCH_IDLE_MAX_WAIT_MS once a whole second
        (getmany's timeout) brought none: an idle consumer, and the broker answering it, wake a few times a second
        instead of fifty. aiokafka's fetcher reads the wait for each request it builds."""
        settings = self.settings
        self._consumer._fetcher._fetch_max_wait_ms = max(
            settings.fetch_max_wait_ms, 0 if busy else settings.fetch_idle_max_wait_ms)

    async def stop(self) -> None:
        await self._watch.close()
        for client in (self._consumer, self._dlq):
            if client is not None:
                try:
                    await asyncio.wait_for(client.stop(), 10)
                except Exception:  # noqa: BLE001 - closing against a dead broker may fail; the client is dropped
                    log.debug("consumer: close failed", exc_info=True)
        self._consumer = self._dlq = None

    async def _start(self) -> None:
        # Create the topics before subscribing: a broker that creates topics on demand (tansu; Kafka by default)
        # would create them with its own default partition count for the subscriber.
        await ensure_topics(self.settings, [*self.topics, *map(dead_letter, self.topics)])
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            **connection(self.settings),
            group_id=self.settings.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.settings.fetch_max_wait_ms,
            fetch_min_bytes=self.settings.fetch_min_bytes,
            client_id=f"keyproject-{self.settings.service_name}",
        )
        await self._consumer.start()
        self._dlq = make_producer(self.settings)
        await self._dlq.start()

    def _decode(self, record: ConsumerRecord) -> tuple[CloudEvent, EventData]:
        return decode_record(record, max_bytes=self.settings.max_event_bytes, deployments=self.deployments)

    async def _process(self, record: ConsumerRecord) -> None:
        try:
            cloud_event, data = self._decode(record)
        except UndecodableEvent as exc:
            await self._dead_letter(record, str(exc))
            return
        handler = self.handlers.get(cloud_event.type)
        if handler is None:
            metrics.EVENTS_SKIPPED.labels(self.settings.service_name, "not_handled").inc()
            return
        with _continuing(cloud_event):
            await self._apply_until_done(record, handler, cloud_event, data)

    async def _apply_until_done(self, record: ConsumerRecord, handler: Handler, cloud_event: CloudEvent,
                                data: EventData) -> None:
        attempt = waits = 0
        while True:
            try:
                if await self._apply(handler, cloud_event, data):
                    metrics.EVENTS_CONSUMED.labels(self.settings.service_name, cloud_event.type).inc()
                else:
                    metrics.EVENTS_SKIPPED.labels(self.settings.service_name, "duplicate").inc()
                return
            except Exception as exc:  # noqa: BLE001 - a handler bug must not stop the stream; it is dead-lettered
                metrics.EVENTS_FAILED.labels(self.settings.service_name).inc()
                if database_unavailable(exc):
                    # The database is away: wait it out, never drop the event (waits use up no handler attempt).
                    log.warning("consumer: database unavailable (%s), retrying", exc)
                    waits += 1
                    await asyncio.sleep(min(0.2 * 2**min(waits, 5), 5.0))
                    continue
                attempt += 1
                log.exception("consumer: handler failed for %s (attempt %d)", cloud_event.id, attempt)
                if attempt == MAX_HANDLER_ATTEMPTS:
                    await self._dead_letter(record, f"handler failed: {exc!r}")
                    return
                await asyncio.sleep(0.05 * 2**attempt)

    async def _apply_batch(self, records: list[ConsumerRecord]) -> bool:
        """Fast path: apply a whole fetch in one transaction. False (nothing applied) sends it down the per-event
        path, which retries, waits out the database and dead-letters: any undecodable event or any failure."""
        decoded = []
        for record in records:
            try:
                decoded.append(self._decode(record))
            except UndecodableEvent:
                return False
        ids = list({event.id for event, _ in decoded})
        applied, duplicates, unhandled = [], 0, 0
        try:
            async with self.sessionmaker() as session:
                async with session.begin(), self.batch_scope(session, decoded):
                    seen = set((await session.scalars(select(inbox.c.event_id).where(
                        one_of(session, inbox.c.event_id, ids)))).all())
                    for cloud_event, data in decoded:
                        handler = self.handlers.get(cloud_event.type)
                        if handler is None:
                            unhandled += 1
                            continue
                        if cloud_event.id in seen:
                            duplicates += 1
                            continue
                        seen.add(cloud_event.id)
                        with _continuing(cloud_event):
                            await handler(session, cloud_event, data)
                        if not session.info.get(KEEP_LOADED):
                            # Handlers mix Core statements and ORM objects: the next one must read what this one wrote.
                            await session.flush()
                            session.expire_all()
                        applied.append(cloud_event)
                    if applied:
                        now = utcnow()
                        await session.execute(insert(inbox), [
                            {"event_id": e.id, "type": e.type, "processed_at": now} for e in applied])
        except Exception:  # noqa: BLE001 - the per-event path sorts out what failed and why
            log.debug("consumer: batch of %d fell back to one by one", len(records), exc_info=True)
            return False
        service = self.settings.service_name
        for cloud_event in applied:
            metrics.EVENTS_CONSUMED.labels(service, cloud_event.type).inc()
        if duplicates:
            metrics.EVENTS_SKIPPED.labels(service, "duplicate").inc(duplicates)
        if unhandled:
            metrics.EVENTS_SKIPPED.labels(service, "not_handled").inc(unhandled)
        return True

    async def _apply(self, handler: Handler, cloud_event: CloudEvent, data: EventData) -> bool:
        """Run the handler and record the inbox row in one transaction; False when already processed."""
        recorded = select(inbox.c.event_id).where(inbox.c.event_id == cloud_event.id)
        try:
            async with self.sessionmaker() as session:
                async with session.begin():
                    if await session.scalar(recorded) is not None:
                        return False
                    await handler(session, cloud_event, data)
                    await session.execute(
                        insert(inbox).values(event_id=cloud_event.id, type=cloud_event.type, processed_at=utcnow())
                    )
            return True
        except IntegrityError:
            # Either another instance recorded the event first (its effect is there) or the handler broke a
            # constraint (a failure): only the inbox, read after the rollback, tells which.
            async with self.sessionmaker() as session:
                if await session.scalar(recorded) is None:
                    raise
            return False

    async def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        """The message goes to its topic's dead-letter topic with the reason and who put it there; one too large to
        go whole goes as a reference (where it is, its size, its first bytes), so the stream never stalls on it."""
        topic = dead_letter(record.topic)
        log.warning("consumer: dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
        headers = [
            ("error", reason[:4000].encode()),
            ("source_topic", record.topic.encode()),
            ("source_partition", str(record.partition).encode()),
            ("source_offset", str(record.offset).encode()),
            ("consumer_group", self.settings.group_id.encode()),
            ("service", self.settings.service_name.encode()),
        ]
        whole = len(record.value or b"") <= self.settings.max_event_bytes
        value = record.value if whole else _reference(record, reason)
        try:
            kind = [("dead_letter_kind", b"whole")] + list(record.headers or ()) if whole else _REFERENCE
            await self._dlq.send_and_wait(topic, value=value, key=record.key, headers=headers + kind)
        except (MessageSizeTooLargeError, RecordTooLargeError):
            # message-specific (the broker's limit is below ours): never retried as if the broker were down
            whole, value = False, _reference(record, reason)
            await self._dlq.send_and_wait(topic, value=value, key=record.key, headers=headers + _REFERENCE)
        metrics.EVENTS_DEAD_LETTERED.labels(self.settings.service_name, topic).inc()
        await self._keep_copy(record, topic=topic, reason=reason, kind="whole" if whole else "reference",
                              value=value or b"")

    async def _keep_copy(self, record: ConsumerRecord, *, topic: str, reason: str, kind: str, value: bytes) -> None:
        """The dead letter in the service's own database too: the embedded broker loses its topics on a restart."""
        try:
            async with self.sessionmaker() as session:
                async with session.begin():
                    await session.execute(insert(dead_letters).values(
                        topic=topic, source_topic=record.topic, source_partition=record.partition,
                        source_offset=record.offset, consumer_group=self.settings.group_id,
                        service=self.settings.service_name, kind=kind, reason=reason[:4000], key=record.key,
                        value=value, created_at=utcnow()))
        except Exception:  # noqa: BLE001 - the broker holds it; a copy that could not be kept is only logged
            log.warning("consumer: no copy of the dead letter kept in the database", exc_info=True)

    async def _reread_if_broker_replaced(self) -> None:
        """A broker that came back as another cluster (the embedded one keeps no log) is refilled by the producers'
        re-feed; positions kept from the old log would skip what the new one holds below them. Read every assigned
        partition again from its beginning: the inbox skips what was applied. Looked at every
        KP_RELAY_LOG_CHECK_SECONDS, like the relays' own check."""
        if time.monotonic() < self._next_cluster_check:
            return
        self._next_cluster_check = time.monotonic() + self.settings.relay_log_check_seconds
        try:
            cluster = await self._watch.cluster_id()
        except (KafkaError, OSError, asyncio.TimeoutError):
            return  # away: looked at again next time
        previous, self._cluster = self._cluster, cluster
        if previous not in (None, cluster) and self._consumer.assignment():
            log.warning("consumer: the broker is another cluster now (%s, was %s); reading its log from the start",
                        cluster, previous)
            await self._consumer.seek_to_beginning(*self._consumer.assignment())

    async def _observe_lag(self) -> None:
        # At most once a second: it runs after every fetch, and an idle consumer fetches every fetch_max_wait_ms.
        if time.monotonic() < self._next_lag_observation:
            return
        self._next_lag_observation = time.monotonic() + 1.0
        assigned = self._consumer.assignment()
        metrics.CONSUMER_PARTITIONS.labels(self.settings.service_name).set(len(assigned))
        for tp in assigned:
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                lag = max(highwater - await self._consumer.position(tp), 0)
                metrics.CONSUMER_LAG.labels(self.settings.service_name, tp.topic, str(tp.partition)).set(lag)
