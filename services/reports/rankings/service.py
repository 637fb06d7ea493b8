"""Rankings of units: metrics per unit from cells, a weighted score, competition ranks, change since a snapshot."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from services.reports import sources
from services.reports.cells import SUSPENDED, Metrics
from services.reports.figures import Ratio, competition_ranks, decimal_of, display, percent, ratio
from services.reports.models import Snapshot
from services.reports.overview.service import in_group, node_on_time
from services.reports.periods import month_of
from services.reports.rankings.schemas import RankingMetric, Ranking, RateMetric, UnitGroup
from services.reports.reporting import service as reporting
from services.reports.scoring import service as scoring
from services.reports.scoring.schemas import Weights
from services.reports.sources import Figures, UnitInfo
from services.reports.unit_tree import UnitTree, total_of, unit_tree

RATES = tuple(m.value for m in RateMetric)
COUNTS = ("red_count", "yellow_count", "open_tasks", "late_tasks")
# a unit's ranking figures are all on its 'all' cell; its suspended projects' (left out of the start rate if so
# configured) on one more
RANKING_CELLS = (("all", ""), ("grade", SUSPENDED))
_FROZEN_RANKS: dict[tuple, dict[str, int]] = {}  # snapshots never change: their ranks neither


@dataclass
class Standing:
    """One unit's figures for the ranking."""

    unit: UnitInfo
    metrics: Metrics
    rates: dict[str, Ratio | None]
    counts: dict[str, int]
    score: Fraction

    def value(self, metric: str) -> Fraction | int | None:
        if metric == RankingMetric.score:
            return self.score
        if metric in RATES:
            value = self.rates[metric]
            return None if value is None else value.exact()
        return self.counts[metric]


def exact_weights(weights: Weights) -> dict[str, tuple[int, int]]:
    """Each weight as an integer ratio."""
    return {metric: value.as_integer_ratio() for metric, value in weights}


def score_of(rates: dict[str, Ratio | None], counts: dict[str, int], weights: dict[str, tuple[int, int]]
             ) -> Fraction:
    """Σ weight × rate (capped at 1; nothing due counts as 1) + Σ weight × count, exactly: summed over a common
    denominator in integers, reduced once."""
    numerator, denominator = 0, 1
    for metric in RATES:
        value = rates[metric]
        # a rate's denominator is positive: above 1 when its numerator is the larger
        rn, rd = (1, 1) if value is None or value.numerator > value.denominator else (value.numerator,
                                                                                      value.denominator)
        wn, wd = weights[metric]
        numerator, denominator = numerator * wd * rd + wn * rn * denominator, denominator * wd * rd
    for metric in COUNTS:
        if counts[metric]:
            wn, wd = weights[metric]
            numerator, denominator = numerator * wd + wn * counts[metric] * denominator, denominator * wd
    return Fraction(numerator, denominator)


def standings(figures: Figures, weights: Weights, group: str = "all", *, tree: UnitTree | None = None,
              within: frozenset[str] | None = None, with_suspended: bool = True,
              reporting: dict[str, tuple[int, int]] | None = None) -> list[Standing]:
    """The group's units (of `within`, when given) with projects in the figures, in unit code order; each counting
    the units below it when given the `tree`; suspended projects left out of the start rate when not
    `with_suspended`; reporting timeliness from `reporting` ((on time, due) per unit) when given."""
    exact = exact_weights(weights)
    found = []
    candidates = set(figures.cells.units()) | (set(figures.units) if tree else set())
    for unit_id in candidates if within is None else candidates & within:
        unit = figures.units.get(unit_id) or UnitInfo(unit_id, unit_id, unit_id, "unknown")
        if not in_group(unit.kind, group):
            continue
        members = tree.subtree(unit_id) if tree else (unit_id,)
        metrics, open_tasks, late_tasks = total_of(figures.cells, members)
        if not metrics["project_count"]:
            continue
        rates = {
            "investment_completion_rate": ratio(metrics["ytd_investment"], metrics["annual_plan_investment"]),
            "start_or_completion_rate": ratio(*figures.cells.start_counts(members, with_suspended=with_suspended)),
            "completion_rate": ratio(metrics["completed_count"], metrics["project_count"]),
            "node_on_time_rate": ratio(*node_on_time(metrics)),
            "reporting_on_time_rate": None if reporting is None else ratio(
                *map(sum, zip((0, 0), *(reporting.get(member, (0, 0)) for member in members)))),
        }
        counts = {"red_count": metrics["red_count"], "yellow_count": metrics["yellow_count"],
                  "open_tasks": open_tasks, "late_tasks": late_tasks}
        found.append(Standing(unit=unit, metrics=metrics, rates=rates, counts=counts,
                              score=score_of(rates, counts, exact)))
    return sorted(found, key=lambda s: (s.unit.code, s.unit.id))


def higher_is_better(metric: str) -> bool:
    return metric not in COUNTS


def ranked(all_standings: list[Standing], *, group: str, metric: str) -> list[tuple[Standing, int]]:
    """The group's units best first with competition ranks (1, 2, 2, 4); ties keep unit code order."""
    members = [s for s in all_standings if in_group(s.unit.kind, group)]
    return competition_ranks(members, lambda s: s.value(metric), higher_is_better=higher_is_better(metric))


def row(standing: Standing, rank: int, previous_rank: int | None, metric: str) -> dict:
    """The ranking row of a unit (each exact rate converted once), as the fields of a RankingRow: the ranking
    validates its rows at once."""
    fields = {}
    for name in RATES:
        value = standing.rates[name]
        fields[name] = decimal_of(value)
        fields[f"{name}_percent"] = percent(value)
    score = decimal_of(standing.score)
    metrics = standing.metrics
    return dict(
        rank=rank, previous_rank=previous_rank,
        rank_change=None if previous_rank is None else previous_rank - rank,
        unit_id=standing.unit.id, unit_code=standing.unit.code, unit_name=standing.unit.name,
        unit_kind=standing.unit.kind,
        value=score if metric == RankingMetric.score else fields[metric] if metric in RATES else
        standing.counts[metric],
        value_percent=fields[f"{metric}_percent"] if metric in RATES else None,
        score=score, score_display=display(standing.score),
        project_count=metrics["project_count"], total_investment=metrics["total_investment"],
        annual_plan_investment=metrics["annual_plan_investment"],
        ytd_investment=metrics["ytd_investment"], **fields, **standing.counts)


# only what the rank changes need: not the frozen targets and parcels (JSON) of the snapshot; built once
_PREVIOUS = (select(Snapshot).options(load_only(Snapshot.period, Snapshot.year, Snapshot.as_of,
                                                Snapshot.scoring_version, Snapshot.version,
                                                Snapshot.suspended_in_start_rate))
             .where(Snapshot.year == bindparam("year"), Snapshot.period < bindparam("before"))
             .order_by(Snapshot.period.desc()).limit(1))


async def previous_snapshot(session: AsyncSession, *, year: int, before: str) -> Snapshot | None:
    """The latest snapshot of the year taken for a month before `before`."""
    return await session.scalar(_PREVIOUS, {"year": year, "before": before})


async def weights_of(session: AsyncSession, version: int) -> Weights:
    return (await scoring.get(session=session, version=version)).weights


async def timeliness_if_needed(session: AsyncSession, weights: Weights, metric: str, filters: "Filters | None", *,
                               year: int | None, as_of: date) -> dict[str, tuple[int, int]] | None:
    """Reporting timeliness per unit, read only when the ranking needs it: ranked or filtered by it, or weighted in
    the score (it reads every round of the year)."""
    wanted = metric == RankingMetric.reporting_on_time_rate or weights.reporting_on_time_rate != 0 or (
        filters is not None and filters.rate_metric == RateMetric.reporting_on_time_rate
        and (filters.min_rate is not None or filters.max_rate is not None))
    if not wanted or year is None:
        return None
    return await reporting.on_time_by_unit(session, year=year, as_of=as_of)


async def frozen_ranks(session: AsyncSession, snapshot: Snapshot, *, group: str, metric: str,
                       tree: UnitTree | None, within: frozenset[str] | None) -> dict[str, int]:
    """Each unit's rank in a snapshot, ranked by the rules that snapshot froze (kept once computed; the unit tree
    is the current one)."""
    with_suspended = snapshot.suspended_in_start_rate
    key = (str(session.bind.url), snapshot.period, snapshot.version, str(group), str(metric),
           tree and tuple(sorted(tree.children.items())), within, with_suspended)
    if key not in _FROZEN_RANKS:
        figures = await sources.frozen(session, snapshot, per_unit=True, only=RANKING_CELLS)
        weights = await weights_of(session, snapshot.scoring_version)
        # rounds whose deadline had passed by the snapshot's day: reports on time can no longer change
        reporting = await timeliness_if_needed(session, weights, metric, None, year=snapshot.year,
                                               as_of=snapshot.as_of)
        if len(_FROZEN_RANKS) > 1000:
            _FROZEN_RANKS.clear()
        _FROZEN_RANKS[key] = {s.unit.id: rank for s, rank in ranked(
            standings(figures, weights, group, tree=tree, within=within, with_suspended=with_suspended,
                      reporting=reporting), group=group, metric=metric)}
    return _FROZEN_RANKS[key]


@dataclass
class Filters:
    """The units named at the meeting: annual plan at least `min_annual_plan`, `rate_metric` in [min_rate, max_rate)."""

    min_annual_plan: Decimal | None = None
    rate_metric: str = RateMetric.investment_completion_rate
    min_rate: Decimal | None = None
    max_rate: Decimal | None = None

    def keeps(self, standing: Standing) -> bool:
        if self.min_annual_plan is not None and standing.metrics["annual_plan_investment"] < self.min_annual_plan:
            return False
        if self.min_rate is None and self.max_rate is None:
            return True
        value = standing.value(self.rate_metric)
        if value is None:
            return False
        if self.min_rate is not None and value < Fraction(self.min_rate):
            return False
        return self.max_rate is None or value < Fraction(self.max_rate)


@dataclass
class Weighed:
    """What a ranking reads: every unit's ranking cells, the scoring it is ranked with, whether suspended projects
    count in the start rate, and the snapshot rank changes are counted from."""

    figures: Figures
    scoring_version: int
    weights: Weights
    with_suspended: bool
    previous: Snapshot | None


async def weighed(session: AsyncSession, *, year: int | None, period: str | None, as_of: date | None, today: date,
                  with_suspended: bool) -> Weighed:
    """A month's snapshot, ranked by the rules it froze; or live / as of a date of the year (this year by default)
    by today's: the weights in force and `with_suspended`. Rank changes count from the latest snapshot of the same
    year before."""
    if period is not None:
        snapshot = await sources.snapshot_of(session, period)
        with_suspended = snapshot.suspended_in_start_rate
        figures = await sources.resolve(session, year=year, as_of=as_of, period=period, today=today, per_unit=True,
                                        only=RANKING_CELLS)
        scoring_version = snapshot.scoring_version
        weights = await weights_of(session, scoring_version)
        before = period
    else:
        figures = await sources.resolve(session, year=year or today.year, as_of=as_of, period=None, today=today,
                                        per_unit=True, only=RANKING_CELLS)
        in_force = await scoring.current(session=session)
        scoring_version, weights = in_force.version, in_force.weights
        before = month_of(figures.as_of)
    return Weighed(figures, scoring_version, weights, with_suspended,
                   await previous_snapshot(session, year=figures.year, before=before))


async def rows_of(session: AsyncSession, figures: Figures, weights: Weights, previous: Snapshot | None, *,
                  group: str, metric: str, tree: UnitTree | None, within: frozenset[str] | None,
                  filters: Filters | None = None, with_suspended: bool = True) -> list[dict]:
    """The group's units ranked, each with its rank in the previous snapshot."""
    previous_ranks = await frozen_ranks(session, previous, group=group, metric=metric, tree=tree,
                                        within=within) if previous else {}
    reporting = await timeliness_if_needed(session, weights, metric, filters, year=figures.year, as_of=figures.as_of)
    return [row(standing, rank, previous_ranks.get(standing.unit.id), metric)
            for standing, rank in ranked(standings(figures, weights, group, tree=tree, within=within,
                                                   with_suspended=with_suspended, reporting=reporting),
                                         group=group, metric=metric)
            if filters is None or filters.keeps(standing)]


async def ranking(*, session: AsyncSession, year: int | None, period: str | None, as_of: date | None, group: UnitGroup,
                  metric: RankingMetric, filters: Filters, today: date, unit_id: str | None = None,
                  include_descendants: bool = True, with_suspended: bool = True) -> Ranking:
    """Ranks the group's units (of every unit, or `unit_id` and the units below it) by the metric, each counting
    (by default) the projects of the units below it: live, as of a past date, or from a month's snapshot; each row
    with its change since the snapshot before (the latest of the same year). Filters leave ranks as they are."""
    tree = await unit_tree(session) if include_descendants else None
    within = None if unit_id is None else tree.subtree(unit_id) if tree else frozenset({unit_id})
    read = await weighed(session, year=year, period=period, as_of=as_of, today=today, with_suspended=with_suspended)
    figures = read.figures
    rows = await rows_of(session, figures, read.weights, read.previous, group=group, metric=metric, tree=tree,
                         within=within, filters=filters, with_suspended=read.with_suspended)
    return Ranking(year=figures.year, period=figures.period, snapshot_version=figures.version, as_of=figures.as_of,
                   source=figures.source, group=group,
                   unit_id=unit_id, include_descendants=include_descendants, metric=metric,
                   higher_is_better=higher_is_better(metric), scoring_version=read.scoring_version,
                   weights=read.weights, previous_period=read.previous.period if read.previous else None, items=rows)
