"""Project import: template round trips, CSV and XLSX, all-or-nothing vs partial, re-import, limits, permissions."""
import codecs
import csv
import io
import os
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from contracts import topics
from contracts.catalog import CATALOG
from contracts.envelope import decode
from contracts.registry import BudgetChanged, ProjectRegistered, ProjectUpdated
from services.registry.imports.schemas import COLUMNS, EXTRA_COLUMNS, STAGE_DATE_COLUMNS, UNIT_CODE, UNIT_ID
from services.registry.projects.schemas import ProjectCreate
from tests.registry.conftest import published
from tests.support.api import client, eventually
from tests.support.factories import code, create_project, create_unit
from tests.support.kafka import read_topic

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = [c.header for c in COLUMNS]  # "*项目编码(code)", ...
FIELDS = [c.field for c in COLUMNS]


def row(unit_code: str, **overrides) -> dict:
    return {"code": code("IMP"), "name": "智能装备产业园", "year": 2026, "level": "municipal",
            "category": "manufacturing", "total_investment": "50000", "annual_plan_investment": "20000",
            UNIT_CODE: unit_code, **overrides}


def cells(values: dict, fields: list[str] = FIELDS) -> list:
    return [values.get(f, "") for f in fields]


def csv_file(rows: list[dict], *, header: list[str] = HEADER, fields: list[str] = FIELDS,
             encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(cells(r, fields) for r in rows)
    return out.getvalue().encode(encoding)


def xlsx_file(rows: list[list], *, before: list[list] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r in [*before, *rows]:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def upload(registry, content: bytes, *, filename: str = "projects.csv", media_type: str = "text/csv",
                 mode: str | None = None):
    params = {"mode": mode} if mode else {}
    return await registry.post("/api/v1/projects/import", params=params,
                               files={"file": (filename, content, media_type)})


async def projects_of(registry, unit_id: str) -> dict[str, dict]:
    items = (await registry.get("/api/v1/projects", params={"unit_id": unit_id, "limit": 200})).json()["items"]
    return {p["code"]: p for p in items}


def errors_of(response) -> set[tuple]:
    return {(e["row"], e["field"]) for e in response.json()["errors"]}


@pytest.fixture
async def unit(registry):
    return await create_unit(registry)


def test_template_columns_cover_every_create_field():
    fields = {c.field for c in (*COLUMNS, *EXTRA_COLUMNS)} - {UNIT_CODE} - set(STAGE_DATE_COLUMNS)
    assert fields | {"stage_dates"} == set(ProjectCreate.model_fields)


async def test_csv_template_round_trip(registry, unit):
    response = await registry.get("/api/v1/projects/import/template", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(codecs.BOM_UTF8)
    header, example = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[0] == "*项目编码(code)" and "*责任单位编码(responsible_unit_code)" in header
    example = dict(zip(FIELDS, example))
    as_is = await upload(registry, response.content)
    assert as_is.status_code == 422 and "示例行" in as_is.json()["errors"][0]["message"]
    first, second = code("TPL"), code("TPL")
    rows = [{**example, "code": first, UNIT_CODE: unit["code"]},
            {**example, "code": second, UNIT_CODE: unit["code"], "name": "第二个项目"}]
    response = await upload(registry, csv_file(rows))
    assert response.status_code == 200, response.text
    assert response.json() | {"errors": []} == {"mode": "all_or_nothing", "rows": 2, "created": 2, "updated": 0,
                                                "unchanged": 0, "failed": 0, "errors": [], "errors_truncated": False}
    stored = await projects_of(registry, unit["id"])
    project = stored[first]
    assert (project["level"], project["category"], project["sector"]) == ("municipal", "manufacturing", "secondary")
    assert project["total_investment"] == "120000.5" and project["bracket"] == "10_50yi"
    assert project["planned_start_date"] == "2026-03-01" and project["concentrated_start"] is True
    assert project["government_funded"] is False and project["tags"] == ["新能源", "链主企业"]
    assert project["contact_phone"] == "0571-88886666" and project["stage"] == "planning"
    assert stored[second]["name"] == "第二个项目"


async def test_xlsx_template_round_trip(registry, unit):
    response = await registry.get("/api/v1/projects/import/template", params={"format": "xlsx"})
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["项目", "说明"]
    sheet = workbook["项目"]
    header = [c.value for c in sheet[1]]
    assert header == HEADER
    assert isinstance(sheet.cell(2, FIELDS.index("planned_start_date") + 1).value, datetime)
    sheet.cell(2, 1).value = new_code = code("XT")
    sheet.cell(2, FIELDS.index(UNIT_CODE) + 1).value = unit["code"]
    out = io.BytesIO()
    workbook.save(out)
    response = await upload(registry, out.getvalue(), filename="填好的模板.xlsx", media_type=XLSX)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    project = (await projects_of(registry, unit["id"]))[new_code]
    assert project["planned_completion_date"] == "2027-12-31" and project["total_investment"] == "120000.5"
    assert (await registry.get("/api/v1/projects/import/template", params={"format": "pdf"})).status_code == 422


async def test_xlsx_typed_cells_title_rows_and_row_numbers(registry, unit):
    fields = ["code", "name", "year", "category", "total_investment", "annual_plan_investment", UNIT_CODE,
              "planned_start_date", "government_funded", "latitude", "contact_phone"]
    numeric_code = int(datetime.now().strftime("%H%M%S%f"))
    rows = [
        [f"XL-{numeric_code}", "数字单元格", 2026.0, "工业", 1234.5, 0.1 + 0.2, unit["code"], datetime(2026, 4, 1),
         True, 30.123456, 13800138000],
        [numeric_code, "编码是数字", 2026, "industry", 10, 1, unit["code"], date(2026, 5, 1), "是", None, None],
        [None] * len(fields),  # a blank row is skipped but keeps the numbering
        [code("XL"), "坏的行", 2026, "industry", -5, 1, unit["code"], "明天", None, None, None],
    ]
    content = xlsx_file(rows=[fields, *rows], before=[["2026年重点项目清单"], []])
    response = await upload(registry, content, filename="清单.xlsx", media_type=XLSX, mode="partial")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows"], body["created"], body["failed"]) == (3, 2, 1)
    # title in row 1, blank row 2, header row 3, data rows 4, 5, (blank 6), 7
    assert errors_of(response) == {(7, "total_investment"), (7, "planned_start_date")}
    assert {e["column"] for e in body["errors"]} == {"total_investment", "planned_start_date"}
    stored = await projects_of(registry, unit["id"])
    first = stored[f"XL-{numeric_code}"]
    assert first["annual_plan_investment"] == "0.3" and first["total_investment"] == "1234.5"
    assert first["planned_start_date"] == "2026-04-01" and first["government_funded"] is True
    assert first["latitude"] == "30.123456" and first["contact_phone"] == "13800138000"
    assert first["category"] == "industry" and first["year"] == 2026
    assert stored[str(numeric_code)]["government_funded"] is True


def excel_style_xlsx(project_code: str, unit_code: str) -> bytes:
    """A workbook as Excel writes it (openpyxl writes inline strings): shared strings, one with rich-text runs
    and a phonetic hint, dates as serials styled by the built-in format 14 and the Chinese format 31, a boolean,
    and a second sheet that is not read."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    strings = ["code", "name", "year", "category", "total_investment", "annual_plan_investment", UNIT_CODE,
               "planned_start_date", "planned_completion_date", "government_funded", project_code, unit_code, "工业"]
    shared = "".join(f"<si><t>{s}</t></si>" for s in strings)
    shared += "<si><r><t>富文本</t></r><r><rPr><b/></rPr><t>项目</t></r><rPh sb='0' eb='1'><t>フ</t></rPh></si>"
    header = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(10))
    data = (f'<c r="A3" t="s"><v>10</v></c><c r="B3" t="s"><v>13</v></c><c r="C3"><v>2026</v></c>'
            f'<c r="D3" t="s"><v>12</v></c><c r="E3"><v>1500.25</v></c><c r="F3"><v>300</v></c>'
            f'<c r="G3" t="s"><v>11</v></c><c r="H3" s="1"><v>46082</v></c><c r="I3" s="2"><v>46387</v></c>'
            f'<c r="J3" t="b"><v>1</v></c>')
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.xml": f'<workbook {ns} xmlns:r="{rel}"><sheets><sheet name="清单" sheetId="1" r:id="rId1"/>'
                           f'<sheet name="其他" sheetId="2" r:id="rId2"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/worksheet" Target="/xl/worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId4" Type="{rel}/styles" Target="styles.xml"/></Relationships>'),
        "xl/sharedStrings.xml": f"<sst {ns}>{shared}</sst>",
        "xl/styles.xml": f'<styleSheet {ns}><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="31"/>'
                         '</cellXfs></styleSheet>',
        "xl/worksheets/sheet1.xml": f'<worksheet {ns}><dimension ref="A1"/><sheetData><row r="1">{header}</row>'
                                    f'<row r="3">{data}</row></sheetData></worksheet>',
        "xl/worksheets/sheet2.xml": f'<worksheet {ns}><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
                                    '</sheetData></worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


async def test_excel_written_workbook(registry, unit):
    project_code = code("EX")
    content = excel_style_xlsx(project_code, unit["code"])
    response = await upload(registry, content, filename="export.xlsx", media_type=XLSX)
    assert response.status_code == 200, response.text
    project = (await projects_of(registry, unit["id"]))[project_code]
    assert (project["name"], project["category"], project["total_investment"]) == ("富文本项目", "industry", "1500.25")
    assert (project["planned_start_date"], project["planned_completion_date"]) == ("2026-03-01", "2026-12-31")
    assert project["government_funded"] is True


async def test_all_or_nothing_lists_every_bad_row_and_writes_nothing(registry, unit):
    rows = [
        row(unit["code"]),
        row(unit["code"], total_investment="-1", category="mining"),
        row(unit["code"]),
        row("NO-SUCH-UNIT", planned_start_date="2026-13-01"),
        row(unit["code"], total_investment="100", annual_plan_investment="101"),
    ]
    response = await upload(registry, csv_file(rows))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/validation-error") and "3 of 5 rows" in body["detail"]
    assert errors_of(response) == {(3, "total_investment"), (3, "category"), (5, UNIT_CODE),
                                   (5, "planned_start_date"), (6, "annual_plan_investment")}
    assert {e["message"] for e in body["errors"] if e["row"] == 5} == {
        "没有此编码的单位", "「2026-13-01」不是有效的日期"}
    assert {e["column"] for e in body["errors"] if e["row"] == 3} == {"*总投资（万元）(total_investment)",
                                                                      "*项目类别(category)"}
    assert await projects_of(registry, unit["id"]) == {}


async def test_partial_imports_the_good_rows_and_reports_the_bad(registry, unit):
    good = [row(unit["code"]), row(unit["code"], level="省级", sector="三产", tags="重点;  技改 ")]
    rows = [good[0], row(unit["code"], year="二〇二六"), good[1], row(unit["code"], budget="10")]
    response = await upload(registry, csv_file(rows), mode="partial")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["failed"], body["rows"]) == (2, 2, 4)
    assert errors_of(response) == {(3, "year"), (5, "budget")}
    stored = await projects_of(registry, unit["id"])
    assert set(stored) == {g["code"] for g in good}
    second = stored[good[1]["code"]]
    assert (second["level"], second["sector"], second["tags"]) == ("provincial", "tertiary", ["重点", "技改"])


async def test_repeated_code_in_the_file_is_an_error(registry, unit):
    first = row(unit["code"])
    response = await upload(registry, csv_file([first, row(unit["code"]), {**first, "name": "别的名字"}]))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["row"], error["field"]) == (4, "code") and "第 2 行" in error["message"]


async def distinct_events(platform, subjects: set[str]) -> dict[str, set[tuple[str, str]]]:
    """(type, envelope id) of every event about `subjects` on keyproject.registry: a message the relay delivered
    twice (at least once) counts once, a second event counts."""
    found: dict[str, set[tuple[str, str]]] = {s: set() for s in subjects}
    for record in await read_topic(platform.broker.bootstrap, topics.REGISTRY):
        event, _ = decode(record.value, CATALOG)
        if event.subject in found:
            found[event.subject].add((event.type, event.id))
    return found


async def test_reimport_changes_nothing_and_reaches_reports_once(platform, registry, reports, unit, registry_events):
    rows = [row(unit["code"], total_investment="100", annual_plan_investment="10") for _ in range(3)]
    content = csv_file(rows)
    first = await upload(registry, content)
    assert first.status_code == 200 and first.json()["created"] == 3
    ids = {p["id"] for p in (await projects_of(registry, unit["id"])).values()}

    async def counted():
        body = (await reports.get("/api/v1/overview", params={"unit_id": unit["id"]})).json()
        return body["project_count"] == 3 and body["total_investment"] == "300"

    await eventually(counted, timeout=60, what="imported projects in the reports overview")
    again = await upload(registry, content)
    assert again.status_code == 200
    assert again.json() | {"errors": []} == {"mode": "all_or_nothing", "rows": 3, "created": 0, "updated": 0,
                                             "unchanged": 3, "failed": 0, "errors": [], "errors_truncated": False}
    # The relay publishes in outbox order: once a later event is on the broker, anything the re-import staged is too.
    sentinel = await create_project(registry, (await create_unit(registry))["id"])
    await registry_events(sentinel["id"], ProjectRegistered, timeout=60)
    events = await distinct_events(platform, ids)
    assert {s: [t for t, _ in e] for s, e in events.items()} == {s: [ProjectRegistered.type] for s in ids}
    assert await counted()


async def test_a_changed_row_updates_the_project_with_history_and_an_event(registry, unit, registry_events):
    rows = [row(unit["code"], owner="甲公司"), row(unit["code"], planned_start_date="2026-06-01")]
    assert (await upload(registry, csv_file(rows))).json()["created"] == 2
    rows[0] = {**rows[0], "name": "改名后的项目", "annual_plan_investment": "25000.000", "owner": ""}
    response = await upload(registry, csv_file(rows))
    assert response.status_code == 200, response.text
    assert (response.json()["updated"], response.json()["unchanged"]) == (1, 1)
    project = (await projects_of(registry, unit["id"]))[rows[0]["code"]]
    assert (project["name"], project["annual_plan_investment"], project["owner"]) == ("改名后的项目", "25000", None)
    assert project["version"] == 2
    history = (await registry.get(f"/api/v1/projects/{project['id']}/history")).json()["items"]
    assert [(h["action"], h["note"]) for h in history] == [("updated", "import")]
    assert history[0]["changes"] == {"name": {"before": "智能装备产业园", "after": "改名后的项目"},
                                     "annual_plan_investment": {"before": "20000", "after": "25000"},
                                     "owner": {"before": "甲公司", "after": None}}
    [event] = await registry_events(project["id"], ProjectUpdated)
    assert event.changed == ["annual_plan_investment", "name", "owner"] and event.version == 2
    # Columns the file leaves out stay as they are; rules are checked on the merged project.
    narrow = ["code", "name", "year", "category", "total_investment", "annual_plan_investment", UNIT_CODE,
              "planned_completion_date"]
    early = {**rows[1], "planned_completion_date": "2026-01-31"}
    response = await upload(registry, csv_file([early], header=narrow, fields=narrow))
    assert response.status_code == 422 and errors_of(response) == {(2, "planned_completion_date")}
    assert "按项目现有数据核对" in response.json()["errors"][0]["message"]
    response = await upload(registry, csv_file([{**rows[1], "category": "agriculture"}], header=narrow, fields=narrow))
    assert response.json()["updated"] == 1
    moved = (await projects_of(registry, unit["id"]))[rows[1]["code"]]
    assert (moved["category"], moved["sector"], moved["level"]) == ("agriculture", "primary", "municipal")
    assert moved["planned_start_date"] == "2026-06-01" and moved["version"] == 2


async def test_raw_bodies_labels_only_headers_and_gbk_from_excel(registry, unit):
    labels = ["项目编码", "项目名称", "年度", "项目类别", "总投资（万元）", "年度计划投资（万元）", "责任单位编码"]
    fields = ["code", "name", "year", "category", "total_investment", "annual_plan_investment", UNIT_CODE]
    gbk = row(unit["code"], name="老城区供水管网改造", category="基础设施", total_investment="1,200.5",
              annual_plan_investment="100")
    content = csv_file([gbk], header=labels, fields=fields, encoding="gb18030")
    response = await registry.post("/api/v1/projects/import", content=content,
                                   headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    stored = (await projects_of(registry, unit["id"]))[gbk["code"]]
    assert (stored["name"], stored["category"], stored["total_investment"]) == (
        "老城区供水管网改造", "infrastructure", "1200.5")
    by_id = row("", responsible_unit_id=unit["id"])
    header = ["code", "name", "year", "category", "total_investment", "annual_plan_investment", "responsible_unit_id"]
    xlsx = xlsx_file([header, cells(by_id, header)])
    response = await registry.post("/api/v1/projects/import", content=xlsx, headers={"Content-Type": XLSX})
    assert response.status_code == 200 and response.json()["created"] == 1, response.text


@pytest.mark.parametrize("content, filename, fragment", [
    (b"", "empty.csv", "empty"),
    (b"\xef\xbb\xbf\r\n\r\n", "blank.csv", "empty"),
    (os.urandom(4096), "noise.bin", "binary"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "photo.png", "binary"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old.xls", ".xls"),
    (b'{"code": "P-1"}', "projects.json", "JSON"),
    (b"code,name\nP-1,x\n", "projects.xlsx", "not an Excel workbook"),
    (b"PK\x03\x04" + os.urandom(300), "broken.xlsx", "not a readable XLSX"),
])
async def test_unreadable_files_are_422_not_500(registry, content, filename, fragment):
    response = await upload(registry, content, filename=filename, media_type="application/octet-stream")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.json()["detail"]


async def test_a_zip_that_is_not_a_workbook_is_422(registry):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    response = await upload(registry, out.getvalue(), filename="x.xlsx", media_type=XLSX)
    assert response.status_code == 422 and "XLSX" in response.json()["detail"]


async def test_header_problems_are_listed(registry, unit):
    missing = await upload(registry, csv_file([{"code": "P-1", "name": "x"}], header=["code", "name"],
                                              fields=["code", "name"]))
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {
        "year", "category", "total_investment", "annual_plan_investment", UNIT_CODE}
    assert all(e["row"] == 1 for e in missing.json()["errors"])
    unknown = await upload(registry, csv_file([row(unit["code"])], header=[*HEADER, "备注"], fields=[*FIELDS, "x"]))
    assert unknown.status_code == 422
    assert [(e["column"], e["field"]) for e in unknown.json()["errors"]] == [("备注", None)]
    twice = await upload(registry, csv_file([row(unit["code"])], header=[*HEADER, "name"], fields=[*FIELDS, "name"]))
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "name"
    header_only = await upload(registry, csv_file([]))
    assert header_only.status_code == 422 and "no data rows" in header_only.json()["detail"]
    stray = await upload(registry, csv_file([row(unit["code"], stray="x")], header=[*HEADER, ""],
                                            fields=[*FIELDS, "stray"]))
    assert stray.status_code == 422
    assert [(e["row"], e["column"]) for e in stray.json()["errors"]] == [(2, "AD")]
    assert (await registry.post("/api/v1/projects/import", data={"mode": "partial"})).status_code == 422


async def test_size_and_row_limits(registry, unit):
    too_big = await registry.post("/api/v1/projects/import", content=b"a" * (20 * 1024 * 1024 + 1),
                                  headers={"Content-Type": "text/csv"})
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
    line = ",".join(str(v) for v in cells(row(unit["code"], code="P-LIMIT")))
    content = codecs.BOM_UTF8 + ("\r\n".join([",".join(HEADER)] + [line] * 50_001)).encode()
    too_many = await upload(registry, content)
    assert too_many.status_code == 422 and "more than 50000 data rows" in too_many.json()["detail"]


async def test_permissions_scope_and_unit_bound_tokens(platform, registry, unit):
    other = await create_unit(registry)
    content = csv_file([row(unit["code"])])
    async with client(platform.url("registry"), "projects:read") as reader:
        assert (await upload(reader, content)).status_code == 403
        assert (await reader.get("/api/v1/projects/import/template")).status_code == 200
    async with client(platform.url("registry"), auth=False) as anonymous:
        assert (await anonymous.get("/api/v1/projects/import/template")).status_code == 401
    foreign = await create_project(registry, other["id"])
    own_rows = [row(unit["code"]), row(unit["code"])]
    rows = [own_rows[0], row(other["code"]), own_rows[1], row(unit["code"], code=foreign["code"])]
    async with client(platform.url("registry"), "projects:write", unit_id=unit["id"]) as town:
        refused = await upload(town, csv_file(rows))
        assert refused.status_code == 422
        assert errors_of(refused) == {(3, UNIT_CODE), (5, "code")}
        partial = await upload(town, csv_file(rows), mode="partial")
        assert (partial.json()["created"], partial.json()["failed"]) == (2, 2)
        # the code of another unit's project: matched, and refused as that unit's
        mine = [row(unit["code"], code=foreign["code"])]
        taken = await upload(town, csv_file(mine))
        assert taken.status_code == 422 and errors_of(taken) == {(2, "code")}
    assert set(await projects_of(registry, unit["id"])) == {r["code"] for r in own_rows}


async def test_archived_project_code_is_an_error(registry, unit):
    project = await create_project(registry, unit["id"])
    archived = await registry.post(f"/api/v1/projects/{project['id']}/archive", json={"reason": "调出"})
    assert archived.status_code == 200
    response = await upload(registry, csv_file([row(unit["code"], code=project["code"])]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "此编码的项目已归档"


async def test_an_unknown_unit_is_listed_with_the_rules_a_row_breaks(registry, unit):
    rows = [row("NO-SUCH-UNIT", total_investment="100", annual_plan_investment="101"),
            row(unit["code"], **{UNIT_ID: "no-such-id"}, planned_start_date="2026-05-01",
                planned_completion_date="2026-04-01")]
    response = await upload(registry, csv_file(rows, header=[*HEADER, UNIT_ID], fields=[*FIELDS, UNIT_ID]))
    assert response.status_code == 422, response.text
    assert errors_of(response) == {(2, UNIT_CODE), (2, "annual_plan_investment"),
                                   (3, UNIT_ID), (3, "planned_completion_date")}
    assert await projects_of(registry, unit["id"]) == {}


async def test_an_import_that_changes_a_budget_announces_it_as_a_patch_does(registry, unit, registry_events):
    plain, funded = row(unit["code"]), row(unit["code"], government_funded="是", budget="1000")
    assert (await upload(registry, csv_file([plain, funded]))).json()["created"] == 2
    stored = await projects_of(registry, unit["id"])
    plain_id, funded_id = stored[plain["code"]]["id"], stored[funded["code"]]["id"]

    changed = [{**plain, "government_funded": "是", "budget": "500"}, {**funded, "budget": "1200"}]
    response = await upload(registry, csv_file(changed))
    assert response.status_code == 200 and response.json()["updated"] == 2, response.text
    for project_id, budget in ((plain_id, "500"), (funded_id, "1200")):
        [event] = await published(registry_events, BudgetChanged, project_id)
        assert event == BudgetChanged(project_id=project_id, responsible_unit_id=unit["id"], budget=Decimal(budget),
                                      approved_adjustments=Decimal(0), spent_to_date=Decimal(0),
                                      overrun_ratio=Decimal(-1), adjustment_approved=False)

    # the same change by PATCH announces the same figures
    project = (await projects_of(registry, unit["id"]))[funded["code"]]
    patched = await registry.patch(f"/api/v1/projects/{funded_id}", json={"budget": "1300"},
                                   headers={"If-Match": f'"{project["version"]}"'})
    assert patched.status_code == 200, patched.text
    by_patch = (await published(registry_events, BudgetChanged, funded_id, count=2))[-1]
    assert by_patch.budget == Decimal("1300") and by_patch.overrun_ratio == Decimal(-1)
    # an import that changes something else announces no budget
    renamed = [{**changed[0], "name": "改名"}]
    assert (await upload(registry, csv_file(renamed))).json()["updated"] == 1
    await published(registry_events, ProjectUpdated, plain_id, count=2)
    assert len(await registry_events.all(BudgetChanged, subject=plain_id)) == 1
