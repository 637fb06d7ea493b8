"""Rows that are only created, written together: the facts of projects first heard of, new schedules, new nodes (with
their alert rows and history) and the events announcing them, one multi-row Core INSERT a table (the ORM's unit of
work has nothing to track in them). A use-case writes its own before it returns; a fetch applied in one transaction
keeps one for all its registrations (handlers.per_fetch)."""
import contextlib
from collections.abc import Iterator

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import EventData
from kit import tracing
from kit.outbox import stage_many
from services.milestones.bulk import insert_rows
from services.milestones.events import SOURCE
from services.milestones.models import ProjectFact, Schedule
from services.milestones.nodes.service import DraftNode, insert_drafts

_FACT_COLUMNS = [c.key for c in ProjectFact.__table__.columns]
_SCHEDULE_COLUMNS = [c.key for c in Schedule.__table__.columns]


def _each_in_its_trace(events: list[tuple[EventData, str, str | None]]) -> Iterator[tuple[EventData, str]]:
    """(event, subject) pairs for stage_many, each handed over while the trace it was caused in is current again:
    stage_many builds each outbox row as its pair comes, so each event carries its own cause's trace."""
    for data, subject, traceparent in events:
        with tracing.within(traceparent) if traceparent else contextlib.nullcontext():
            yield data, subject


class Writes:
    def __init__(self) -> None:
        self.facts: list[ProjectFact] = []
        self.schedules: list[Schedule] = []
        self.nodes: list[DraftNode] = []
        self.events: list[tuple[EventData, str, str | None]] = []

    def publish(self, data: EventData, *, subject: str) -> None:
        """An event staged with the rows, in the trace of what is being handled now."""
        self.events.append((data, subject, tracing.current()))

    async def write(self, session: AsyncSession) -> None:
        """Insert what was gathered (the events in the order they were published) and start again empty."""
        conn = await session.connection()
        for model, columns, rows in ((ProjectFact, _FACT_COLUMNS, self.facts),
                                     (Schedule, _SCHEDULE_COLUMNS, self.schedules)):
            await insert_rows(conn, model.__table__, columns, [tuple(getattr(row, c) for c in columns) for row in rows])
        await insert_drafts(session, self.nodes)
        if self.events:
            await stage_many(session, _each_in_its_trace(self.events), source=SOURCE)
        self.facts, self.schedules, self.nodes, self.events = [], [], [], []
