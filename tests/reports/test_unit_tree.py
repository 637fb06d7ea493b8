"""A parent unit (a district, a park) counts the projects of the units below it in the overview, breakdowns, rankings,
project lists and targets, live, as of a past date and from a snapshot, unless include_descendants=false; target
counts round to the nearest whole project (x.5 up) with the rule shown; every display rate is rounded half up to one
decimal beside its exact value, and 亿元 has two places."""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from services.reports.unit_tree import UnitTree
from tests.reports.cities import SLOW
from tests.reports.conftest import start_reports_instance
from tests.reports.trees import DEC, DEC_END, NOV, NOV_END, PROJECTS, TREE_YEAR, subtree
from tests.support.api import client, eventually


async def _get(reports, path: str, **params) -> dict:
    response = await reports.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def started_by(units: set[str], day: date = DEC_END) -> int:
    return sum(key[0] in units and start is not None and start <= day for key, (start, *_) in PROJECTS.items())


def counted(units: set[str]) -> int:
    return sum(key[0] in units for key in PROJECTS)


def half_up(value: Fraction) -> str:
    """A rate as a percentage to one place, half up, computed here independently of reports."""
    return str((Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP))


async def test_a_district_counts_the_projects_of_the_units_below_it(tree, city_reports):
    q, p = tree.units["Q"].id, tree.units["P"].id
    year = {"year": TREE_YEAR}
    whole = await _get(city_reports, "/api/v1/overview", **year, unit_id=q)
    assert whole["project_count"] == counted(subtree("Q")) == 9
    assert whole["started_or_completed_count"] == started_by(subtree("Q")) == 5
    # plan 1000 (its own) + 2000 (its town's), 300 + 500 invested: 26.7 %, not its own 30.0 %
    assert (whole["annual_plan_investment"], whole["ytd_investment"]) == ("3000", "800")
    assert whole["investment_completion_rate_percent"] == "26.7"
    assert whole["by_colour"]["red"]["count"] == 1 and whole["unit_id"] == q
    own = await _get(city_reports, "/api/v1/overview", **year, unit_id=q, include_descendants="false")
    assert (own["project_count"], own["started_or_completed_count"], own["investment_completion_rate_percent"]) == (
        1, 0, "30.0")
    park = await _get(city_reports, "/api/v1/overview", **year, unit_id=p)  # two levels: the park and its town
    assert (park["project_count"], park["started_or_completed_count"]) == (counted(subtree("P")), 2) == (3, 2)
    # a past date computes the same tree from the dated facts, and the snapshot froze it
    past = await _get(city_reports, "/api/v1/overview", **year, unit_id=q, as_of=NOV_END.isoformat())
    frozen = await _get(city_reports, "/api/v1/overview", unit_id=q, period=NOV)
    assert past["started_or_completed_count"] == frozen["started_or_completed_count"] == \
        started_by(subtree("Q"), NOV_END) == 3
    assert past["project_count"] == frozen["project_count"] == 9
    frozen_own = await _get(city_reports, "/api/v1/overview", unit_id=q, period=DEC, include_descendants="false")
    assert frozen_own["project_count"] == 1
    listed = await _get(city_reports, "/api/v1/projects", **year, unit_id=q, limit=50)
    assert sorted(item["id"] for item in listed["items"]) == sorted(
        tree.projects[k].id for k in PROJECTS if k[0] in subtree("Q"))
    assert len((await _get(city_reports, "/api/v1/projects", **year, unit_id=q,
                           include_descendants="false"))["items"]) == 1


async def test_breakdowns_at_each_level_of_the_tree(tree, city_reports):
    ids = {key: unit.id for key, unit in tree.units.items()}
    keys = {unit_id: key for key, unit_id in ids.items()}
    year = {"year": TREE_YEAR}
    districts = await _get(city_reports, "/api/v1/breakdowns", by="unit", group="district", **year)
    assert {keys[g["key"]]: g["project_count"] for g in districts["groups"]} == {"Q": 9, "R": 4}
    assert districts["total"]["project_count"] == 13
    # a district broken down: itself (with everything below) and each unit below it, each project counted once
    below = await _get(city_reports, "/api/v1/breakdowns", by="unit", unit_id=ids["Q"], **year)
    assert {keys[g["key"]]: g["project_count"] for g in below["groups"]} == {
        key: counted(subtree(key)) for key in subtree("Q")} == {"Q": 9, "A": 3, "B": 2, "P": 3, "C": 2}
    assert below["total"]["project_count"] == 9 and below["total"]["started_or_completed_count"] == 5
    towns = await _get(city_reports, "/api/v1/breakdowns", by="unit", group="town", unit_id=ids["Q"], **year)
    assert sorted(keys[g["key"]] for g in towns["groups"]) == ["A", "B", "C"]
    own = await _get(city_reports, "/api/v1/breakdowns", by="unit", group="district", include_descendants="false",
                     **year)
    assert {keys[g["key"]]: g["project_count"] for g in own["groups"]} == {"Q": 1, "R": 4}
    stages = await _get(city_reports, "/api/v1/breakdowns", by="stage", unit_id=ids["Q"], **year)
    assert stages["total"]["project_count"] == 9
    assert {g["key"]: g["project_count"] for g in stages["groups"]}["started"] == 5


async def test_rankings_rank_districts_with_their_towns_and_the_towns_of_a_district(tree, city_reports):
    ids = {key: unit.id for key, unit in tree.units.items()}
    keys = {unit_id: key for key, unit_id in ids.items()}
    year = {"year": TREE_YEAR, "metric": "start_or_completion_rate"}
    districts = await _get(city_reports, "/api/v1/rankings", group="district", **year)
    rows = [(keys[r["unit_id"]], r["rank"], r["project_count"], r["value_percent"]) for r in districts["items"]]
    assert rows == [("Q", 1, 9, half_up(Fraction(5, 9))), ("R", 2, 4, "25.0")]
    assert districts["include_descendants"] is True and half_up(Fraction(5, 9)) == "55.6"
    own = await _get(city_reports, "/api/v1/rankings", group="district", include_descendants="false", **year)
    assert [(keys[r["unit_id"]], r["project_count"]) for r in own["items"]] == [("R", 4), ("Q", 1)]
    towns = await _get(city_reports, "/api/v1/rankings", group="town", unit_id=ids["Q"], **year)
    assert sorted(keys[r["unit_id"]] for r in towns["items"]) == ["A", "B", "C"]
    assert [r["rank"] for r in towns["items"]] == [1, 2, 3]  # ranked among themselves: C 2/2, A 2/3, B 1/2
    assert [keys[r["unit_id"]] for r in towns["items"]] == ["C", "A", "B"]
    past = await _get(city_reports, "/api/v1/rankings", group="district", as_of=NOV_END.isoformat(), **year)
    assert [(keys[r["unit_id"]], r["value_percent"]) for r in past["items"]] == [
        ("Q", half_up(Fraction(3, 9))), ("R", "25.0")]
    frozen = await _get(city_reports, "/api/v1/rankings", group="district", period=DEC, **year)
    assert [(keys[r["unit_id"]], r["project_count"], r["previous_rank"]) for r in frozen["items"]] == [
        ("Q", 9, 1), ("R", 4, 2)]


async def test_a_target_handed_to_a_district_counts_its_towns(tree, city_reports):
    target_id = tree.target["id"]
    live = await _get(city_reports, "/api/v1/targets/progress", year=TREE_YEAR)
    item = next(i for i in live["items"] if i["target"]["id"] == target_id)
    assert (item["achieved"], item["remaining"], item["rate_percent"]) == ("5", "1", half_up(Fraction(5, 6)))
    past = await _get(city_reports, "/api/v1/targets/progress", year=TREE_YEAR, as_of=NOV_END.isoformat())
    assert next(i for i in past["items"] if i["target"]["id"] == target_id)["achieved"] == "3"
    frozen = await _get(city_reports, "/api/v1/targets/progress", period=DEC)
    assert next(i for i in frozen["items"] if i["target"]["id"] == target_id)["achieved"] == "5"


async def test_target_counts_round_to_the_nearest_project_and_say_so(tree, city_reports):
    """15 projects × 70 % = 10.5: 11 (half up); the district's 9 × 70 % = 6.3: 6, not 7; 4 × 70 % = 2.8: 3."""
    ids = {key: unit.id for key, unit in tree.units.items()}
    for params, count, needed in (({}, 11, 11 - 7), ({"unit_id": ids["Q"]}, 6, 1), ({"unit_id": ids["R"]}, 3, 2)):
        body = await _get(city_reports, "/api/v1/overview", year=TREE_YEAR, **params)
        assert (body["target_count"], body["needed_to_reach_target"]) == (count, needed), params
        assert body["target_rounding"] == "nearest" and body["target_rounding_note"] == "按四舍五入取整"
        assert body["target_rate_percent"] == "70.0"
    frozen = await _get(city_reports, "/api/v1/overview", unit_id=ids["Q"], period=DEC)
    assert (frozen["target_count"], frozen["target_rounding_note"]) == (6, "按四舍五入取整")


async def test_an_office_that_rounds_up_configures_it(tree, city_platform):
    """KP_TARGET_ROUNDING=up: the next whole project (ceil), and the note says so."""
    instance = await start_reports_instance(city_platform, "round-up", {"KP_TARGET_ROUNDING": "up"})
    try:
        async with client(instance.url, "reports:read") as reports:
            q = {"year": TREE_YEAR, "unit_id": tree.units["Q"].id}

            async def caught_up():  # the district's starts, and every project of the year (the board counts all)
                district = (await reports.get("/api/v1/overview", params=q)).json()
                whole = (await reports.get("/api/v1/overview", params={"year": TREE_YEAR})).json()
                return district["started_or_completed_count"] == 5 and whole["project_count"] == 15

            await eventually(caught_up, timeout=SLOW, interval=0.5, what="the tree city in the other instance")
            body = await _get(reports, "/api/v1/overview", **q)
            assert (body["target_count"], body["needed_to_reach_target"]) == (7, 2)  # 6.3 up to 7
            assert body["target_rounding"] == "up" and body["target_rounding_note"] == "按进一法取整"
            board = (await _get(reports, "/board/data", year=TREE_YEAR))["totals"]
            assert (board["target_count"], board["target_rounding_note"]) == (11, "按进一法取整")
    finally:
        instance.stop()


def _display_rates(document, path: str = "") -> list[tuple[str, str, str | None]]:
    """Every exact rate in a JSON document (a field named *rate or *share, or `rate`) with its display value."""
    found = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "weights":  # the score's weights are named after the rates they weigh
                continue
            if (key.endswith("rate") or key.endswith("share")) and not isinstance(value, (dict, list)):
                assert f"{key}_percent" in document, f"{path}.{key} has no display value"
                found.append((f"{path}.{key}", value, document[f"{key}_percent"]))
            else:
                found += _display_rates(value, f"{path}.{key}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _display_rates(value, f"{path}[{index}]")
    return found


def _yi_fields(document) -> list[str]:
    if isinstance(document, dict):
        return [v for k, v in document.items() if k.endswith("_yi") and isinstance(v, str)] + [
            x for v in document.values() for x in _yi_fields(v)]
    if isinstance(document, list):
        return [x for v in document for x in _yi_fields(v)]
    return []


async def test_every_display_rate_is_rounded_half_up_beside_its_exact_value(tree, city_reports):
    ids = {key: unit.id for key, unit in tree.units.items()}
    year = {"year": TREE_YEAR}
    documents = {
        "overview": await _get(city_reports, "/api/v1/overview", **year, unit_id=ids["Q"]),
        "breakdown": await _get(city_reports, "/api/v1/breakdowns", by="unit", **year),
        "sectors": await _get(city_reports, "/api/v1/breakdowns", by="sector", **year),
        "ranking": await _get(city_reports, "/api/v1/rankings", **year, metric="investment_completion_rate"),
        "targets": await _get(city_reports, "/api/v1/targets/progress", **year),
        "board": await _get(city_reports, "/board/data", **year),
        "projects": await _get(city_reports, "/api/v1/projects", **year, unit_id=ids["Q"]),
        "monthly": await _get(city_reports, f"/api/v1/reports/monthly/{DEC}"),
    }
    for name, document in documents.items():
        rates = _display_rates(document, name)
        assert rates, name
        for where, exact, shown in rates:
            if exact is None:
                assert shown is None, where
            else:
                assert shown == half_up(Fraction(exact)), where
    assert documents["board"]["totals"]["target_rounding_note"] == "按四舍五入取整"
    assert documents["overview"]["by_colour"]["red"]["investment_share_percent"] == half_up(Fraction(1, 9))
    yi = [v for document in documents.values() for v in _yi_fields(document)]
    assert yi and all(len(v.split(".")[1]) == 2 for v in yi), yi  # 亿元 to two places
    assert documents["overview"]["total_investment_yi"] == "27.00"


def test_a_subtree_reaches_every_level_and_survives_a_cycle():
    tree = UnitTree({"district": ("park", "town"), "park": ("village",), "loop": ("back",), "back": ("loop",)})
    assert tree.subtree("district") == {"district", "park", "town", "village"}
    assert tree.subtree("district", include_descendants=False) == {"district"}
    assert tree.subtree("unknown") == {"unknown"}  # a unit reports has not heard of yet counts its own projects
    assert tree.subtree("loop") == {"loop", "back"}
