"""The tree of responsible units (a district above its towns, a park above its units), as the registry's unit events
give it: the units a figure of a unit counts - itself and every unit below it - and cells summed over them."""
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.cells import CellSet, Metrics, add, zero
from services.reports.models import UnitView


@dataclass(frozen=True)
class UnitTree:
    """Each unit's children (units the registry gave a parent)."""

    children: dict[str, tuple[str, ...]]

    def subtree(self, unit_id: str, *, include_descendants: bool = True) -> frozenset[str]:
        """The unit and every unit below it; only the unit when not `include_descendants`."""
        found, todo = {unit_id}, [unit_id]
        while include_descendants and todo:
            for child in self.children.get(todo.pop(), ()):
                if child not in found:  # never loops, even on a cycle the registry should have refused
                    found.add(child)
                    todo.append(child)
        return frozenset(found)


_CHILDREN = select(UnitView.id, UnitView.parent_id).where(UnitView.parent_id.is_not(None))


async def unit_tree(session: AsyncSession) -> UnitTree:
    """The units' current tree."""
    children: dict[str, list[str]] = {}
    for unit_id, parent_id in (await session.execute(_CHILDREN)).all():
        children.setdefault(parent_id, []).append(unit_id)
    return UnitTree({parent: tuple(sorted(units)) for parent, units in children.items()})


async def descendants_of(session: AsyncSession, unit_id: str) -> list[str]:
    """The unit and every unit below it (sorted): the units whose projects a figure of the unit counts."""
    return sorted((await unit_tree(session)).subtree(unit_id))


async def scope_of(session: AsyncSession, unit_id: str | None, *, include_descendants: bool) -> frozenset[str] | None:
    """The units a figure of `unit_id` counts; None for every unit."""
    if unit_id is None:
        return None
    if not include_descendants:
        return frozenset({unit_id})
    return (await unit_tree(session)).subtree(unit_id)


def summed(cells: CellSet, units: Collection[str], *, into: str) -> CellSet:
    """The cells and tasks of some units added up as those of one unit, `into`."""
    result = CellSet()
    for cell in cells.items():
        if cell.unit_id in units:
            result.add(into, cell.dimension, cell.value, cell.metrics)
    counts = [cells.task_counts(unit) for unit in units]
    result.tasks = {into: (sum(o for o, _ in counts), sum(late for _, late in counts))}
    return result


def total_of(cells: CellSet, units: Collection[str]) -> tuple[Metrics, int, int]:
    """The units' totals added up, and their open and late tasks; one unit's are its own (not a copy: read only)."""
    if len(units) == 1:
        (unit,) = units
        return (cells.total(unit), *cells.task_counts(unit))
    metrics, open_tasks, late_tasks = zero(), 0, 0
    for unit in units:
        add(metrics, cells.total(unit))
        unit_open, unit_late = cells.task_counts(unit)
        open_tasks, late_tasks = open_tasks + unit_open, late_tasks + unit_late
    return metrics, open_tasks, late_tasks
