"""The write side of the read models: change a project's row and add the difference it makes to the aggregates,
all in the caller's transaction (the consumer's, together with its inbox row)."""
import contextlib
import functools
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, case, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import CloudEvent, EventData
from contracts.milestones import MilestoneStatus
from kit.clock import utcnow
from services.reports.cells import METRICS, CellKey, Metrics, add, difference, facts_of
from services.reports.models import InvestmentMonth, MilestoneView, ProjectView, TaskView, UnitYearCell

DONE = (MilestoneStatus.done_on_time.value, MilestoneStatus.done_late.value)
_ROWS = "reports.pending_rows"
_AHEAD = "reports.rows_to_read_ahead"
_ABSENT = "reports.absent_rows"
_DERIVED = "reports.derived_later"
_APPENDED = "reports.appended_rows"
_KEPT = "reports.kept_rows"
_TIMED = "reports.timed_rows"  # the rows a fetch's events set only when newer, until when they were last set is read
_TIMES = "reports.held_times"


def insert_for(session: AsyncSession):
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL spell it the same)."""
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


def _or_overwrite(stmt, columns, *, keys: tuple[str, ...], newer: str | None):
    """The INSERT `stmt` overwriting the row with the same keys in `columns`; with `newer` (a version column), only
    when the new version is not below the row's (either unknown: overwritten)."""
    updates = {c: stmt.excluded[c] for c in columns if c not in keys}
    if not updates:
        return stmt.on_conflict_do_nothing(index_elements=list(keys))
    held = stmt.table.c[newer] if newer else None
    where = None if held is None else or_(held.is_(None), stmt.excluded[newer].is_(None), held <= stmt.excluded[newer])
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=updates, where=where)


async def upsert(session: AsyncSession, model, values: dict, *, keys: tuple[str, ...], newer: str | None = None
                 ) -> None:
    """Insert a row or overwrite the existing one with the same key (see `_or_overwrite`); within a fetch, written
    with the fetch's others of its table at its end (`_keep_later`)."""
    if _keep_later(session, model, values, keys=keys, newer=newer):
        return
    await session.execute(_or_overwrite(insert_for(session)(model).values(**values), values, keys=keys, newer=newer))


@functools.cache
def _add_to_cell(dialect: str):
    """INSERT a cell or, when it exists, add to it: x = x + excluded.x (built once per dialect)."""
    table = UnitYearCell.__table__
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return stmt.on_conflict_do_update(index_elements=["year", "unit_id", "dimension", "value"],
                                      set_={m: table.c[m] + stmt.excluded[m] for m in METRICS})


async def add_to_cells(session: AsyncSession, deltas: list[tuple[CellKey, Metrics]]) -> None:
    """Add each delta to its cell atomically (x = x + d), creating missing cells; cells are locked in the deltas'
    order (key order: see `difference`)."""
    rows = [{"year": year, "unit_id": unit, "dimension": dimension, "value": value, **metrics}
            for (year, unit, dimension, value), metrics in deltas]
    statement = _add_to_cell(session.bind.dialect.name)
    for start in range(0, len(rows), 2000):
        await session.execute(statement, rows[start:start + 2000])


class ProjectRow(dict):
    """A project_view row the handler changes by attribute (row.colour = ...); only what changed is written."""

    __getattr__ = dict.__getitem__

    def __setattr__(self, name, value):
        if name not in self:
            raise AttributeError(name)
        self[name] = value


_PROJECTS = ProjectView.__table__
_SELECT_LOCKED = select(*_PROJECTS.columns).where(_PROJECTS.c.id == bindparam("project_id")).with_for_update()
# Built once: values go as parameters, so each statement shape is compiled once, not once an event.
_INSERT = insert(_PROJECTS)
_UPDATE = update(_PROJECTS).where(_PROJECTS.c.id == bindparam("project_id"))
# A project that starts or stops counting, or moves to another year, takes its tasks' counted year along.
_TASKS = TaskView.__table__
_RECOUNT_TASKS = update(_TASKS).where(_TASKS.c.project_id == bindparam("of_project")).values(
    counted_year=bindparam("year"))
# A project's row before any event: the columns' defaults.
_NEW_ROW = {c.name: c.default.arg if c.default is not None else None for c in _PROJECTS.columns}


async def _locked(session: AsyncSession, project_id: str) -> ProjectRow | None:
    found = (await session.execute(_SELECT_LOCKED, {"project_id": project_id})).mappings().one_or_none()
    return None if found is None else ProjectRow(found)


@dataclass
class _Held:
    """A project row in the caller's transaction: whether it is still to be inserted, and what was read."""

    row: ProjectRow
    new: bool
    original: dict
    used: bool = False  # taken by a handler (a row read ahead for a fetch may be left alone)


async def _read_ahead(session: AsyncSession, pending: dict[str, _Held]) -> None:
    """On a fetch's first change: the rows of every project its events are about, read and locked at once in key
    order (after whatever the handler locked first, e.g. the rebuild fence); the ones not there are new."""
    subjects = session.info.pop(_AHEAD)
    found = (await session.execute(select(*_PROJECTS.columns).where(_PROJECTS.c.id.in_(subjects))
                                   .order_by(_PROJECTS.c.id).with_for_update())).mappings().all()
    pending.update((r["id"], _Held(ProjectRow(r), False, dict(r))) for r in found)
    session.info[_ABSENT] = set(subjects) - pending.keys()


async def _held(session: AsyncSession, project_id: str) -> _Held:
    """The project's row in this transaction, read (and locked) once within a fetch; a new one when there is none."""
    pending = session.info.get(_ROWS)
    if pending is not None and _AHEAD in session.info:
        await _read_ahead(session, pending)
    held = pending.get(project_id) if pending is not None else None
    if held is None:
        row = None if project_id in session.info.get(_ABSENT, ()) else await _locked(session, project_id)
        # A new row is inserted once changed: one statement instead of a stub and its update. Another instance
        # inserting the same project meanwhile makes the insert fail, and the consumer retries the event.
        held = _Held(row, False, dict(row)) if row is not None else _Held(ProjectRow(_NEW_ROW, id=project_id), True,
                                                                           {})
        if pending is not None:
            pending[project_id] = held
    return held


@contextlib.asynccontextmanager
async def changing(session: AsyncSession, project_id: str) -> AsyncIterator[ProjectRow]:
    """The project's row, locked for this transaction (an unregistered stub when the project is not known yet);
    once the caller has changed it, the row is written and the difference in what it contributes goes to the
    aggregates. Within `batch_writes` the row is written with the batch's others at its end, and its difference
    taken once, there."""
    held = await _held(session, project_id)
    held.used = True
    if _ROWS in session.info:
        yield held.row
        return
    before = facts_of(held.row)
    yield held.row
    await add_to_cells(session, difference(before, facts_of(held.row)))
    await _write_rows(session, [held])


async def _write_rows(session: AsyncSession, held: Iterable[_Held]) -> None:
    """New rows in one INSERT, changed ones in one UPDATE per set of changed columns (an UPDATE's SET lists its
    parameters' columns)."""
    now = utcnow()
    inserts, updates = [], defaultdict(list)
    for h in held:
        h.row["applied_at"] = now
        if h.new:
            inserts.append(dict(h.row))
        else:
            changes = {name: value for name, value in h.row.items() if h.original[name] != value}
            updates[tuple(changes)].append({**changes, "project_id": h.row.id})
    if inserts:
        await session.execute(_INSERT, inserts)
    for rows in updates.values():
        await session.execute(_UPDATE, rows)
    recounted = [{"of_project": h.row.id, "year": year} for h in held
                 if (year := _counted_year(h.row)) != (None if h.new else _counted_year(h.original))]
    if recounted:
        await session.execute(_RECOUNT_TASKS, recounted)


def _counted_year(row: dict) -> int | None:
    """The year under which the project counts (registered and not archived), else None."""
    return row["year"] if row["registered"] and not row["archived"] else None


async def counted_year(session: AsyncSession, project_id: str | None):
    """The counted year of a project as its row holds it now, for a task's row (None for no project): SQL, or within
    a fetch the year of the row the fetch found (it writes the rows it changes at its end, and recounts their tasks
    then)."""
    if _ROWS in session.info:
        held = None if project_id is None else await _held(session, project_id)
        return None if held is None or held.new else _counted_year(held.original)
    p = _PROJECTS.c
    return select(p.year).where(p.id == project_id, p.registered.is_(True), p.archived.is_(False)).scalar_subquery()


@dataclass
class _Derived:
    """Projects whose figures summed from other rows (their nodes, their months) a fetch changed: summed once, at
    its end, for all of them."""

    nodes: set[str]
    months: set[str]


def derive_later(session: AsyncSession, *, nodes: str | None = None, months: str | None = None) -> bool:
    """Within a fetch, put off recounting a project's nodes or resumming its months to the fetch's end (True); else
    False, and the caller does it now."""
    derived: _Derived | None = session.info.get(_DERIVED)
    if derived is None:
        return False
    if nodes is not None:
        derived.nodes.add(nodes)
    if months is not None:
        derived.months.add(months)
    return True


async def _derive(session: AsyncSession, derived: _Derived) -> None:
    counts = await node_counts_of(session, sorted(derived.nodes)) if derived.nodes else {}
    sums = await _year_sums(session, sorted(derived.months)) if derived.months else {}
    for project_id in sorted(derived.nodes | derived.months):
        async with changing(session, project_id) as row:
            if project_id in derived.nodes:
                for column, count in counts.get(project_id, _NO_NODES).items():
                    setattr(row, column, count)
            if project_id in derived.months:
                row.ytd_investment = sums.get((project_id, row.year), Decimal(0))


def _keep_later(session: AsyncSession, model, values: dict, *, keys: tuple[str, ...], newer: str | None) -> bool:
    """Within a fetch, put off an `upsert` (see `_or_overwrite`): written with the fetch's others of its table by
    `write_kept` (True); else False, and the caller writes it now. One row a key, as applying them one by one in
    order would leave: the newest version in `newer` (the later of equal ones, or when either is unknown), else the
    later."""
    kept: dict | None = session.info.get(_KEPT)
    if kept is None:
        return False
    rows = kept.setdefault((model, keys, newer), {})
    key = tuple(values[k] for k in keys)
    held = rows.get(key)
    if held is None or newer is None or held[newer] is None or values[newer] is None or held[newer] <= values[newer]:
        rows[key] = values
    return True


async def write_kept(session: AsyncSession, model=None) -> None:
    """Write the rows put off by `_keep_later` (of `model`, or all): before a statement that reads or deletes them,
    and at the fetch's end; one statement a table."""
    kept: dict | None = session.info.get(_KEPT)
    for (kept_model, keys, newer) in [k for k in (kept or {}) if model is None or k[0] is model]:
        rows = list(kept.pop((kept_model, keys, newer)).values())
        await session.execute(_or_overwrite(insert_for(session)(kept_model.__table__), rows[0], keys=keys,
                                            newer=newer), rows)


async def held_time(session: AsyncSession, model, key: dict) -> datetime | None:
    """When the event that last set `model`'s row with `key` was staged (None: no row): within a fetch, as the fetch
    keeps it, or as the fetch found it."""
    kept: dict | None = session.info.get(_KEPT)
    if kept is None:
        return await session.scalar(select(model.event_time).where(*(model.__table__.c[k] == v
                                                                     for k, v in key.items())))
    if _TIMED in session.info:  # read at the fetch's first, after what its handler locks first (the rebuild fence)
        session.info[_TIMES] = await _held_times(session, session.info.pop(_TIMED))
    row = kept.get((model, tuple(key), None), {}).get(tuple(key.values()))
    return row["event_time"] if row is not None else session.info[_TIMES].get((model, tuple(key.values())))


async def _held_times(session: AsyncSession, timed: list[tuple[type, dict]]) -> dict:
    """When each of these rows (model, key) was last set, read at once per table."""
    times, wanted = {}, defaultdict(set)
    for model, key in timed:
        wanted[model, tuple(key)].add(tuple(key.values()))
    for (model, names), keys in wanted.items():
        columns = [model.__table__.c[name] for name in names]
        found = await session.execute(select(*columns, model.event_time).where(
            *(column.in_({key[i] for key in keys}) for i, column in enumerate(columns))))
        times.update(((model, tuple(key)), time) for *key, time in found if tuple(key) in keys)
    return times


async def append(session: AsyncSession, model, values: dict) -> None:
    """A row of a history only readers read (no handler): inserted now, or within a fetch with the fetch's others
    of its table, in their order, at its end."""
    appended: dict | None = session.info.get(_APPENDED)
    if appended is None:
        await session.execute(insert(model), [values])
    else:
        appended.setdefault(model, []).append(values)


@contextlib.asynccontextmanager
async def batch_writes(session: AsyncSession, events: list[tuple[CloudEvent, EventData]], *,
                       timed: list[tuple[type, dict]]):
    """A live fetch (or a rebuild's read) applied in one transaction, folded in memory: the rows of the projects its
    events are about are read at once, as is when the rows its events set only when newer (`timed`: model and key)
    were last set; every upsert is kept until its end, one row a key (one statement a table); node counts and
    year-to-date sums are recounted once; each project row it touches is written once, and its cells get its whole
    change once (a cell it only passed through is not written, which no figure sees); the history rows it appends
    are inserted together."""
    if session.bind.dialect.name == "postgresql":
        # Each statement planned for the tables as they are now: a plan a connection kept from when they were small
        # (a new deployment, a rebuild's replay: both write far more than autovacuum has analyzed) scans them whole,
        # and every fetch is slower than the last (a million events replayed at 3,000 a second, not 10,000).
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    session.info[_ROWS] = rows = {}
    session.info[_AHEAD] = sorted({event.subject for event, _ in events})
    session.info[_DERIVED] = derived = _Derived(set(), set())
    session.info[_APPENDED] = appended = {}
    session.info[_KEPT] = {}
    session.info[_TIMED] = timed
    try:
        yield
        await write_kept(session)  # the node counts below read them
        session.info.pop(_DERIVED)
        await _derive(session, derived)
    finally:
        for key in (_ROWS, _AHEAD, _ABSENT, _DERIVED, _APPENDED, _KEPT, _TIMED, _TIMES):
            session.info.pop(key, None)
    used = [held for held in rows.values() if held.used]
    cells: dict[CellKey, Metrics] = {}
    for held in used:
        before = None if held.new else facts_of(ProjectRow(held.original))
        for key, metrics in difference(before, facts_of(held.row)):
            if key in cells:
                add(cells[key], metrics)
            else:
                cells[key] = metrics
    await add_to_cells(session, sorted(cells.items()))
    await _write_rows(session, used)
    for model, values in appended.items():
        await session.execute(insert(model), values)


async def ytd_of(session: AsyncSession, *, project_id: str, year: int | None) -> Decimal:
    """The project's investment in `year`, summed from its months."""
    if year is None:
        return Decimal(0)
    return (await _year_sums(session, [project_id])).get((project_id, year), Decimal(0))


async def _year_sums(session: AsyncSession, project_ids: list[str]) -> dict[tuple[str, int], Decimal]:
    """Each project's investment per year, summed from its months."""
    rows = await session.execute(select(InvestmentMonth.project_id, InvestmentMonth.year,
                                        func.sum(InvestmentMonth.amount))
                                 .where(InvestmentMonth.project_id.in_(project_ids))
                                 .group_by(InvestmentMonth.project_id, InvestmentMonth.year))
    return {(project_id, year): Decimal(total or 0) for project_id, year, total in rows}


_NO_NODES = {"nodes_total": 0, "nodes_done": 0, "nodes_done_on_time": 0, "nodes_late": 0}


async def node_counts(session: AsyncSession, *, project_id: str) -> dict[str, int]:
    """The project's nodes: total, done, done on time, and late (overdue and not done)."""
    return (await node_counts_of(session, [project_id])).get(project_id, _NO_NODES)


async def node_counts_of(session: AsyncSession, project_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per project with nodes: total, done, done on time, and late (overdue and not done)."""
    status = MilestoneView.status
    rows = await session.execute(select(
        MilestoneView.project_id,
        func.count(),
        func.coalesce(func.sum(case((status.in_(DONE), 1), else_=0)), 0),
        func.coalesce(func.sum(case((status == MilestoneStatus.done_on_time.value, 1), else_=0)), 0),
        func.coalesce(func.sum(case((status == MilestoneStatus.overdue.value, 1), else_=0)), 0),
    ).where(MilestoneView.project_id.in_(project_ids)).group_by(MilestoneView.project_id))
    return {project_id: {"nodes_total": int(total), "nodes_done": int(done), "nodes_done_on_time": int(on_time),
                         "nodes_late": int(late)} for project_id, total, done, on_time, late in rows}
