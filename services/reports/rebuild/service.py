"""Rebuilding the read models from the retained events.

The producers keep their events (outbox retention, and the broker's log), so reports can start over: clear every
read model, then re-read the topics from the beginning with a fresh consumer (no group, no committed offsets) up to
the end offsets seen when the rebuild began, applying each event with the live handlers.

Live consumption is kept off the tables meanwhile, and it all happens in ONE transaction:
- readers keep seeing the old figures until the rebuilt ones commit, never a half-built state;
- this instance's live consumer is paused (it finishes the batch in hand first);
- on PostgreSQL the transaction holds the rebuild advisory lock exclusively, and every live handler takes it shared
  first, so the consumers of other instances wait and then find the replayed events in the inbox (their own insert
  of the inbox row fails, which the consumer treats as a duplicate), or apply the newer events after the rebuild;
- on SQLite (one instance) the transaction holds the database's write lock: other writes wait (30 s at most).
Events published after the rebuild began are beyond its end offsets: the live consumer applies them afterwards.
Each read of up to a thousand events is applied as the live consumer applies a fetch, folded in memory: the rows and
aggregate cells it touches are written once, one statement a table (otherwise the same few hot cells would be updated
once per event).
Scoring weights, targets and snapshots are reports' own data and are kept.
"""
import asyncio
import contextlib
import logging
import uuid

from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from sqlalchemy import Column, MetaData, String, Table, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import CloudEvent, EventData, UndecodableEvent
from kit.app import Topics
from kit.bus import connection
from kit.clock import utcnow
from kit.consumer import Handler, Handlers, decode_record
from kit.errors import Conflict, NotFound
from kit.tables import inbox
from services.reports.handlers import HANDLERS, REBUILD_LOCK, batch_scope
from services.reports.models import READ_MODELS, RebuildRun
from services.reports.offsets import exact_ends, partitions_of
from services.reports.projection import insert_for
from services.reports.settings import ReportsSettings

log = logging.getLogger(__name__)


async def replay(session: AsyncSession, *, settings: ReportsSettings, topics: Topics, handlers: Handlers
                 ) -> tuple[int, int]:
    """Apply every event the consumed topics hold now, in order per partition, in the session's transaction;
    (applied, skipped: undecodable, not handled or repeated)."""
    by_type = {model.type: handler for model, handler in handlers.items()}
    consumer = AIOKafkaConsumer(**connection(settings), group_id=None, enable_auto_commit=False,
                                request_timeout_ms=10000, client_id=f"keyproject-{settings.service_name}-rebuild")
    await consumer.start()
    applied = skipped = 0
    try:
        await consumer._client.force_metadata_update()
        partitions = partitions_of(consumer, topics.consumes)
        if not partitions:
            return 0, 0
        consumer.assign(partitions)
        ends = await exact_ends(consumer, partitions)
        await consumer.seek_to_beginning(*partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=1000)
            decoded = []
            for partition, records in batch.items():
                for record in records:
                    if record.offset >= ends[partition]:
                        continue  # published after the rebuild began: the live consumer applies it
                    try:
                        event, data = decode_record(record, max_bytes=settings.max_event_bytes,
                                                    deployments=topics.remote)
                    except UndecodableEvent:
                        skipped += 1  # dead-lettered when it was first consumed
                        continue
                    if event.type in by_type:
                        decoded.append((event, data))
                    else:
                        skipped += 1
            read = await apply_read_batch(session, decoded, by_type)
            applied, skipped = applied + read, skipped + len(decoded) - read
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
        return applied, skipped
    finally:
        await consumer.stop()


# The events a replay applied, for its transaction only: an event the topics hold twice (published again by a relay,
# or replayed from the dead letters) is applied once, as the live consumer's inbox has it.
_REPLAYED = Table("replayed_events", MetaData(), Column("event_id", String(36), primary_key=True),
                  prefixes=["TEMPORARY"])


@contextlib.asynccontextmanager
async def replaying(session: AsyncSession):
    """The scope of a replay's reads (`apply_read_batch`) in the session's transaction."""
    connection = await session.connection()
    await connection.run_sync(_REPLAYED.create)
    yield
    await connection.run_sync(_REPLAYED.drop)


async def apply_read_batch(session: AsyncSession, decoded: list[tuple[CloudEvent, EventData]],
                           by_type: dict[str, Handler]) -> int:
    """One read of a replay (up to a thousand events; within `replaying`) applied as the live consumer applies a
    fetch, its events not applied before once each, folded in memory (projection.batch_writes with the rows its
    events set only when newer): each row and aggregate cell it touches written once, one statement a table; its
    inbox rows in one insert. The number of events applied."""
    ids = list(dict.fromkeys(event.id for event, _ in decoded))
    if not ids:
        return 0
    first = set(await session.scalars(insert_for(session)(_REPLAYED).on_conflict_do_nothing().returning(
        _REPLAYED.c.event_id), [{"event_id": event_id} for event_id in ids]))
    unique = list({event.id: (event, data) for event, data in decoded if event.id in first}.values())
    if not unique:
        return 0
    async with batch_scope(session, unique):
        for event, data in unique:
            await by_type[event.type](session, event, data)
    now = utcnow()
    await session.execute(insert_for(session)(inbox).on_conflict_do_nothing(index_elements=["event_id"]),
                          [{"event_id": event.id, "type": event.type, "processed_at": now} for event, _ in unique])
    return len(unique)


async def rebuild(*, sessionmaker, settings: ReportsSettings, topics: Topics) -> tuple[int, int]:
    """Clear the read models and replay every retained event, in one transaction."""
    async with sessionmaker() as session:
        async with session.begin():
            if session.bind.dialect.name == "postgresql":
                await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REBUILD_LOCK})
            for model in READ_MODELS:
                await session.execute(delete(model))
            async with replaying(session):
                return await replay(session, settings=settings, topics=topics, handlers=HANDLERS)


async def _record(sessionmaker, run_id: str, **values) -> None:
    async with sessionmaker() as session:
        async with session.begin():
            run = await session.get(RebuildRun, run_id)
            for name, value in values.items():
                setattr(run, name, value)


async def _run(app: FastAPI, run_id: str, topics: Topics) -> None:
    sessionmaker, settings = app.state.sessionmaker, app.state.settings
    consumer = getattr(app.state, "consumer", None)
    try:
        async with consumer.paused() if consumer is not None else contextlib.nullcontext():
            applied, skipped = await rebuild(sessionmaker=sessionmaker, settings=settings, topics=topics)
        await _record(sessionmaker, run_id, status="succeeded", finished_at=utcnow(), events_applied=applied,
                      events_skipped=skipped)
        log.info("rebuild %s: %d events applied, %d skipped", run_id, applied, skipped)
    except asyncio.CancelledError:
        await _record(sessionmaker, run_id, status="failed", finished_at=utcnow(), error="cancelled at shutdown")
        raise
    except Exception as exc:  # noqa: BLE001 - the rebuild rolled back; the old read models stand
        log.exception("rebuild %s failed", run_id)
        await _record(sessionmaker, run_id, status="failed", finished_at=utcnow(), error=repr(exc)[:2000])


async def start(*, app: FastAPI, session: AsyncSession, requested_by: str) -> RebuildRun:
    """Records a new rebuild run (one at a time in this instance); `launch` it once the run is committed."""
    task = getattr(app.state, "rebuild_task", None)
    if task is not None and not task.done():
        raise Conflict("a rebuild is already running in this instance")
    run = RebuildRun(id=str(uuid.uuid4()), status="running", requested_by=requested_by, started_at=utcnow(),
                     events_applied=0, events_skipped=0)
    session.add(run)
    await session.flush()
    app.state.rebuild_task = asyncio.get_running_loop().create_future()  # holds the place until launched
    return run


async def launch(app: FastAPI, run_id: str) -> None:
    """Runs the recorded rebuild in the background; its run row tells how it goes."""
    placeholder = app.state.rebuild_task
    app.state.rebuild_task = asyncio.create_task(_run(app, run_id, app.state.topics), name=f"rebuild-{run_id}")
    if isinstance(placeholder, asyncio.Future) and not placeholder.done():
        placeholder.cancel()


async def get(*, session: AsyncSession, run_id: str) -> RebuildRun:
    run = await session.get(RebuildRun, run_id)
    if run is None:
        raise NotFound(f"there is no rebuild {run_id}")
    return run


async def list_(*, session: AsyncSession) -> list[RebuildRun]:
    return list((await session.scalars(select(RebuildRun).order_by(RebuildRun.started_at.desc()).limit(20))).all())
