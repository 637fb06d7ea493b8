"""The monthly report from its snapshot as JSON, CSV and XLSX (parsed back), and quarterly and yearly roll-ups."""
import csv
import io

from openpyxl import load_workbook

from tests.reports.cities import DEC, LAST_YEAR, NOV

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_sections(content: bytes) -> dict[str, list[list[str]]]:
    """Title -> rows (header first) of each blank-line separated section."""
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM to read Chinese"
    sections, current = {}, None
    for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))):
        if not row:
            current = None
        elif current is None:
            current = sections.setdefault(row[0], [])
        else:
            current.append(row)
    return sections


async def test_the_monthly_report_as_json(history, city_reports):
    response = await city_reports.get(f"/api/v1/reports/monthly/{DEC}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    report = response.json()
    assert report["period"] == DEC and report["as_of"] == f"{LAST_YEAR}-12-31"
    assert report["overview"] == history.december["overview"]
    towns = report["rankings"]["town"]
    assert towns["previous_period"] == NOV and [r["unit_name"] for r in towns["items"]][0] in ("南关街道", "河口镇")
    assert len(report["rankings"]["department"]["items"]) == 2 and len(report["rankings"]["all"]["items"]) == 5
    assert [p["project_id"] for p in report["lagging_projects"]] == [history.projects[("HT1", 0)].id]
    assert {i["target"]["name"] for i in report["targets"]["items"]} >= {"上年目标-started", "上年目标-completed"}


async def test_the_monthly_report_as_csv_opens_in_excel(history, city_reports):
    response = await city_reports.get(f"/api/v1/reports/monthly/{DEC}", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert f"report-{DEC}.csv" in response.headers["content-disposition"]
    sections = csv_sections(response.content)
    titles = list(sections)
    assert len(titles) == 4 and "概览" in titles[0] and "排名" in titles[1] and "滞后" in titles[2] and "目标" in titles[3]
    overview = {row[1]: row[2] for row in sections[titles[0]][1:]}
    report = (await city_reports.get(f"/api/v1/reports/monthly/{DEC}")).json()["overview"]
    assert overview["project_count"] == "10" and overview["ytd_investment"] == report["ytd_investment"] == "17000"
    assert overview["start_or_completion_rate"] == f"{report['start_or_completion_rate_percent']}%" == "60.0%"
    assert overview["by_colour.red"] == "1" and overview["needed_to_reach_target"] == "1"
    header, *ranking = sections[titles[1]]
    assert header[:5] == ["分组", "排名", "名次变化", "单位编码", "单位"]
    assert [row[0] for row in ranking] == ["乡镇街道"] * 3 + ["市直部门"] * 2
    lagging = sections[titles[2]][1:]
    assert [row[0] for row in lagging] == [history.projects[("HT1", 0)].code] and lagging[0][4] == "红色"
    by_accept = await city_reports.get(f"/api/v1/reports/monthly/{DEC}", headers={"Accept": "text/csv"})
    assert by_accept.content == response.content


async def test_the_monthly_report_as_xlsx_opens(history, city_reports):
    response = await city_reports.get(f"/api/v1/reports/monthly/{DEC}", headers={"Accept": XLSX})
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["总览", "单位排名", "滞后项目", "目标任务"]
    report = (await city_reports.get(f"/api/v1/reports/monthly/{DEC}")).json()
    rows = list(workbook["总览"].iter_rows(min_row=3, values_only=True))
    values = {field: value for _, field, value in rows}
    assert values["project_count"] == 10 and str(values["ytd_investment"]) == report["overview"]["ytd_investment"]
    assert values["start_or_completion_rate"] == 0.6  # a number cell (formatted 0.0%), not the text "60.0%"
    ranking = list(workbook["单位排名"].iter_rows(min_row=3, values_only=True))
    towns = [r for r in ranking if r[0] == "乡镇街道"]
    assert [(r[1], r[2], r[4]) for r in towns] == [
        (row["rank"], row["rank_change"], row["unit_name"]) for row in report["rankings"]["town"]["items"]]
    lagging = list(workbook["滞后项目"].iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in lagging] == [history.projects[("HT1", 0)].code]
    targets = list(workbook["目标任务"].iter_rows(min_row=3, values_only=True))
    assert len(targets) == len(report["targets"]["items"])
    assert {r[0]: r[8] for r in targets}["上年目标-completed"] == "是"  # 未破零


async def test_quarters_and_years_roll_the_months_up(history, city_reports):
    september = await city_reports.post("/api/v1/snapshots", json={"period": f"{LAST_YEAR}-09"})
    assert september.status_code in (201, 409)
    quarter = (await city_reports.get(f"/api/v1/reports/quarterly/{LAST_YEAR}-Q4")).json()
    assert [m["period"] for m in quarter["months"]] == [NOV, DEC]
    assert quarter["missing_months"] == [f"{LAST_YEAR}-10"] and quarter["complete"] is False
    # December's year-to-date less September's (nothing had been invested by then)
    assert quarter["period_investment"] == "17000" and quarter["latest"]["period"] == DEC
    assert [m["started_or_completed_count"] for m in quarter["months"]] == [4, 6]
    year = (await city_reports.get(f"/api/v1/reports/yearly/{LAST_YEAR}")).json()
    assert [m["period"] for m in year["months"]] == [f"{LAST_YEAR}-09", NOV, DEC]
    assert year["period_investment"] == "17000" and len(year["missing_months"]) == 9
    workbook = load_workbook(io.BytesIO((await city_reports.get(
        f"/api/v1/reports/quarterly/{LAST_YEAR}-Q4", params={"format": "xlsx"})).content))
    assert workbook.sheetnames == ["逐月汇总", "总览", "单位排名", "滞后项目", "目标任务"]
    months = list(workbook["逐月汇总"].iter_rows(min_row=3, values_only=True))
    assert [m[0] for m in months[:2]] == [NOV, DEC]
    sections = csv_sections((await city_reports.get(f"/api/v1/reports/yearly/{LAST_YEAR}",
                                                    params={"format": "csv"})).content)
    assert len(sections) == 5
    assert (await city_reports.get(f"/api/v1/reports/quarterly/{LAST_YEAR}-Q2")).status_code == 404
    assert (await city_reports.get(f"/api/v1/reports/quarterly/{LAST_YEAR}-Q5")).status_code == 422
