"""Reports' gauges on /metrics: projects by stage and colour, completion ratios, the start rate, ranking ends."""
import math
from decimal import Decimal

from tests.reports.cities import YEAR
from tests.support.api import eventually
from tests.support.metrics import samples, scrape, value


async def test_gauges_follow_the_figures(city, city_platform, city_reports):
    url = city_platform.url("reports")
    overview = (await city_reports.get("/api/v1/overview", params={"year": YEAR})).json()
    year = str(YEAR)

    async def refreshed():
        text = await scrape(url)
        return value(text, "kp_reports_projects_by_colour", year=year, colour="red") == \
            overview["by_colour"]["red"]["count"] and value(text, "kp_reports_projects_by_stage", year=year) == 116

    await eventually(refreshed, timeout=60, interval=0.5, what="the reports gauges refreshed")
    text = await scrape(url)
    for stage, group in overview["by_stage"].items():
        assert value(text, "kp_reports_projects_by_stage", year=year, stage=stage) == group["count"]
    for colour, group in overview["by_colour"].items():
        assert value(text, "kp_reports_projects_by_colour", year=year, colour=colour) == group["count"]
    overall = value(text, "kp_reports_investment_completion_ratio", year=year, unit_id="all")
    assert math.isclose(overall, float(Decimal(overview["investment_completion_rate"])), rel_tol=1e-9)
    t1 = value(text, "kp_reports_investment_completion_ratio", year=year, unit_id=city.units["T1"].id)
    assert math.isclose(t1, 0.05000000005, rel_tol=1e-9)
    assert math.isclose(value(text, "kp_reports_start_or_completion_ratio", year=year, kind="actual"), 66 / 116)
    assert value(text, "kp_reports_start_or_completion_ratio", year=year, kind="target") == 0.7
    ranking = (await city_reports.get("/api/v1/rankings", params={"year": YEAR, "group": "town"})).json()["items"]
    ends = {s[1]["position"]: s for s in samples(text)
            if s[0] == "kp_reports_ranking_score" and s[1]["group"] == "town" and s[1]["year"] == year}
    assert ends["top"][1]["unit_id"] == ranking[0]["unit_id"]
    assert ends["bottom"][1]["unit_id"] == ranking[-1]["unit_id"]
    assert math.isclose(ends["top"][2], float(Decimal(ranking[0]["score"])))
