"""Every CSV and XLSX export of reports: text a spreadsheet would run as a formula is escaped (OWASP: prefixed with
`'`), numbers stay numbers (a negative one too), XLSX cells hold numbers with the office's formats, sheets are named
in Chinese."""
import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from kit.spreadsheets import safe_cell
from services.reports.exports.formats import Percent, Table, to_csv, to_xlsx
from tests.reports.trees import ALERT_MESSAGE, DEC, HYPERLINK, NOV, TARGET_NAME, TREE_YEAR

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [HYPERLINK, "+SUM(1,2)", "-2+3", "@SUM(1)", "\t制表项目", "\r回车项目", "@东关街道", "-北塘镇", TARGET_NAME,
           ALERT_MESSAGE]
EXPORTS = [f"/api/v1/reports/monthly/{DEC}", f"/api/v1/reports/quarterly/{TREE_YEAR}-Q4",
           f"/api/v1/reports/yearly/{TREE_YEAR}"]


def test_safe_cell_escapes_what_a_spreadsheet_would_run():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", HYPERLINK):
        assert safe_cell(text) == "'" + text
    for value in ("城关镇", "1-2", "", " =1", -3, Decimal("-1.5"), None, 2.5):
        assert safe_cell(value) == value


def test_the_writers_keep_numbers_numbers_and_escape_text():
    table = Table("总览", "=标题", ["=列"], [["-x", -3, Decimal("-1.50"), Percent(Decimal("0.125"), "12.5"), None]])
    rows = list(csv.reader(io.StringIO(to_csv([table]).decode("utf-8-sig"))))
    assert rows == [["'=标题"], ["'=列"], ["'-x", "-3", "-1.50", "12.5%", ""]]
    sheet = load_workbook(io.BytesIO(to_xlsx([table])))["总览"]
    assert sheet["A1"].value == "'=标题" and sheet["A2"].value == "'=列"
    text, count, amount, share = sheet[3][:4]
    assert (text.value, text.data_type) == ("'-x", "s")
    assert (count.value, count.data_type) == (-3, "n")
    assert (amount.value, amount.data_type, amount.number_format) == (-1.5, "n", "#,##0.00")
    assert (share.value, share.data_type, share.number_format) == (0.125, "n", "0.0%")
    assert sheet.cell(row=3, column=5).value is None


def _csv_fields(content: bytes) -> list[str]:
    return [field for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for field in row]


async def test_every_export_escapes_formula_text(tree, city_reports):
    for path in EXPORTS:
        response = await city_reports.get(path, params={"format": "csv"})
        assert response.status_code == 200, response.text
        fields = _csv_fields(response.content)
        assert not [f for f in fields if f.startswith(DANGEROUS) and not _number(f)], path
        assert {"'" + text for text in (HYPERLINK, "@东关街道", "-北塘镇", TARGET_NAME)} <= set(fields), path
        workbook = load_workbook(io.BytesIO((await city_reports.get(path, params={"format": "xlsx"})).content))
        cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None]
        assert not [c.coordinate for c in cells if c.data_type == "f"], path  # no formula anywhere
        texts = [c.value for c in cells if isinstance(c.value, str)]
        assert not [t for t in texts if t.startswith(DANGEROUS)], path
        assert {"'" + text for text in (HYPERLINK, "@东关街道", "-北塘镇", TARGET_NAME)} <= set(texts), path
    monthly = _csv_fields((await city_reports.get(EXPORTS[0], params={"format": "csv"})).content)
    assert {"'" + text for text in HOSTILE} - {"'" + ALERT_MESSAGE} <= set(monthly)
    assert any(f.startswith("'" + ALERT_MESSAGE) for f in monthly)  # alert messages joined in one cell


def _number(field: str) -> bool:
    try:
        Decimal(field)
    except ArithmeticError:
        return False
    return True


async def test_xlsx_holds_numbers_with_the_offices_formats_on_sheets_named_in_chinese(tree, city_reports):
    report = (await city_reports.get(f"/api/v1/reports/monthly/{DEC}")).json()
    workbook = load_workbook(io.BytesIO((await city_reports.get(f"/api/v1/reports/monthly/{DEC}",
                                                                params={"format": "xlsx"})).content))
    assert workbook.sheetnames == ["总览", "单位排名", "滞后项目", "目标任务"]
    cells = {row[1].value: row[2] for row in workbook["总览"].iter_rows(min_row=3)}
    rate = cells["start_or_completion_rate"]
    assert rate.data_type == "n" and rate.number_format == "0.0%"
    assert Decimal(str(rate.value)) == Decimal(report["overview"]["start_or_completion_rate"])
    for field in ("ytd_investment", "total_investment_yi"):
        assert cells[field].data_type == "n" and cells[field].number_format == "#,##0.00", field
    assert Decimal(str(cells["total_investment_yi"].value)) == Decimal(report["overview"]["total_investment_yi"])
    assert cells["project_count"].value == 15 and cells["target_rounding"].value == "按四舍五入取整"
    ranking = list(workbook["单位排名"].iter_rows(min_row=3))
    changes = [row[2] for row in ranking if row[2].value is not None]
    assert changes and all(c.data_type == "n" for c in changes)  # rank changes (negative ones too) are numbers
    assert all(row[9].number_format == "0.0%" for row in ranking if row[9].value is not None)
    targets = {row[0].value: row for row in workbook["目标任务"].iter_rows(min_row=3)}
    ours = targets["'" + TARGET_NAME]
    assert (ours[4].value, ours[5].value, ours[6].value) == (6, 5, 1) and ours[7].number_format == "0.0%"
    months = load_workbook(io.BytesIO((await city_reports.get(f"/api/v1/reports/quarterly/{TREE_YEAR}-Q4",
                                                              params={"format": "xlsx"})).content))
    assert months.sheetnames == ["逐月汇总", "总览", "单位排名", "滞后项目", "目标任务"]
    assert [row[0].value for row in months["逐月汇总"].iter_rows(min_row=3)][:2] == [NOV, DEC]
