"""Overview and breakdowns: turn a set of cells into the office's figures, exactly."""
from collections.abc import Collection
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache

from sqlalchemy import Date, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import Stage
from services.reports import sources
from services.reports.cells import ALL_UNITS, SUSPENDED, CellSet, Metrics, zero
from services.reports.figures import (TargetRounding, decimal_of, needed_to_reach, percent, ratio, target_count,
                                      yi)
from services.reports.labels import TARGET_ROUNDING_NOTES, VALUE_LABELS, label
from services.reports.models import ParcelView
from services.reports.overview.schemas import (Breakdown, BreakdownBy, BreakdownRow, Group, NodeFigures, Overview,
                                               ParcelFigures, StatisticsFigures, ThreeClasses)
from services.reports.sources import Figures
from services.reports.unit_tree import scope_of, summed, total_of, unit_tree

UNIT_GROUPS = {"town": frozenset({"town", "street"}), "department": frozenset({"department"}),
               "district": frozenset({"district"}), "park": frozenset({"park"})}


def in_group(kind: str, group: str) -> bool:
    """Whether a unit of this kind is in the group: towns (and streets), departments, districts, parks, the others
    (neither towns nor departments: districts, parks, units not known yet), or all."""
    if group == "all":
        return True
    if group == "other":
        return kind not in UNIT_GROUPS["town"] | UNIT_GROUPS["department"]
    return kind in UNIT_GROUPS[group]


def rate_fields(name: str, numerator, denominator) -> dict:
    """`name` as an exact decimal and `name_percent` for display."""
    value = ratio(numerator, denominator)
    return {name: decimal_of(value), f"{name}_percent": percent(value)}


def node_on_time(metrics: Metrics):
    """Nodes done on time among the nodes that are due: done, or late and not done."""
    return metrics["nodes_done_on_time"], metrics["nodes_done"] + metrics["nodes_late"]


def _group(dimension: str, value: str, metrics: Metrics, total: Metrics) -> Group:
    return Group(label=label(dimension, value), count=metrics["project_count"],
                 **rate_fields("share", metrics["project_count"], total["project_count"]),
                 total_investment=metrics["total_investment"],
                 **rate_fields("investment_share", metrics["total_investment"], total["total_investment"]))


def _groups(cells: CellSet, dimension: str, unit_id: str, total: Metrics) -> dict[str, Group]:
    """Every known value of the dimension (zero when no project has it), then any other value found."""
    found = cells.by(dimension, unit_id)
    values = list(VALUE_LABELS[dimension]) + sorted(v for v in found if v not in VALUE_LABELS[dimension])
    return {value: _group(dimension, value, found.get(value, zero()), total) for value in values}


def overview_of(figures: Figures, *, unit_id: str | None, target_rate: Decimal, target_rounding: TargetRounding,
                parcels: ParcelFigures | None, with_suspended: bool = True) -> Overview:
    """The overview of one unit (None: every unit) from a set of cells; the target count rounded by the rule, and
    the start-or-completion rate over the list with or without its suspended projects."""
    cells, scope = figures.cells, unit_id or ALL_UNITS
    total = cells.total(scope)
    count, started = total["project_count"], total["started_or_completed_count"]
    rated_started, rated_count = cells.start_counts((scope,), with_suspended=with_suspended)
    stages = {value: group.count for value, group in _groups(cells, "stage", scope, total).items()}
    statistics = cells.by("statistics", scope)
    on_time, due = node_on_time(total)
    node_rate = ratio(on_time, due)
    open_tasks, late_tasks = cells.task_counts(scope)
    return Overview(
        year=figures.year, unit_id=unit_id, as_of=figures.as_of, source=figures.source, period=figures.period,
        snapshot_version=figures.version, project_count=count,
        total_investment=total["total_investment"], total_investment_yi=yi(total["total_investment"]),
        annual_plan_investment=total["annual_plan_investment"],
        annual_plan_investment_yi=yi(total["annual_plan_investment"]),
        ytd_investment=total["ytd_investment"], ytd_investment_yi=yi(total["ytd_investment"]),
        **rate_fields("investment_completion_rate", total["ytd_investment"], total["annual_plan_investment"]),
        started_count=started - total["completed_count"], completed_count=total["completed_count"],
        started_or_completed_count=started,
        **rate_fields("start_or_completion_rate", rated_started, rated_count),
        start_rate_project_count=rated_count, start_rate_counts_suspended=with_suspended,
        **rate_fields("completion_rate", total["completed_count"], count),
        target_rate=target_rate, target_rate_percent=percent(Fraction(target_rate)),
        target_count=target_count(target_rate, rated_count, target_rounding),
        target_rounding=target_rounding, target_rounding_note=TARGET_ROUNDING_NOTES[target_rounding],
        needed_to_reach_target=needed_to_reach(target_rate, rated_count, rated_started, target_rounding),
        real_start_count=total["real_start_count"], paper_start_count=started - total["real_start_count"],
        **{f"by_{d}": _groups(cells, d, scope, total)
           for d in ("colour", "grade", "stage", "sector", "category", "level", "bracket")},
        three_classes=ThreeClasses(signed_without_land=stages[Stage.signed],
                                   land_without_start=stages[Stage.land_supplied],
                                   started_not_completed=stages[Stage.started]),
        statistics=StatisticsFigures(**{f"{status}_count": statistics.get(status, zero())["project_count"]
                                        for status in ("not_submitted", "submitted", "rejected")},
                                     included_count=statistics.get("accepted", zero())["project_count"]),
        nodes=NodeFigures(total=total["nodes_total"], done=total["nodes_done"],
                          done_on_time=total["nodes_done_on_time"], late=total["nodes_late"],
                          on_time_rate=decimal_of(node_rate), on_time_rate_percent=percent(node_rate)),
        late_nodes=total["nodes_late"], open_tasks=open_tasks, late_tasks=late_tasks, land_parcels=parcels)


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@cache
def _parcels_query(of_units: bool) -> Select:
    """Built once (its CASEs cost more to build than the query takes): the day, the day a year before and the units
    bound when run."""
    p, as_of = ParcelView, bindparam("as_of", type_=Date)
    sold = or_(p.sale_date.is_(None), p.sale_date <= as_of)
    started = and_(p.started_date.is_not(None), p.started_date <= as_of)
    past = p.start_deadline < as_of
    query = select(p.unit_id, _count_if(sold), _count_if(and_(sold, past)), _count_if(and_(sold, started)),
                   _count_if(and_(sold, past, ~started)),
                   _count_if(and_(sold, p.start_deadline < bindparam("year_before", type_=Date), ~started)))
    if of_units:
        query = query.where(p.unit_id.in_(bindparam("unit_ids", expanding=True)))
    return query.group_by(p.unit_id)


async def parcel_figures(session: AsyncSession, *, as_of: date, unit_ids: Collection[str] | None = None
                         ) -> dict[str, ParcelFigures]:
    """Land parcels by unit and for all of them ('*': every unit, or those of `unit_ids`), as of a date: sold by
    then, past their start deadline, started, idle (past the deadline, not started) and idle for over a year."""
    params = {"as_of": as_of, "year_before": as_of - timedelta(days=365)}
    if unit_ids is not None:
        params["unit_ids"] = sorted(unit_ids)
    rows = (await session.execute(_parcels_query(unit_ids is not None), params)).all()
    by_unit = {row[0]: [int(v) for v in row[1:]] for row in rows}
    everyone = [sum(values[i] for values in by_unit.values()) for i in range(5)]
    fields = ("sold_count", "past_deadline_count", "started_count", "idle_count", "idle_over_one_year_count")
    result = {unit: ParcelFigures(**dict(zip(fields, values))) for unit, values in by_unit.items()}
    result[ALL_UNITS] = ParcelFigures(**dict(zip(fields, everyone)))
    return result


def _frozen_parcels(frozen: dict[str, dict], units: frozenset[str] | None) -> ParcelFigures | None:
    """The parcels a snapshot froze for every unit, or summed over some units (None when none had any)."""
    if units is None:
        return ParcelFigures(**frozen[ALL_UNITS]) if ALL_UNITS in frozen else None
    found = [frozen[unit] for unit in sorted(units) if unit in frozen]
    return ParcelFigures(**{k: sum(f[k] for f in found) for k in ParcelFigures.model_fields}) if found else None


async def scoped_figures(session: AsyncSession, *, units: frozenset[str] | None, unit_id: str | None,
                         **resolve) -> Figures:
    """The figures of every unit, of one, or of a unit and those below it summed as that unit's."""
    if units is None or len(units) == 1:
        return await sources.resolve(session, unit_id=unit_id, **resolve)
    figures = await sources.resolve(session, per_unit=True, **resolve)
    return replace(figures, cells=summed(figures.cells, units, into=unit_id))


async def overview(*, session: AsyncSession, year: int | None, as_of: date | None, period: str | None,
                   unit_id: str | None, target_rate: Decimal, target_rounding: TargetRounding, today: date,
                   include_descendants: bool = True, with_suspended: bool = True) -> Overview:
    """The overview of the projects in scope - every unit, or a unit with (by default) the units below it: live
    today, computed for a past date, or a month's snapshot."""
    units = await scope_of(session, unit_id, include_descendants=include_descendants)
    figures = await scoped_figures(session, units=units, unit_id=unit_id, year=year, as_of=as_of, period=period,
                                   today=today, with_units=False)
    if figures.source == "snapshot":
        snapshot = await sources.snapshot_of(session, period)
        parcels = _frozen_parcels(snapshot.parcels, units)
        target_rate = Decimal(snapshot.target_rate)
    else:
        found = await parcel_figures(session, as_of=figures.as_of, unit_ids=units)
        parcels = found[ALL_UNITS] if units is None or len(found) > 1 else None
    return overview_of(figures, unit_id=unit_id, target_rate=target_rate, target_rounding=target_rounding,
                       parcels=parcels, with_suspended=with_suspended)


def breakdown_row(key: str, name: str, metrics: Metrics, total: Metrics, unit_kind: str | None = None,
                  start_counts: tuple[int, int] | None = None) -> BreakdownRow:
    """One row: its counts, investment and rates (the start-or-completion rate from `start_counts` when given, e.g.
    without suspended projects)."""
    started, count = start_counts or (metrics["started_or_completed_count"], metrics["project_count"])
    return BreakdownRow(
        key=key, label=name, unit_kind=unit_kind, project_count=metrics["project_count"],
        **rate_fields("share", metrics["project_count"], total["project_count"]),
        total_investment=metrics["total_investment"], total_investment_yi=yi(metrics["total_investment"]),
        **rate_fields("investment_share", metrics["total_investment"], total["total_investment"]),
        annual_plan_investment=metrics["annual_plan_investment"], ytd_investment=metrics["ytd_investment"],
        **rate_fields("investment_completion_rate", metrics["ytd_investment"], metrics["annual_plan_investment"]),
        started_or_completed_count=metrics["started_or_completed_count"],
        **rate_fields("start_or_completion_rate", started, count),
        completed_count=metrics["completed_count"],
        **rate_fields("completion_rate", metrics["completed_count"], metrics["project_count"]),
        **rate_fields("node_on_time_rate", *node_on_time(metrics)),
        late_nodes=metrics["nodes_late"])


async def breakdown(*, session: AsyncSession, by: BreakdownBy, year: int | None, as_of: date | None,
                    period: str | None, unit_id: str | None, group: str, today: date,
                    include_descendants: bool = True, with_suspended: bool = True) -> Breakdown:
    """Counts, investment and rates per value of a dimension, or per unit (each, by default, with the units below
    it), of every unit or of a unit (and, by default, those below it). Per unit, the start-or-completion rate
    leaves suspended projects out when not `with_suspended`; per value of a dimension it counts them (cells are not
    crossed by grade)."""
    units = await scope_of(session, unit_id, include_descendants=include_descendants)
    if by == BreakdownBy.unit:
        figures = await sources.resolve(session, year=year, as_of=as_of, period=period, today=today,
                                        per_unit=True, only=(("all", ""), ("grade", SUSPENDED)))
        tree = await unit_tree(session)
        rows, covered = [], set()
        for unit in sorted(set(figures.cells.units()) | set(figures.units)):
            info = figures.units.get(unit)
            if units is not None and unit not in units or not in_group(info.kind if info else "unknown", group):
                continue
            members = tree.subtree(unit, include_descendants=include_descendants)
            metrics = total_of(figures.cells, members)[0]
            if metrics["project_count"]:
                rows.append((unit, info, metrics, figures.cells.start_counts(members, with_suspended=with_suspended)))
                covered |= members
        total = total_of(figures.cells, covered)[0]  # each project once, though a unit's row counts its children's
        groups = [breakdown_row(unit, info.name if info else unit, metrics, total, info.kind if info else None,
                                start_counts)
                  for unit, info, metrics, start_counts in sorted(rows, key=lambda r: (r[1].code if r[1] else r[0]))]
        total_row = breakdown_row("total", "合计", total, total,
                                  start_counts=figures.cells.start_counts(covered, with_suspended=with_suspended))
    else:
        figures = await scoped_figures(session, units=units, unit_id=unit_id, year=year, as_of=as_of, period=period,
                                       today=today, dimensions=("all", by.value))
        scope = unit_id or ALL_UNITS
        total = figures.cells.total(scope)
        found = figures.cells.by(by.value, scope)
        values = list(VALUE_LABELS[by.value]) + sorted(v for v in found if v not in VALUE_LABELS[by.value])
        groups = [breakdown_row(value, label(by.value, value), found.get(value, zero()), total) for value in values]
        total_row = breakdown_row("total", "合计", total, total)
    return Breakdown(year=figures.year, unit_id=unit_id, as_of=figures.as_of, source=figures.source,
                     period=figures.period, snapshot_version=figures.version, by=by, total=total_row, groups=groups)
