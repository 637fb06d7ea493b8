"""The automatic monthly snapshot: once a month has ended (and the configured days passed), freeze it as soon as
the consumer has applied every event published until then."""
import asyncio
import logging
from datetime import timedelta

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from kit.clock import today as clock_today
from kit.errors import Conflict
from services.reports.dependencies import reading_sessionmaker
from services.reports.models import Snapshot
from services.reports.offsets import exact_ends, partitions_of
from services.reports.periods import first_day, month_of, previous_month
from services.reports.settings import ReportsSettings
from services.reports.snapshots import service

log = logging.getLogger(__name__)


async def caught_up(settings: ReportsSettings, topics: list[str]) -> bool:
    """Whether this service's consumer group has committed every event the topics hold now.

    The group's offsets are read with the admin client: a consumer in the group's name, even manually assigned,
    would be seen by the broker and could disturb the live members."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                                request_timeout_ms=5000)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=5000)
    try:
        await consumer.start()
        await admin.start()
        await consumer._client.force_metadata_update()
        partitions = partitions_of(consumer, topics)
        if not partitions:
            return True
        consumer.assign(partitions)
        ends = await exact_ends(consumer, partitions)
        committed = await admin.list_consumer_group_offsets(settings.group_id, partitions=partitions)
        return all(not end or partition in committed and committed[partition].offset >= end
                   for partition, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


async def take_if_due(app: FastAPI, topics: list[str]) -> str | None:
    """Freeze last month if it is due and not frozen yet; the period taken, or None."""
    settings: ReportsSettings = app.state.settings
    today = clock_today(settings)
    period = previous_month(month_of(today))
    if today < first_day(month_of(today)) + timedelta(days=settings.snapshot_delay_days):
        return None
    async with reading_sessionmaker(app)() as session:
        if await session.get(Snapshot, period) is not None:
            return None
    if not await caught_up(settings, topics):
        log.info("snapshot of %s waits for the consumer to catch up", period)
        return None
    async with app.state.sessionmaker() as session:
        try:
            async with session.begin():
                await service.take(session=session, period=period, kind="auto", taken_by="scheduler",
                                   target_rate=settings.target_rate, today=today)
        except (Conflict, IntegrityError):
            return None  # another instance (or an admin) froze it first
    log.info("snapshot of %s taken", period)
    return period


def scheduler(topics: list[str]):
    """The background job: look every KP_SNAPSHOT_CHECK_SECONDS whether last month is due."""

    async def snapshot_scheduler(app: FastAPI) -> None:
        settings: ReportsSettings = app.state.settings
        if not settings.auto_snapshots:
            return
        while True:
            # first look one interval after start-up: the consumer has not even joined its group before
            await asyncio.sleep(settings.snapshot_check_seconds)
            try:
                await take_if_due(app, topics)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the broker or database may be away; the next look retries
                log.warning("automatic snapshot failed; retrying later", exc_info=True)

    return snapshot_scheduler
