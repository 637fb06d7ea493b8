"""Exact figures without a platform: the target gap, rates and their display, competition ranks, cell deltas."""
from decimal import Decimal
from fractions import Fraction

import pytest
from pydantic import ValidationError

from services.reports.cells import ALL_UNITS, ProjectFacts, difference
from services.reports.figures import (TargetRounding, competition_ranks, decimal_of, needed_to_reach, percent, rate,
                                      ratio, target_count, yi)
from services.reports.settings import ReportsSettings

NEAREST, UP = TargetRounding.nearest, TargetRounding.up


def test_the_offices_target_gap_is_exact():
    # 116 projects, 66 started or completed, goal 70 %: 81.2 is 81 projects as the office counts, so 15 more
    assert target_count(Decimal("0.70"), 116, NEAREST) == 81
    assert needed_to_reach(Decimal("0.70"), 116, 66, NEAREST) == 15
    # exactly on a whole number: no rounding up from a binary fraction (0.7 × 10 is 7, not 7.000000001)
    assert target_count(Decimal("0.7"), 10, NEAREST) == target_count(Decimal("0.7"), 10, UP) == 7
    assert needed_to_reach(Decimal("0.70"), 10, 9, NEAREST) == 0  # never negative
    assert needed_to_reach(Decimal("0.70"), 0, 0, NEAREST) == 0


def test_target_counts_round_to_the_nearest_project_half_up_or_up_when_configured():
    assert target_count(Decimal("0.70"), 5, NEAREST) == 4  # 3.5: half up
    assert target_count(Decimal("0.70"), 15, NEAREST) == 11  # 10.5
    assert target_count(Decimal("0.70"), 9, NEAREST) == 6  # 6.3
    assert target_count(Decimal("0.70"), 8, NEAREST) == 6  # 5.6
    # KP_TARGET_ROUNDING=up asks for the next whole project, as the platform did before
    assert target_count(Decimal("0.70"), 116, UP) == 82 and target_count(Decimal("0.70"), 9, UP) == 7
    assert needed_to_reach(Decimal("0.70"), 116, 66, UP) == 16
    assert ReportsSettings().target_rounding == NEAREST
    assert ReportsSettings(target_rounding="up").target_rounding == UP
    with pytest.raises(ValidationError):
        ReportsSettings(target_rounding="sideways")


def test_yi_is_shown_to_two_places_half_up():
    assert str(yi(Decimal("5652000"))) == "565.20"
    assert str(yi(Decimal("120000.500001"))) == "12.00"
    assert str(yi(Decimal("1250"))) == "0.13"  # 0.125 亿元, half up


def test_rates_are_exact_and_rounded_only_for_display():
    value = rate(66, 116)
    assert value == Fraction(33, 58)
    assert decimal_of(value) == Decimal("0.568965517241")
    assert percent(value) == "56.9"
    assert percent(rate(1, 8)) == "12.5" and percent(rate(1, 16)) == "6.3"  # half-up for display
    assert decimal_of(rate(Decimal("1000.000001"), Decimal(20000))) == Decimal("0.050000000050")
    assert rate(5, 0) is None and decimal_of(None) is None and percent(None) is None
    # a ratio is the same rate, not reduced: shown alike, compared as its fraction
    assert ratio(66, 116) == (66, 116) and ratio(66, 116).exact() == value and ratio(5, 0) is None
    assert decimal_of(ratio(66, 116)) == decimal_of(value) and percent(ratio(1, 16)) == "6.3"
    assert decimal_of(ratio(Decimal("1000.000001"), Decimal(20000))) == Decimal("0.050000000050")


def test_competition_ranking_shares_ranks_and_skips():
    values = {"a": Fraction(1, 2), "b": Fraction(3, 4), "c": Fraction(1, 2), "d": Fraction(1, 5), "e": None}
    ranked = competition_ranks(list(values), values.get, higher_is_better=True)
    assert ranked == [("b", 1), ("a", 2), ("c", 2), ("d", 4), ("e", 5)]
    counts = {"x": 2, "y": 0, "z": 2, "w": 1}
    assert competition_ranks(list(counts), counts.get, higher_is_better=False) == [
        ("y", 1), ("w", 2), ("x", 3), ("z", 3)]


def _facts(**changes) -> ProjectFacts:
    base = dict(year=2026, unit_id="u1", stage="planning", sector="secondary", category="industry",
                level="municipal", bracket="1_10yi", colour="blue", grade="unrated", statistics="not_submitted",
                total_investment=Decimal("30000"), annual_plan_investment=Decimal("1000"),
                ytd_investment=Decimal(0), real_started=False, nodes_total=0, nodes_done=0, nodes_done_on_time=0,
                nodes_late=0)
    return ProjectFacts(**{**base, **changes})


def test_a_change_moves_the_project_between_cells_and_nothing_else():
    before, after = _facts(), _facts(stage="started", ytd_investment=Decimal("12.5"))
    deltas = dict(difference(before, after))
    assert deltas[(2026, "u1", "stage", "planning")]["project_count"] == -1
    assert deltas[(2026, ALL_UNITS, "stage", "started")]["started_or_completed_count"] == 1
    assert deltas[(2026, "u1", "all", "")]["ytd_investment"] == Decimal("12.5")
    assert deltas[(2026, "u1", "all", "")]["project_count"] == 0
    assert [key for key, _ in difference(before, after)] == sorted(deltas)  # cells locked in key order
    assert difference(before, before) == []
    registered = dict(difference(None, before))
    assert registered[(2026, ALL_UNITS, "all", "")]["total_investment"] == Decimal("30000")
    archived = dict(difference(after, None))
    assert archived[(2026, "u1", "stage", "started")]["project_count"] == -1
