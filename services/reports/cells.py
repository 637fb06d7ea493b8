"""Cells: what one project contributes to the aggregates of its (year, unit), and sets of cells to read figures from.

A project adds its metrics to one cell per dimension (its stage, sector, colour, ...) and the 'all' cell, both under
its unit and under '*' (every unit). Handlers apply the difference between a project's old and new contribution;
readers sum cells. Live aggregates, figures computed for a past date and frozen snapshots are all sets of cells, so
one piece of code turns any of them into an overview or a ranking.
"""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts.registry import Stage

ALL_UNITS = "*"
ALL = "all"
UNRATED = "unrated"
SUSPENDED = "suspended"  # the grade of a project whose suspension was approved
DIMENSIONS = ("stage", "sector", "category", "level", "bracket", "colour", "grade", "statistics")
METRICS = ("project_count", "total_investment", "annual_plan_investment", "ytd_investment",
           "started_or_completed_count", "completed_count", "real_start_count",
           "nodes_total", "nodes_done", "nodes_done_on_time", "nodes_late", "red_count", "yellow_count")
MONEY_METRICS = frozenset({"total_investment", "annual_plan_investment", "ytd_investment"})
STARTED_STAGES = frozenset({Stage.started, Stage.completed, Stage.in_operation})
COMPLETED_STAGES = frozenset({Stage.completed, Stage.in_operation})
STAGE_DATE_COLUMNS = {Stage.signed: "signed_date", Stage.land_supplied: "land_supplied_date",
                      Stage.started: "started_date", Stage.completed: "completed_date",
                      Stage.in_operation: "in_operation_date"}

Metrics = dict[str, int | Decimal]
CellKey = tuple[int, str, str, str]  # (year, unit_id, dimension, value)


def zero() -> Metrics:
    return {m: (Decimal(0) if m in MONEY_METRICS else 0) for m in METRICS}


def add(into: Metrics, other: Metrics, sign: int = 1) -> Metrics:
    for m in METRICS:
        into[m] += sign * other[m]
    return into


@dataclass(frozen=True)
class ProjectFacts:
    """What of one project counts in the figures, as of some date."""

    year: int
    unit_id: str
    stage: str
    sector: str
    category: str
    level: str
    bracket: str
    colour: str
    grade: str
    statistics: str
    total_investment: Decimal
    annual_plan_investment: Decimal
    ytd_investment: Decimal
    real_started: bool
    nodes_total: int
    nodes_done: int
    nodes_done_on_time: int
    nodes_late: int

    def dimensions(self) -> dict[str, str]:
        return {ALL: "", "stage": self.stage, "sector": self.sector, "category": self.category, "level": self.level,
                "bracket": self.bracket, "colour": self.colour, "grade": self.grade, "statistics": self.statistics}

    def metrics(self) -> Metrics:
        started = self.stage in STARTED_STAGES
        return {
            "project_count": 1,
            "total_investment": self.total_investment,
            "annual_plan_investment": self.annual_plan_investment,
            "ytd_investment": self.ytd_investment,
            "started_or_completed_count": int(started),
            "completed_count": int(self.stage in COMPLETED_STAGES),
            "real_start_count": int(started and self.real_started),
            "nodes_total": self.nodes_total,
            "nodes_done": self.nodes_done,
            "nodes_done_on_time": self.nodes_done_on_time,
            "nodes_late": self.nodes_late,
            # also kept apart from the colour cells, so a unit's ranking figures are all on its 'all' cell
            "red_count": int(self.colour == "red"),
            "yellow_count": int(self.colour == "yellow"),
        }


def facts_of(row) -> ProjectFacts | None:
    """The live facts of a project_view row; None when it counts nowhere (not registered yet, or archived)."""
    if row is None or not row.registered or row.archived:
        return None
    return ProjectFacts(
        year=row.year, unit_id=row.unit_id, stage=row.stage, sector=row.sector, category=row.category,
        level=row.level, bracket=row.bracket, colour=row.colour, grade=row.grade or UNRATED,
        statistics=row.statistics_status, total_investment=row.total_investment,
        annual_plan_investment=row.annual_plan_investment, ytd_investment=row.ytd_investment,
        real_started=row.real_start_date is not None, nodes_total=row.nodes_total, nodes_done=row.nodes_done,
        nodes_done_on_time=row.nodes_done_on_time, nodes_late=row.nodes_late)


def stage_as_of(row, as_of: date) -> str:
    """The furthest stage the project had reached by `as_of`, from its stage dates."""
    reached = Stage.planning.value
    for stage, column in STAGE_DATE_COLUMNS.items():
        when = getattr(row, column)
        if when is not None and when <= as_of:
            reached = stage.value
    return reached


def contribution(facts: ProjectFacts | None) -> dict[CellKey, Metrics]:
    if facts is None:
        return {}
    metrics = facts.metrics()
    return {(facts.year, unit, dimension, value): metrics
            for unit in (facts.unit_id, ALL_UNITS) for dimension, value in facts.dimensions().items()}


def difference(old: ProjectFacts | None, new: ProjectFacts | None) -> list[tuple[CellKey, Metrics]]:
    """What applying the change from `old` to `new` adds to each cell: non-zero deltas, in key order (the order
    concurrent writers lock cells in, so they cannot deadlock)."""
    if old == new:
        return []
    if old is None or new is None:  # a project that starts or stops counting: its whole contribution, + or -
        sign = 1 if old is None else -1
        return sorted((key, {m: sign * v for m, v in metrics.items()})
                      for key, metrics in contribution(new or old).items())
    deltas: dict[CellKey, Metrics] = defaultdict(zero)
    for key, metrics in contribution(old).items():
        add(deltas[key], metrics, -1)
    for key, metrics in contribution(new).items():
        add(deltas[key], metrics)
    return sorted(((key, d) for key, d in deltas.items() if any(d[m] for m in METRICS)), key=lambda kd: kd[0])


@dataclass
class Cell:
    unit_id: str
    dimension: str
    value: str
    metrics: Metrics


class CellSet:
    """Cells by unit and dimension, summed over the years they came from; supervision tasks by unit."""

    def __init__(self, cells: Iterable[Cell] = (), tasks: dict[str, tuple[int, int]] | None = None):
        self._cells: dict[tuple[str, str], dict[str, Metrics]] = {}
        for cell in cells:
            self.add(cell.unit_id, cell.dimension, cell.value, cell.metrics)
        self.tasks = tasks or {}

    def add(self, unit_id: str, dimension: str, value: str, metrics: Metrics) -> None:
        values = self._cells.setdefault((unit_id, dimension), {})
        if value in values:
            add(values[value], metrics)
        else:
            values[value] = dict(metrics)

    def add_facts(self, facts: ProjectFacts) -> None:
        for (_year, unit, dimension, value), metrics in contribution(facts).items():
            self.add(unit, dimension, value, metrics)

    def total(self, unit_id: str = ALL_UNITS) -> Metrics:
        return self._cells.get((unit_id, ALL), {}).get("") or zero()

    def by(self, dimension: str, unit_id: str = ALL_UNITS) -> dict[str, Metrics]:
        return {value: metrics for value, metrics in self._cells.get((unit_id, dimension), {}).items()
                if metrics["project_count"]}

    def units(self) -> list[str]:
        """Units with at least one project in these cells."""
        return sorted(unit for (unit, dimension), values in self._cells.items()
                      if dimension == ALL and unit != ALL_UNITS and "" in values and values[""]["project_count"])

    def task_counts(self, unit_id: str = ALL_UNITS) -> tuple[int, int]:
        """(open, late) supervision tasks of a unit, or of every unit."""
        if unit_id == ALL_UNITS:
            return sum(o for o, _ in self.tasks.values()), sum(late for _, late in self.tasks.values())
        return self.tasks.get(unit_id, (0, 0))

    def start_counts(self, units: Iterable[str], *, with_suspended: bool) -> tuple[int, int]:
        """The start-or-completion rate's (started or completed, of how many) over some units: every project on the
        list, or (not `with_suspended`, KP_SUSPENDED_IN_START_RATE=false) those not suspended; without them needs
        the units' ('grade', 'suspended') cells."""
        started = count = 0
        for unit in units:
            total = self.total(unit)
            started, count = started + total["started_or_completed_count"], count + total["project_count"]
            if not with_suspended:
                suspended = self.by("grade", unit).get(SUSPENDED, zero())
                started -= suspended["started_or_completed_count"]
                count -= suspended["project_count"]
        return started, count

    def items(self) -> list[Cell]:
        return [Cell(unit, dimension, value, metrics) for (unit, dimension), values in sorted(self._cells.items())
                for value, metrics in sorted(values.items())]
