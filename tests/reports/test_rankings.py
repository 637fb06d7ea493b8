"""Rankings of units (赛马): competition ranks with ties, the weighted score, counts fewest first, the units named at
the meeting, changes since the previous snapshot, and versioned weights."""
from decimal import Decimal
from fractions import Fraction

from tests.reports.cities import COMPLETED, DEC, LAST_YEAR, NOV, STARTED, TASKS, TODAY, YEAR

TWELVE = Decimal("1e-12")


def as_decimal(value: Fraction) -> str:
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(TWELVE))


async def ranking(reports, **params) -> dict:
    response = await reports.get("/api/v1/rankings", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def expected_scores(city, weights: dict[str, str]) -> dict[str, Fraction]:
    """Each unit's score computed from the city's definition: Σ w × rate (capped at 1, nothing due = 1) + Σ w × n."""
    scores = {}
    for key, unit in city.units.items():
        mine = [p for p in city.projects if p.unit is unit]
        done = sum(s.startswith("done") for s in unit.nodes)
        due = done + unit.nodes.count("overdue")
        rates = {
            "investment_completion_rate": Fraction(unit.ytd) / Fraction(unit.plan),
            "start_or_completion_rate": Fraction(sum(p.stage in STARTED for p in mine), len(mine)),
            "completion_rate": Fraction(sum(p.stage in COMPLETED for p in mine), len(mine)),
            "node_on_time_rate": Fraction(unit.nodes.count("done_on_time"), due) if due else None,
        }
        open_tasks = [t for t in TASKS if t[0] == key and t[3] != "closed"]
        counts = {"red_count": sum(p.colour == "red" for p in mine),
                  "yellow_count": sum(p.colour == "yellow" for p in mine),
                  "open_tasks": len(open_tasks),
                  "late_tasks": sum(t[2] < TODAY and t[3] != "feedback_submitted" for t in open_tasks)}
        score = sum(Fraction(weights[m]) * (1 if r is None else min(r, 1)) for m, r in rates.items())
        scores[key] = score + sum(Fraction(weights[m]) * n for m, n in counts.items())
    return scores


async def test_ties_share_a_rank_and_the_next_rank_is_skipped(city, city_reports):
    body = await ranking(city_reports, year=YEAR, group="town", metric="start_or_completion_rate")
    by_unit = {city.units[k].id: k for k in city.units}
    rows = [(by_unit[r["unit_id"]], r["rank"], r["value"]) for r in body["items"]]
    # 西山镇 15/20, then 城关镇 10/20 and 东城街道 6/12 tied, then 南湖镇 2/10: 1, 2, 2, 4
    assert rows == [("T3", 1, "0.750000000000"), ("T1", 2, "0.500000000000"), ("T2", 2, "0.500000000000"),
                    ("T4", 4, "0.200000000000")]
    assert body["higher_is_better"] is True and body["group"] == "town"
    assert all(r["unit_kind"] in ("town", "street") for r in body["items"])


async def test_the_weighted_score_ranks_every_unit(city, city_reports):
    weights = (await city_reports.get("/api/v1/scoring")).json()
    body = await ranking(city_reports, year=YEAR)
    assert body["metric"] == "score" and body["group"] == "all" and body["scoring_version"] == weights["version"]
    scores = expected_scores(city, weights["weights"])
    by_unit = {city.units[k].id: k for k in city.units}
    got = {by_unit[r["unit_id"]]: r for r in body["items"]}
    assert set(got) == set(city.units)
    for key, row in got.items():
        assert row["score"] == as_decimal(scores[key]), key
        assert row["rank"] == 1 + sum(s > scores[key] for s in scores.values()), key
    assert [r["rank"] for r in body["items"]] == sorted(r["rank"] for r in body["items"])
    t1 = got["T1"]
    assert (t1["red_count"], t1["yellow_count"], t1["open_tasks"], t1["late_tasks"]) == (2, 3, 2, 1)
    assert t1["node_on_time_rate"] == "0.500000000000" and got["T2"]["node_on_time_rate"] is None
    assert t1["investment_completion_rate"] == "0.050000000050"
    assert Decimal(t1["score_display"]) == Decimal(t1["score"]).quantize(Decimal("0.01"))


async def test_counts_rank_fewest_first(city, city_reports):
    body = await ranking(city_reports, year=YEAR, group="department", metric="red_count")
    by_unit = {city.units[k].id: k for k in city.units}
    assert [(by_unit[r["unit_id"]], r["rank"], r["value"]) for r in body["items"]] == [
        ("D3", 1, 0), ("D1", 2, 1), ("D2", 3, 2)]
    assert body["higher_is_better"] is False


async def test_the_units_named_at_the_meeting(city, city_reports):
    """Annual plan above 5,000 万元 and an investment completion rate from 2 % to below 10 %."""
    everyone = await ranking(city_reports, year=YEAR, metric="investment_completion_rate")
    named = await ranking(city_reports, year=YEAR, metric="investment_completion_rate", min_annual_plan="5000",
                          min_rate="0.02", max_rate="0.10")
    by_unit = {city.units[k].id: k for k in city.units}
    assert [by_unit[r["unit_id"]] for r in named["items"]] == ["D2", "T1"]  # 9 % and 5 %
    ranks = {r["unit_id"]: r["rank"] for r in everyone["items"]}
    assert all(r["rank"] == ranks[r["unit_id"]] for r in named["items"])  # the filter keeps the real ranks
    assert (await city_reports.get("/api/v1/rankings", params={"metric": "luck"})).status_code == 422


async def test_rank_changes_since_the_previous_snapshot(history, city_reports):
    body = await ranking(city_reports, period=DEC, group="town", metric="start_or_completion_rate")
    assert body["source"] == "snapshot" and body["previous_period"] == NOV and body["year"] == LAST_YEAR
    by_unit = {u.id: k for k, u in history.units.items()}
    # November: 河口镇 2/2, 北关镇 1/2, 南关街道 0/2; December: 南关街道 started both on 10 December
    assert [(by_unit[r["unit_id"]], r["rank"], r["previous_rank"], r["rank_change"]) for r in body["items"]] == [
        ("HT2", 1, 3, 2), ("HT3", 1, 1, 0), ("HT1", 3, 2, -1)]
    november = await ranking(city_reports, period=NOV, group="town", metric="start_or_completion_rate")
    if november["previous_period"] is None:  # (the exports test may have frozen September before)
        assert all(r["rank_change"] is None for r in november["items"])
    live = await ranking(city_reports, year=LAST_YEAR, group="department")
    assert live["source"] == "live" and live["previous_period"] == DEC
    assert all(r["rank_change"] == 0 for r in live["items"])


async def test_weights_are_versioned_and_snapshots_keep_theirs(history, city_reports):
    before = (await city_reports.get("/api/v1/scoring")).json()
    frozen = await ranking(city_reports, period=DEC, group="department")
    assert frozen["scoring_version"] <= before["version"]
    only_investment = {k: "0" for k in before["weights"]} | {"investment_completion_rate": "100"}
    changed = await city_reports.put("/api/v1/scoring", json={"weights": only_investment, "note": "只看投资"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == before["version"] + 1
    try:
        live = await ranking(city_reports, year=LAST_YEAR, group="department")
        assert live["scoring_version"] == before["version"] + 1
        # HD1 8000/20000 and HD2 9000/20000 of their plans
        assert [(r["unit_name"], r["score"]) for r in live["items"]] == [
            ("农业农村局", "45.000000000000"), ("交通局", "40.000000000000")]
        assert await ranking(city_reports, period=DEC, group="department") == frozen
        versions = (await city_reports.get("/api/v1/scoring/versions")).json()
        assert [v["version"] for v in versions][:2] == [before["version"] + 1, before["version"]]
        bad = await city_reports.put("/api/v1/scoring", json={"weights": {"luck": "1"}})
        assert bad.status_code == 422
    finally:
        restored = await city_reports.put("/api/v1/scoring", json={"weights": before["weights"], "note": "恢复"})
        assert restored.status_code == 200
