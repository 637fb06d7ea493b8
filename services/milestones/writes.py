"""Rows that are only created, written together: the facts of projects first heard of, new schedules, new nodes (with
their alert rows and history) and the events announcing them, one statement a table (the ORM's unit of work has
nothing to track in them); on PostgreSQL, the rows of one event (a schedule generated in a transaction of its own)
and that event are one statement. A use-case writes its own before it returns; a fetch applied in one transaction
keeps one for all its registrations (handlers.per_fetch)."""
import contextlib
import operator
from collections.abc import Callable, Iterator

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import EventData
from kit import tracing
from kit.outbox import WritesWithEvent, stage_many
from services.milestones.bulk import as_json, insert_json, insert_rows
from services.milestones.events import SOURCE
from services.milestones.models import ProjectFact, Schedule
from services.milestones.nodes.service import DraftNode, draft_rows


def _table(model) -> tuple[Table, list[str], Callable]:
    """The model's table, its columns, and what reads a row's values of them off an object."""
    columns = [c.key for c in model.__table__.columns]
    return model.__table__, columns, operator.attrgetter(*columns)


_FACTS, _SCHEDULES = _table(ProjectFact), _table(Schedule)


def _each_in_its_trace(events: list[tuple[Callable[[], EventData], str, str | None]]
                       ) -> Iterator[tuple[EventData, str]]:
    """(event, subject) pairs for stage_many, each built and handed over while the trace it was caused in is current
    again: stage_many makes each outbox row as its pair comes (its documented contract), so each event carries its
    own cause's trace."""
    for build, subject, traceparent in events:
        with tracing.within(traceparent) if traceparent else contextlib.nullcontext():
            yield build(), subject


class Writes:
    def __init__(self) -> None:
        self.facts: list[ProjectFact] = []
        self.schedules: list[Schedule] = []
        self.nodes: list[DraftNode] = []
        self.events: list[tuple[Callable[[], EventData], str, str | None]] = []

    def publish(self, build: Callable[[], EventData], *, subject: str) -> None:
        """An event staged with the rows, in the trace of what is being handled now. Built only then, from the rows
        as they are written (nothing changes them before: an event about their project writes them first), so that
        a fetch holds no event objects until its end (fewer objects kept: fewer full garbage collections)."""
        self.events.append((build, subject, tracing.current()))

    def _rows(self) -> list[tuple[Table, list[str], list[tuple]]]:
        return [(table, columns, list(map(values, rows)))
                for (table, columns, values), rows in ((_FACTS, self.facts), (_SCHEDULES, self.schedules))
                ] + draft_rows(self.nodes)

    async def write(self, session: AsyncSession) -> None:
        """Insert what was gathered (the events in the order they were published) and start again empty."""
        conn = await session.connection()
        tables = self._rows()
        if len(self.events) == 1 and conn.dialect.name == "postgresql":
            (build, subject, traceparent), = self.events
            rows = {table.name: as_json(columns, values) for table, columns, values in tables}
            with tracing.within(traceparent) if traceparent else contextlib.nullcontext():
                await _TOGETHER.execute(session, rows, build(), subject=subject, source=SOURCE)
        else:
            for table, columns, rows in tables:
                await insert_rows(conn, table, columns, rows)
            if self.events:
                await stage_many(session, _each_in_its_trace(self.events), source=SOURCE)
        self.facts, self.schedules, self.nodes, self.events = [], [], [], []


# Every table Writes fills, each an INSERT of its rows as JSON, with the outbox row of the one event: a statement
# built once.
_TOGETHER = WritesWithEvent(*(insert_json(table, columns) for table, columns, _ in Writes()._rows()))
