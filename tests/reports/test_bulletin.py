"""The monthly bulletin (调度通报) from a month's snapshot: DOCX (headings, tables, page numbers) and Markdown, in the
office's words; every figure read back from the document equals the snapshot's; the wording comes from a template
the office can replace."""
import io
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from pydantic import ValidationError

from services.reports.bulletin import render
from services.reports.settings import ReportsSettings
from tests.reports.cities import APR, DATED_YEAR
from tests.support.api import eventually


async def _bulletin(reports, period: str, **kwargs):
    response = await reports.get(f"/api/v1/reports/bulletin/{period}", **kwargs)
    assert response.status_code == 200, response.text
    return response


async def round_applied(reports) -> None:
    """April's reporting round (produced with the dated city) applied by reports."""
    async def applied():
        response = await reports.get(f"/api/v1/reporting/{APR}")
        return response.status_code == 200 and response.json()["late"] == 1

    await eventually(applied, timeout=60, what="April's reporting round in reports")


async def test_the_docx_bulletin_says_what_the_snapshot_holds(dated, city_reports):
    await round_applied(city_reports)
    report = (await city_reports.get(f"/api/v1/reports/monthly/{APR}")).json()
    response = await _bulletin(city_reports, APR, params={"format": "docx"})
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert "attachment" in response.headers["content-disposition"]
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    overview = report["overview"]
    assert document.paragraphs[0].text == f"{DATED_YEAR}年重点项目4月调度通报"
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"][:2] == ["一、总体情况", "二、产业结构"]
    assert (f"共纳入重点项目{overview['project_count']}个，总投资{overview['total_investment_yi']}亿元，"
            f"年度计划投资{overview['annual_plan_investment_yi']}亿元") in text
    assert (f"1—4月累计完成投资{overview['ytd_investment_yi']}亿元，"
            f"完成年度计划的{overview['investment_completion_rate_percent']}%（序时进度33.3%）") in text
    assert (f"已开工（含竣工）项目{overview['started_or_completed_count']}个，"
            f"开工率{overview['start_or_completion_rate_percent']}%") in text
    assert f"目标开工{overview['target_count']}个（{overview['target_rounding_note']}）" in text
    assert f"在办督办件{overview['open_tasks']}件，其中超期{overview['late_tasks']}件" in text
    # the units ranked: the ranking table holds the snapshot's ranking, best first
    ranking = [row for row in report["rankings"]["all"]["items"] if row["project_count"]]
    units = document.tables[1]
    assert [c.text for c in units.rows[0].cells][:3] == ["名次", "单位", "得分"]
    best = [[c.text for c in row.cells] for row in units.rows[1:1 + min(3, len(ranking))]]
    assert [(r[0], r[1], r[2]) for r in best] == [(str(row["rank"]), row["unit_name"], row["score_display"])
                                                 for row in ranking[:3]]
    # the sector mix adds up to the list
    sectors = document.tables[0]
    assert sum(int(row.cells[1].text) for row in sectors.rows[1:]) == overview["project_count"]
    # red projects with their reasons, as frozen
    frozen = (await city_reports.get(f"/api/v1/snapshots/{APR}/projects", params={"limit": 500})).json()["items"]
    for project in (p for p in frozen if p["colour"] == "red"):
        assert any(project["name"] in line and "；".join(project["alert_messages"]) in line
                   for line in text.splitlines()), project["name"]
    footer = document.sections[0].footer.paragraphs[0]._p.xml
    assert 'w:instr="PAGE"' in footer
    # April's reporting round (月调度): A on time, D late, C not reported
    assert "本月调度应报送项目3个，按时报送1个，逾期报送1个，未报送1个（报送截止5月5日）" in text
    assert "未报送的单位：柳镇（1个）。" in text
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"][-2:] == ["五、月调度报送与停复工",
                                                                                          "六、督办情况"]


async def test_markdown_by_accept_and_bad_periods(dated, city_reports):
    response = await _bulletin(city_reports, APR, headers={"Accept": "text/markdown"})
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.text.startswith(f"# {DATED_YEAR}年重点项目4月调度通报")
    assert "| 名次 | 单位 |" in response.text
    assert (await city_reports.get("/api/v1/reports/bulletin/2026-13")).status_code == 422
    missing = await city_reports.get(f"/api/v1/reports/bulletin/{DATED_YEAR - 5}-01")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert (await city_reports.get(f"/api/v1/reports/bulletin/{APR}", params={"format": "pdf"})).status_code == 422


async def test_reporting_timeliness_per_unit(dated, city_reports):
    await round_applied(city_reports)
    body = (await city_reports.get(f"/api/v1/reporting/{APR}")).json()
    assert (body["expected"], body["on_time"], body["late"], body["missing"], body["deadline"]) == (
        3, 1, 1, 1, f"{DATED_YEAR}-05-05")
    rows = {u["unit_name"]: u for u in body["units"]}
    assert [u["unit_name"] for u in body["units"]] == ["高新区管委会", "临河县", "柳镇"]  # on time first, missing last
    assert (rows["高新区管委会"]["on_time_rate_percent"], rows["临河县"]["late"]) == ("100.0", 1)
    assert (rows["柳镇"]["missing"], len(rows["柳镇"]["missing_projects"])) == (1, 1)
    assert (await city_reports.get(f"/api/v1/reporting/{DATED_YEAR - 5}-01")).status_code == 404


async def test_reporting_timeliness_is_a_ranking_metric(dated, city_reports):
    """Ranked by the year's monthly reports on time / due: April's round (the only one) as the units reported it;
    read only when asked for."""
    await round_applied(city_reports)
    body = (await city_reports.get("/api/v1/rankings", params={
        "year": DATED_YEAR, "metric": "reporting_on_time_rate", "include_descendants": "false"})).json()
    rows = {r["unit_name"]: r for r in body["items"]}
    assert (rows["高新区管委会"]["rank"], rows["高新区管委会"]["value_percent"]) == (1, "100.0")
    # 临河县 reported late; 柳镇's project has left the list since (it ranks no more)
    assert (rows["临河县"]["rank"], rows["临河县"]["reporting_on_time_rate_percent"]) == (2, "0.0")
    assert "柳镇" not in rows
    assert all(r["reporting_on_time_rate"] is None for name, r in rows.items()
               if name not in ("高新区管委会", "临河县"))  # nothing was due from them
    by_score = (await city_reports.get("/api/v1/rankings", params={"year": DATED_YEAR})).json()
    assert all(r["reporting_on_time_rate"] is None for r in by_score["items"])  # not weighted: not read


def test_an_office_template_words_the_bulletin_and_data_never_breaks_its_layout(tmp_path: Path):
    template = tmp_path / "ours.md.j2"
    template.write_text("# {{ year }}年{{ month }}月通报\n\n| 项目 |\n|---|\n{% for p in names %}| {{ p }} |\n{% endfor %}"
                        "\n合计{{ total | yi }}亿元\n", encoding="utf-8")
    text = render.markdown({"year": 2026, "month": 5, "names": ["一|二", "换\n行"], "total": "123456"}, template)
    assert text.splitlines() == ["# 2026年5月通报", "", "| 项目 |", "|---|", "| 一｜二 |", "| 换 行 |",
                                 "合计12.35亿元"]
    with pytest.raises(ValidationError, match="KP_BULLETIN_TEMPLATE"):
        ReportsSettings(bulletin_template=tmp_path / "missing.md.j2")
    broken = tmp_path / "broken.md.j2"
    broken.write_text("{{ not_given }}", encoding="utf-8")
    with pytest.raises(Exception) as caught:
        render.markdown({}, broken)
    assert getattr(caught.value, "status", None) == 503 and "broken.md.j2" in str(caught.value)
    assert Decimal("12.35") == render._environment(tmp_path).filters["yi"]("123456")
