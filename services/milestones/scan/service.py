"""The daily scan: announce nodes that became due soon or crossed an overdue threshold as of a date, once each.

It reads only the nodes whose next alert date has come (milestone_alerts, a narrow table with a partial index), in
batches of `scan_batch_size`, each batch in its own transaction with its events and its rows in the alert_crossings
log; a crossed node's next alert date moves past the scan date, so the loop ends, a second run for the same or an
earlier date finds nothing, and a run that stopped half-way is finished by the next one. Rows are locked while their
batch runs and scans of one database run one at a time, so a node is never announced twice for one level.
"""
import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker

from contracts.milestones import MilestoneDueSoon, MilestoneOverdue, MilestoneStatus
from kit.clock import utcnow
from kit.outbox import stage_many
from services.milestones.events import SOURCE
from services.milestones.models import AlertCrossing, Milestone, MilestoneAlert, ScanRun
from services.milestones.settings import MilestonesSettings
from services.milestones.status import alert_levels, crossing

log = logging.getLogger(__name__)

_SCAN_LOCK = 0x6B70_0002  # PostgreSQL advisory lock: scans of one database run one after the other
_local_locks: dict[int, asyncio.Lock] = {}
_BATCH_ATTEMPTS = 5

_COLUMNS = (Milestone.id, Milestone.project_id, Milestone.key, Milestone.name, Milestone.stage,
            Milestone.planned_date, Milestone.baseline_date, Milestone.critical, Milestone.responsible_unit_id,
            Milestone.responsible_person, Milestone.weight, Milestone.predecessors, MilestoneAlert.next_alert_date,
            MilestoneAlert.alert_round)


# A Core executemany: the ORM's bulk update by primary key costs several times the CPU per row.
_ALERTS = MilestoneAlert.__table__
_MOVE = (update(_ALERTS).where(_ALERTS.c.milestone_id == bindparam("node"))
         .values(next_alert_date=bindparam("next")))


@dataclass(frozen=True)
class ScanResult:
    as_of: date
    examined: int
    due_soon: int
    overdue: int
    batches: int
    seconds: float


@contextlib.asynccontextmanager
async def _exclusive(sessionmaker: async_sessionmaker):
    """One scan at a time per database: a process lock, and on PostgreSQL an advisory lock across instances."""
    engine = sessionmaker.kw["bind"]
    async with _local_locks.setdefault(id(engine), asyncio.Lock()):
        if engine.dialect.name != "postgresql":
            yield
            return
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _SCAN_LOCK})
            await conn.commit()
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _SCAN_LOCK})
                await conn.commit()


async def run(*, sessionmaker: async_sessionmaker, settings: MilestonesSettings, as_of: date,
              trigger: str) -> ScanResult:
    """Scan every open node as of `as_of`; returns what it found and announced."""
    levels = alert_levels(due_soon_days=settings.due_soon_days, overdue_thresholds=settings.overdue_thresholds)
    started, clock = utcnow(), time.perf_counter()
    totals = [0, 0, 0, 0]  # examined, due soon, overdue, batches

    async def drain(*, skip_locked: bool) -> None:
        while True:
            found = await _batch_with_retry(sessionmaker, as_of=as_of, levels=levels, limit=settings.scan_batch_size,
                                            skip_locked=skip_locked)
            if found is None:
                return
            for i, count in enumerate((*found, 1)):
                totals[i] += count

    async with _exclusive(sessionmaker):
        if sessionmaker.kw["bind"].dialect.name == "postgresql" and settings.scan_workers > 1:
            # Workers take disjoint batches (locked rows are skipped), so the database writes one batch while
            # Python prepares the next; the closing pass below waits for rows a request held meanwhile.
            await asyncio.gather(*(drain(skip_locked=True) for _ in range(settings.scan_workers)))
        await drain(skip_locked=False)
        examined, due_soon, overdue, batches = totals
        async with sessionmaker() as session:
            session.add(ScanRun(as_of=as_of, trigger=trigger, started_at=started, finished_at=utcnow(),
                                examined=examined, due_soon=due_soon, overdue=overdue))
            await session.commit()
    result = ScanResult(as_of=as_of, examined=examined, due_soon=due_soon, overdue=overdue, batches=batches,
                        seconds=round(time.perf_counter() - clock, 3))
    log.info("scan as of %s (%s): %s", as_of, trigger, result)
    return result


async def _batch_with_retry(sessionmaker, **kwargs) -> tuple[int, int, int] | None:
    for attempt in range(1, _BATCH_ATTEMPTS + 1):
        try:
            return await _batch(sessionmaker, **kwargs)
        except DBAPIError as exc:
            # A deadlock or serialization failure with a concurrent write: the batch rolled back whole; retry it.
            if attempt == _BATCH_ATTEMPTS:
                raise
            log.warning("scan batch failed (%s); retrying", exc.orig)
            await asyncio.sleep(0.05 * 2**attempt)
    return None


async def _batch(sessionmaker: async_sessionmaker, *, as_of: date, levels: list[int], limit: int,
                 skip_locked: bool) -> tuple[int, int, int] | None:
    """Handle up to `limit` nodes whose next alert date has come; None when there are none left."""
    async with sessionmaker() as session:
        # In alert-date order off the partial index: each batch stops after `limit` rows, whatever the backlog.
        query = (select(*_COLUMNS).select_from(MilestoneAlert)
                 .join(Milestone, Milestone.id == MilestoneAlert.milestone_id)
                 .where(MilestoneAlert.next_alert_date <= as_of).order_by(MilestoneAlert.next_alert_date).limit(limit))
        if session.bind.dialect.name == "postgresql":
            # Rows stay locked until the batch commits: a concurrent completion waits, then clears the alert date.
            query = query.with_for_update(of=MilestoneAlert, skip_locked=skip_locked)
        rows = (await session.execute(query)).all()
        if not rows:
            return None
        now = utcnow()
        moves, crossings, events = [], [], []
        due_soon = overdue = 0
        for row in rows:
            crossed = crossing(planned=row.planned_date, next_alert_date=row.next_alert_date, as_of=as_of,
                               levels=levels)
            moves.append({"node": row.id, "next": crossed.next_alert_date})
            if crossed.level is None:
                continue
            days_late = (as_of - row.planned_date).days
            state = dict(id=row.id, project_id=row.project_id, key=row.key, name=row.name, stage=row.stage,
                         planned_date=row.planned_date, baseline_date=row.baseline_date, actual_date=None,
                         critical=row.critical, responsible_unit_id=row.responsible_unit_id,
                         responsible_person=row.responsible_person, weight=row.weight,
                         predecessors=row.predecessors or [], as_of=as_of)
            if crossed.level <= 0:
                due_soon += 1
                kind = "due_soon"
                data = MilestoneDueSoon(**state, status=MilestoneStatus.due_soon, days_late=0,
                                        days_until_due=-days_late)
            else:
                overdue += 1
                kind = "overdue"
                data = MilestoneOverdue(**state, status=MilestoneStatus.overdue, days_late=days_late,
                                        threshold_days=crossed.level)
            events.append((data, row.project_id))
            crossings.append({"milestone_id": row.id, "alert_round": row.alert_round, "level": crossed.level,
                              "kind": kind, "planned_date": row.planned_date, "as_of": as_of,
                              "days_late": days_late, "recorded_at": now})
        if crossings:
            await session.execute(insert(AlertCrossing), crossings)
        await session.execute(_MOVE, moves)
        await stage_many(session, events, source=SOURCE)
        await session.commit()
        return len(rows), due_soon, overdue
