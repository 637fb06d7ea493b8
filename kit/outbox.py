"""Transactional outbox: events staged in the caller's transaction, published by a relay once committed."""
import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy import Insert, Table, bindparam, delete, event, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import KAFKA_HEADERS, CloudEvent, EventData, encode, new_event
from kit import metrics, tracing
from kit.bus import BrokerWatch, ensure_topics, make_producer
from kit.clock import utcnow
from kit.db import database_unavailable
from kit.settings import DEFAULT_SOURCE_PREFIX, ServiceSettings
from kit.tables import outbox

log = logging.getLogger(__name__)

_STAGED = "outbox_staged"
_LEADER_LOCK = 0x6B70_0001  # PostgreSQL advisory lock: one relay per service database publishes at a time
_LINGER = 0.005  # seconds between passes that found rows (see Relay.run)
_INSERT = insert(outbox)  # built once: the values go as parameters, so the compiled statement is reused
_OUTBOX_COLUMNS = ("event_id", "topic", "key", "type", "body", "created_at")  # what `_outbox_row` fills


# The deployment's prefix of every event source (/keyproject/<city-code>/registry): set once per process from
# KP_EVENT_SOURCE_PREFIX, so two cities' events can be told apart on a shared broker.
_SOURCE = {"prefix": DEFAULT_SOURCE_PREFIX}


def identify_deployment(prefix: str) -> None:
    _SOURCE["prefix"] = prefix.rstrip("/")


def _deployment(source: str) -> str:
    """A service's own source (/keyproject/<service>) under the deployment's prefix."""
    return _SOURCE["prefix"] + source[len(DEFAULT_SOURCE_PREFIX):] if source.startswith(
        DEFAULT_SOURCE_PREFIX + "/") else source


def _outbox_row(data: EventData, *, subject: str, source: str) -> tuple[CloudEvent, dict]:
    cloud_event = new_event(data, subject=subject, source=_deployment(source), traceparent=tracing.current())
    row = {"event_id": cloud_event.id, "topic": data.topic, "key": subject, "type": data.type,
           "body": encode(cloud_event), "created_at": cloud_event.time}
    return cloud_event, row


async def stage(session: AsyncSession, data: EventData, *, subject: str, source: str) -> CloudEvent:
    """Write the event into the outbox inside the caller's transaction; it is published only if that commits."""
    cloud_event, row = _outbox_row(data, subject=subject, source=source)
    await session.execute(_INSERT, row)
    session.info[_STAGED] = True
    return cloud_event


def _with_outbox(*writes) -> Insert:
    """The outbox row's insert with `writes` as its data-modifying CTEs: one statement, every row or none."""
    statement = insert(outbox).values({c: bindparam(f"o_{c}", type_=outbox.c[c].type) for c in _OUTBOX_COLUMNS})
    for k, write in enumerate(writes):
        statement = statement.add_cte(write.cte(f"written_{k}"))
    return statement


async def _execute_with_event(session: AsyncSession, together: Callable[[], Insert], apart: list[tuple[Any, dict]],
                              params: dict, data: EventData, *, subject: str, source: str) -> CloudEvent:
    """On PostgreSQL the `together` statement with `params`, else each (statement, its params) of `apart` and the
    outbox row's own insert."""
    cloud_event, row = _outbox_row(data, subject=subject, source=source)
    # Core statements on the session's connection (its transaction): the ORM's execute path is not needed.
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        await conn.execute(together(), {**params, **{f"o_{c}": v for c, v in row.items()}})
    else:
        for statement, values in apart:
            await conn.execute(statement, values)
        await conn.execute(_INSERT, row)
    session.info[_STAGED] = True
    return cloud_event


class WriteWithEvent:
    """An INSERT into `table` together with its event's outbox row. On PostgreSQL one statement: the insert is a
    data-modifying CTE of the outbox's (both rows or neither, one round trip instead of two on a hot path);
    elsewhere two (SQLite has no data-modifying CTEs). Statements are built once per set of columns written."""

    def __init__(self, table: Table):
        self.table = table
        self._insert = insert(table)
        self._together: dict[tuple[str, ...], Insert] = {}

    def _statement(self, columns: tuple[str, ...]) -> Insert:
        statement = self._together.get(columns)
        if statement is None:
            written = insert(self.table).values({c: bindparam(f"w_{c}", type_=self.table.c[c].type) for c in columns})
            statement = self._together[columns] = _with_outbox(written)
        return statement

    async def execute(self, session: AsyncSession, values: dict, data: EventData, *, subject: str,
                      source: str) -> CloudEvent:
        return await _execute_with_event(
            session, lambda: self._statement(tuple(values)), [(self._insert, values)],
            {f"w_{c}": v for c, v in values.items()}, data, subject=subject, source=source)


class WritesWithEvent:
    """Fixed statements (INSERT or UPDATE, their bound parameters named apart) together with their event's outbox
    row: one statement on PostgreSQL, as WriteWithEvent; one each elsewhere. Each is given all the parameters."""

    def __init__(self, *writes):
        self.writes = writes
        self._together = _with_outbox(*writes)

    async def execute(self, session: AsyncSession, params: dict, data: EventData, *, subject: str,
                      source: str) -> CloudEvent:
        return await _execute_with_event(session, lambda: self._together, [(w, params) for w in self.writes],
                                         params, data, subject=subject, source=source)


async def stage_many(session: AsyncSession, events: Iterable[tuple[EventData, str]], *, source: str
                     ) -> list[CloudEvent]:
    """Stage (data, subject) pairs in order with one bulk insert: bulk writes (imports) without a round trip each.
    Each pair's outbox row (and so its trace) is made as the pair is taken from `events`: a generator may make each
    one's own trace current in turn (services.milestones.writes)."""
    built = [_outbox_row(data, subject=subject, source=source) for data, subject in events]
    if not built:
        return []
    await session.execute(insert(outbox), [row for _, row in built])
    session.info[_STAGED] = True
    return [cloud_event for cloud_event, _ in built]


class Relay:
    """Publishes committed outbox rows in id order (so per key), woken on commit, polling as a fallback."""

    def __init__(self, *, settings: ServiceSettings, sessionmaker: async_sessionmaker, topic: str):
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.topic = topic
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._check_log = True
        self._cluster_id: str | None = None  # the broker cluster's id at the last check
        self._watch = BrokerWatch(settings)
        self._end_offset: int | None = None  # the topic's high watermark at the last check
        self._before_confirming: int | None = None
        self._next_log_check = 0.0
        self._next_purge = 0.0
        event.listen(sessionmaker.kw["sync_session_class"], "after_commit", self._after_commit)

    def _after_commit(self, session) -> None:
        if session.info.pop(_STAGED, False):
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Publish forever; a standby instance waits for the leader lock, broker and database faults back off and
        retry."""
        backoff = 0.2
        busy_until = 0.0
        lock_conn = None
        try:
            while True:
                try:
                    # Every step bounded: a connection the database dropped mid-operation may never answer.
                    limit = self.settings.relay_pass_timeout_seconds
                    async with asyncio.timeout(limit) as bounded:
                        if lock_conn is None:
                            lock_conn = await self._acquire_leadership()
                            if lock_conn is None:
                                await asyncio.sleep(self.settings.relay_poll_seconds)
                                continue
                        if self._producer is None:
                            # Create the topic before the producer asks for it: a broker that creates topics on demand
                            # (tansu; Kafka by default) would give it its own default partition count.
                            await ensure_topics(self.settings, [self.topic])
                            self._producer = make_producer(self.settings)
                            await self._producer.start()
                            self._check_log = True
                        if self._check_log or time.monotonic() >= self._next_log_check:
                            # Also checked periodically: a producer rides out a short broker restart without an error,
                            # so an emptied broker is not always announced by a failure.
                            lost = await self._refeed_if_log_lost()
                            self._next_log_check = time.monotonic() + self.settings.relay_log_check_seconds
                            if lost and not self._check_log:
                                # This producer outlived the restart; its metadata may name partitions the new broker
                                # does not list. Re-feed through a fresh one, after the topic is re-created.
                                await self._close_producer()
                                continue
                            self._check_log = False
                        while (published := await self.publish_pending()) == self.settings.relay_batch_size:
                            bounded.reschedule(asyncio.get_running_loop().time() + limit)  # per batch: a long
                            # backlog is not a stuck pass
                        busy_until = time.monotonic() + _LINGER if published else 0.0
                        await self._purge_expired()
                        backoff = 0.2
                except Exception as exc:
                    broker_down = isinstance(exc, (KafkaError, OSError))  # TimeoutError is an OSError
                    # a stuck step may have been either's: the producer and the leader lock are both taken anew
                    database_down = isinstance(exc, TimeoutError) or database_unavailable(exc)
                    if not (broker_down or database_down):
                        raise
                    log.warning("relay: broker or database unavailable (%r); retrying in %.1fs", exc, backoff)
                    if broker_down:
                        await self._close_producer()
                        self._check_log = True
                    if not database_down:
                        with contextlib.suppress(Exception):  # the database may be away as well: counted next pass
                            await self._count_backlog()
                    elif lock_conn is not None:
                        # The leader lock may have gone with its session: take it again.
                        await _release(lock_conn)
                        lock_conn = None
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), self.settings.relay_poll_seconds)
                except asyncio.TimeoutError:
                    pass
                # Under a stream of commits, let a few more gather: one pass (two statements and a produce) for
                # several rows instead of one each. A lone commit after a quiet spell is published at once.
                await asyncio.sleep(max(0.0, busy_until - time.monotonic()))
                self._wake.clear()
        finally:
            await self._close_producer()
            await self._watch.close()
            if lock_conn is not None:
                await _release(lock_conn)

    async def publish_pending(self) -> int:
        """Publish one batch; rows are marked only after the broker acknowledged all of them."""
        async with self._statements() as execute:
            rows = await execute(
                select(outbox.c.id, outbox.c.key, outbox.c.body)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.settings.relay_batch_size)
            )
            if rows:
                producer = self._producer
                # rows name the topic canonically (contracts.topics); a service publishes on its one topic, under
                # its deployment's name
                futures = []
                for r in rows:
                    with tracing.sending(r.body):
                        futures.append(await producer.send(self.topic, value=r.body, key=r.key.encode(),
                                                           headers=list(KAFKA_HEADERS)))
                await asyncio.wait_for(asyncio.gather(*futures), 15)
                await execute(update(outbox).where(outbox.c.id.in_([r.id for r in rows])).values(published_at=utcnow()))
        if rows:
            metrics.EVENTS_PUBLISHED.labels(self.settings.service_name, self.topic).inc(len(rows))
        if len(rows) < self.settings.relay_batch_size:
            metrics.OUTBOX_BACKLOG.labels(self.settings.service_name).set(0)  # all there was is published
        return len(rows)

    @contextlib.asynccontextmanager
    async def _statements(self):
        """A pass's statements, each committed on its own. On PostgreSQL in autocommit on one connection: no BEGIN
        and COMMIT round trips around each of the relay's two statements a batch, which add up when every request's
        commit wakes it."""
        engine = self.sessionmaker.kw["bind"]
        if engine.dialect.name == "postgresql":
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                yield lambda statement: _rows(conn.execute(statement))
            return
        async with self.sessionmaker() as session:
            async def execute(statement) -> list:
                rows = await _rows(session.execute(statement))
                await session.commit()
                return rows

            yield execute

    async def _count_backlog(self) -> None:
        """Every unpublished row, not one batch: also counted while the broker is away, when nothing gets published."""
        async with self.sessionmaker() as session:
            backlog = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))
            await session.commit()
        metrics.OUTBOX_BACKLOG.labels(self.settings.service_name).set(backlog)

    async def _refeed_if_log_lost(self) -> bool:
        """A broker that is another cluster now, or whose log went backwards (or is empty although we published),
        does not hold what we published: publish everything again.

        The high watermark is compared with its last reading, not with our count: brokers differ in how they count
        batched messages (tansu 0.6 reports less than was appended), but none moves it backwards. The cluster id
        catches what the watermark cannot: a producer that rode out the restart may already have refilled the log."""
        cluster, previous_cluster = await self._watch.cluster_id(), self._cluster_id
        self._cluster_id = cluster
        async with self.sessionmaker() as session:  # whether anything was published: one row is enough to know
            published = await session.scalar(select(outbox.c.id).where(outbox.c.published_at.is_not(None)).limit(1))
            await session.commit()
        if published is None:
            return False
        lost = previous_cluster not in (None, cluster)
        if lost:
            self._end_offset = None  # a reading of the other cluster's log says nothing about this one
        elif await self._log_went_back():
            # Confirm before re-feeding everything: a broker's metadata can briefly list fewer partitions.
            await asyncio.sleep(1.0)
            lost = await self._log_went_back(confirming=True)
        if not lost:
            return False
        async with self.sessionmaker() as session:
            refed = (await session.execute(update(outbox).values(published_at=None))).rowcount
            await session.commit()
        log.warning("relay: the broker does not hold what was published (cluster %s, end offset %s); re-feeding %d events",
                    cluster, self._end_offset, refed)
        metrics.OUTBOX_REFEEDS.labels(self.settings.service_name).inc()
        return True

    async def _log_went_back(self, confirming: bool = False) -> bool:
        end_offset = await self._watch.total_end_offset(self.topic)
        previous = self._end_offset if not confirming else self._before_confirming
        if not confirming:
            self._before_confirming = previous
        self._end_offset = end_offset
        return end_offset == 0 or (previous is not None and end_offset < previous)

    async def _purge_expired(self) -> None:
        """Drop published events older than the retention, at most once an hour."""
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + 3600
        cutoff = utcnow() - timedelta(days=self.settings.outbox_retention_days)
        async with self.sessionmaker() as session:
            await session.execute(
                delete(outbox).where(outbox.c.published_at.is_not(None), outbox.c.published_at < cutoff)
            )
            await session.commit()

    async def _acquire_leadership(self):
        """On PostgreSQL hold a session advisory lock so scaled-out instances do not publish the same rows."""
        engine = self.sessionmaker.kw["bind"]
        if engine.dialect.name != "postgresql":
            return _NoLock()
        conn = await engine.connect()
        if await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LEADER_LOCK}):
            await conn.commit()
            return conn
        await conn.close()
        return None

    async def _close_producer(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                await asyncio.wait_for(producer.stop(), 5)
            except Exception:  # noqa: BLE001 - a dead broker may fail the close; the producer is dropped anyway
                log.debug("relay: producer close failed", exc_info=True)


async def _rows(executing: Awaitable) -> list:
    result = await executing
    return result.all() if result.returns_rows else []


async def _release(lock_conn) -> None:
    # Discarded, not returned to the pool: a pooled connection would keep holding the session's advisory lock.
    with contextlib.suppress(Exception):  # it may be dead already, which releases the lock too
        # Bounded: a connection the server terminated mid-operation may never answer the close.
        await asyncio.wait_for(_discard(lock_conn), 5)


async def _discard(lock_conn) -> None:
    await lock_conn.invalidate()
    await lock_conn.close()


class _NoLock:
    """SQLite deployments run one instance per database; nothing to lock."""

    async def invalidate(self) -> None:
        return None

    async def close(self) -> None:
        return None
