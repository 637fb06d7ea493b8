"""Business dates of the list: 入库日期 (listed_on), the day a project left the list, the day a correction takes
effect, and projects registered mid-flight with the stages they had reached — on create, update and import."""
import csv
import io
from datetime import date

import pytest

from contracts.registry import ProjectArchived, ProjectRegistered, ProjectUpdated
from tests.support.api import client
from tests.support.factories import code, create_unit, project_body

TODAY = "2026-06-20"


@pytest.fixture(scope="module")
def registry_on_june_20(platform):
    """A registry whose clock says 20 June 2026 (the office's import day)."""
    with platform.configured("registry", "registry-june-20", {"KP_FIXED_TODAY": TODAY}) as url:
        yield url


@pytest.fixture
async def june(registry_on_june_20):
    async with client(registry_on_june_20) as http:
        yield http


async def test_a_project_is_listed_today_unless_dated_and_the_event_carries_it(june, registry_events):
    unit = await create_unit(june)
    plain = (await june.post("/api/v1/projects", json=project_body(unit["id"]))).json()
    assert (plain["listed_on"], plain["registered_on"], plain["delisted_on"]) == (TODAY, TODAY, None)
    dated = await june.post("/api/v1/projects", json=project_body(unit["id"], listed_on="2026-01-01"))
    assert dated.status_code == 201, dated.text
    assert (dated.json()["listed_on"], dated.json()["registered_on"]) == ("2026-01-01", TODAY)
    event = await registry_events.wait_for(ProjectRegistered, subject=dated.json()["id"])
    assert (event.listed_on, event.registered_on) == (date(2026, 1, 1), date(2026, 6, 20))


async def test_a_list_date_outside_the_projects_years_is_refused(june):
    unit = await create_unit(june)
    for listed in ("2027-01-01", "2015-12-31"):
        response = await june.post("/api/v1/projects", json=project_body(unit["id"], listed_on=listed))
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["listed_on"]


async def test_a_project_registered_mid_flight_carries_the_stages_it_reached(june, registry_events):
    unit = await create_unit(june)
    body = project_body(unit["id"], listed_on="2026-01-01", stage="started",
                        stage_dates={"signed": "2025-11-02", "started": "2026-03-15"})
    response = await june.post("/api/v1/projects", json=body)
    assert response.status_code == 201, response.text
    project = response.json()
    assert project["stage"] == "started"
    assert project["stage_dates"] == {"signed": "2025-11-02", "started": "2026-03-15"}
    event = await registry_events.wait_for(ProjectRegistered, subject=project["id"])
    assert event.stage == "started" and event.stage_dates == {"signed": date(2025, 11, 2), "started": date(2026, 3, 15)}


@pytest.mark.parametrize("stage, stage_dates, field", [
    ("started", {"signed": "2026-01-02"}, "stage_dates.started"),             # the reached stage needs its date
    ("signed", {"signed": "2026-01-02", "started": "2026-02-01"}, "stage_dates.started"),  # not reached yet
    ("started", {"signed": "2026-05-02", "started": "2026-03-01"}, "stage_dates.started"),  # out of order
    ("started", {"started": "2026-07-01"}, "stage_dates.started"),            # after today
])
async def test_bad_stage_dates_of_a_mid_flight_registration_are_refused(june, stage, stage_dates, field):
    unit = await create_unit(june)
    response = await june.post("/api/v1/projects", json=project_body(unit["id"], stage=stage, stage_dates=stage_dates))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    listed = (await june.get("/api/v1/projects", params={"unit_id": unit["id"]})).json()["items"]
    assert listed == []


async def test_a_change_of_unit_is_dated_by_when_it_takes_effect(june, registry_events):
    unit, other = await create_unit(june), await create_unit(june)
    project = (await june.post("/api/v1/projects", json=project_body(unit["id"], listed_on="2026-01-01"))).json()
    too_early = await june.patch(f"/api/v1/projects/{project['id']}", headers={"If-Match": "*"},
                                 json={"responsible_unit_id": other["id"], "effective_on": "2025-12-31"})
    assert too_early.status_code == 422 and too_early.json()["errors"][0]["field"] == "effective_on"
    moved = await june.patch(f"/api/v1/projects/{project['id']}", headers={"If-Match": "*"},
                             json={"responsible_unit_id": other["id"], "effective_on": "2026-04-01"})
    assert moved.status_code == 200, moved.text
    event = await registry_events.wait_for(ProjectUpdated, subject=project["id"])
    assert event.effective_on == date(2026, 4, 1) and event.changed == ["responsible_unit_id"]
    history = (await june.get(f"/api/v1/projects/{project['id']}/history")).json()["items"]
    assert any(h["note"] == "自 2026-04-01 起生效" for h in history)


async def test_a_change_without_a_date_takes_effect_today(june, registry_events):
    unit = await create_unit(june)
    project = (await june.post("/api/v1/projects", json=project_body(unit["id"]))).json()
    await june.patch(f"/api/v1/projects/{project['id']}", headers={"If-Match": "*"}, json={"year": 2026, "name": "改名"})
    event = await registry_events.wait_for(ProjectUpdated, subject=project["id"])
    assert event.effective_on == date(2026, 6, 20)


async def test_an_archived_project_left_the_list_on_the_day_given(june, registry_events):
    unit = await create_unit(june)
    project = (await june.post("/api/v1/projects", json=project_body(unit["id"], listed_on="2026-02-01"))).json()
    before_listed = await june.post(f"/api/v1/projects/{project['id']}/archive",
                                    json={"reason": "调出清单", "delisted_on": "2026-01-15"})
    assert before_listed.status_code == 422 and before_listed.json()["errors"][0]["field"] == "delisted_on"
    archived = await june.post(f"/api/v1/projects/{project['id']}/archive",
                               json={"reason": "调出清单", "delisted_on": "2026-05-31"})
    assert archived.status_code == 200, archived.text
    assert archived.json()["delisted_on"] == "2026-05-31"
    event = await registry_events.wait_for(ProjectArchived, subject=project["id"])
    assert event.archived and event.delisted_on == date(2026, 5, 31)


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


HEADER = ["项目编码", "项目名称", "年度", "项目类别", "总投资（万元）", "年度计划投资（万元）", "责任单位编码",
          "入库日期", "当前阶段", "签约日期", "开工日期"]


async def test_an_import_registers_projects_mid_flight_with_their_list_date(june, registry_events):
    unit = await create_unit(june)
    started, signed = code("MID"), code("MID")
    content = _csv(HEADER, [
        [started, "在建厂房", 2026, "制造业", "50000", "20000", unit["code"], "2026-01-01", "开工", "2025-10-01",
         "2026-03-15"],
        [signed, "签约项目", 2026, "服务业", "9000", "3000", unit["code"], "2026/1/1", "已签约", "2026-02-10", ""],
    ])
    response = await june.post("/api/v1/projects/import", files={"file": ("list.csv", content, "text/csv")})
    assert response.status_code == 200, response.text
    items = {p["code"]: p for p in (await june.get("/api/v1/projects", params={"unit_id": unit["id"]})).json()["items"]}
    assert items[started]["stage"] == "started" and items[started]["listed_on"] == "2026-01-01"
    assert items[started]["stage_dates"] == {"signed": "2025-10-01", "started": "2026-03-15"}
    assert items[signed]["stage"] == "signed" and items[signed]["registered_on"] == TODAY
    event = await registry_events.wait_for(ProjectRegistered, subject=items[started]["id"])
    assert event.listed_on == date(2026, 1, 1) and event.stage_dates[ "started"] == date(2026, 3, 15)


async def test_import_row_messages_are_in_chinese(june):
    unit = await create_unit(june)
    content = _csv(HEADER, [
        [code("BAD"), "缺开工日期", 2026, "制造业", "50000", "60000", unit["code"], "2026-01-01", "开工", "", ""],
        [code("BAD"), "日期错", 2026, "制造业", "50000", "20000", "NO-SUCH", "2026-13-01", "谋划", "", ""],
    ])
    response = await june.post("/api/v1/projects/import", files={"file": ("list.csv", content, "text/csv")})
    assert response.status_code == 422
    messages = {(e["row"], e["field"]): e["message"] for e in response.json()["errors"]}
    assert messages == {
        (2, "annual_plan_investment"): "年度计划投资大于总投资",
        (2, "stage_dates.started"): "已到达的阶段 started 需要填写日期",
        (3, "listed_on"): "「2026-13-01」不是有效的日期",
        (3, "responsible_unit_code"): "没有此编码的单位",
    }
    assert "未导入任何数据" in response.json()["detail"]


async def test_a_reimport_may_not_move_a_registered_projects_stage(june):
    unit = await create_unit(june)
    project_code = code("RE")
    first = _csv(HEADER, [[project_code, "厂房", 2026, "制造业", "500", "200", unit["code"], "2026-01-01", "签约",
                           "2026-02-01", ""]])
    assert (await june.post("/api/v1/projects/import", files={"file": ("a.csv", first, "text/csv")})).status_code == 200
    moved = _csv(HEADER, [[project_code, "厂房", 2026, "制造业", "500", "200", unit["code"], "2026-01-01", "开工",
                           "2026-02-01", "2026-05-01"]])
    response = await june.post("/api/v1/projects/import", files={"file": ("b.csv", moved, "text/csv")})
    assert response.status_code == 422
    assert "阶段变更" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("field, value", [("planned_start_date", "0001-01-01"), ("planned_completion_date", "9999-12-31"),
                                          ("planned_start_date", "2015-12-31")])
async def test_implausible_planned_dates_are_422(june, field, value):
    """Seen: year 1 and year 9999 were accepted, and milestones then silently made no schedule."""
    unit = await create_unit(june)
    response = await june.post("/api/v1/projects", json=project_body(unit["id"], **{field: value}))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
