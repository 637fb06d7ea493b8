"""The way an office really enters its list: 30 projects imported on 20 June with their listing date 1 January, half
of them already started (stage dates in the file), investments for January-May entered after. The January-May
figures, the automatic snapshots and the monthly reports show them; nobody gets a task or a red on import day; a
week later only the genuinely late projects are red; their tasks come once the grace period is over.

Its own broker and services, their clock pinned to the office's days (the shared platform runs on the real date)."""
import asyncio
import csv
import io
from decimal import Decimal

import pytest

from tests.support.api import client, eventually
from tests.support.factories import code, create_unit
from tests.support.platform import own_platform

IMPORT_DAY, WEEK_LATER, GRACE_OVER = "2026-06-20", "2026-06-27", "2026-07-05"
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
SLOW = 120.0
QUIET = {"KP_DAILY_SCAN": "false", "KP_SNAPSHOT_CHECK_SECONDS": "1", "KP_METRICS_REFRESH_SECONDS": "60"}


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A platform whose clock says 20 June 2026."""
    with own_platform(tmp_path_factory.mktemp("office"), {
            name: {"KP_FIXED_TODAY": IMPORT_DAY, **QUIET} for name in ("registry", "milestones", "alerts", "reports")
    }) as running:
        yield running


def _row(unit_code: str, index: int, kind: str) -> list:
    """started: signed last year, started 15 March; late: should have started on 1 April; ahead: starts in
    September. Every one on the list since 1 January."""
    started = kind == "started"
    return [code(f"STORY{index:02d}"), f"重点项目{index:02d}", 2026, "制造业", "60000",
            "12000" if started else "1000", unit_code, "2026-03-01" if started else
            "2026-04-01" if kind == "late" else "2026-09-01", "2028-06-30", "2026-01-01",
            "开工" if started else "谋划", "2025-11-20" if started else "", "2026-03-15" if started else ""]


HEADER = ["code", "name", "year", "category", "total_investment", "annual_plan_investment", "responsible_unit_code",
          "planned_start_date", "planned_completion_date", "listed_on", "stage", "signed_date", "started_date"]


async def test_a_list_entered_mid_year_tells_the_truth(city):
    async with client(city.url("registry")) as registry, client(city.url("alerts")) as alerts, \
            client(city.url("reports")) as reports:
        towns = [await create_unit(registry, name=name) for name in ("城关镇", "临港街道", "新区管委会")]
        kinds = ["started"] * 15 + ["late"] * 5 + ["ahead"] * 10
        rows = [_row(towns[i % 3]["code"], i, kind) for i, kind in enumerate(kinds)]
        out = io.StringIO()
        csv.writer(out).writerows([HEADER, *rows])
        imported = await registry.post("/api/v1/projects/import",
                                       files={"file": ("2026年重点项目.csv", out.getvalue().encode(), "text/csv")})
        assert imported.status_code == 200, imported.text
        assert imported.json()["created"] == 30
        projects = {}
        for town in towns:
            items = (await registry.get("/api/v1/projects", params={"unit_id": town["id"], "limit": 100})).json()
            projects.update({p["code"]: p for p in items["items"]})
        kind_of = {projects[row[0]]["id"]: kind for row, kind in zip(rows, kinds)}
        assert all(p["listed_on"] == "2026-01-01" and p["registered_on"] == IMPORT_DAY for p in projects.values())

        # January-May investments entered after the import (1,000 万元 a month started, 100 the others).
        for project_id, kind in kind_of.items():
            for month in MONTHS:
                amount = "1000" if kind == "started" else "100"
                response = await registry.put(f"/api/v1/projects/{project_id}/investments/{month}",
                                              json={"amount": amount})
                assert response.status_code == 201, response.text

        # Import day: every project evaluated, none red, no task.
        async def all_evaluated():
            statuses = [await alerts.get(f"/api/v1/projects/{pid}/status") for pid in kind_of]
            return all(s.status_code == 200 and s.json()["version"] >= 1 for s in statuses)

        await eventually(all_evaluated, timeout=SLOW, interval=0.5, what="the list evaluated by alerts")
        red = (await alerts.get("/api/v1/alerts", params={"active": "true", "colour": "red", "limit": 500})).json()
        assert red["items"] == []
        assert (await alerts.get("/api/v1/tasks", params={"limit": 500})).json()["items"] == []

        # January-May as of their last days: the whole list, its money, its starts.
        async def may_counted():
            body = (await reports.get("/api/v1/overview", params={"as_of": "2026-05-31", "year": 2026})).json()
            return body["project_count"] == 30 and Decimal(body["ytd_investment"]) == Decimal(5 * 15 * 1100)

        await eventually(may_counted, timeout=SLOW, interval=0.5, what="the list and its money as of 31 May")
        for number, month in enumerate(MONTHS, start=1):
            last = {"2026-01": "31", "2026-02": "28", "2026-03": "31", "2026-04": "30", "2026-05": "31"}[month]
            body = (await reports.get("/api/v1/overview", params={"as_of": f"{month}-{last}", "year": 2026})).json()
            assert body["project_count"] == 30, month
            assert Decimal(body["ytd_investment"]) == Decimal(number * 15 * 1100), month
            assert body["started_count"] == (15 if month >= "2026-03" else 0), month
        # No automatic snapshot yet: the history was entered today, the office gets a week to complete it.
        await asyncio.sleep(3)
        assert (await reports.get("/api/v1/snapshots")).json() == []

    # A week later (the clock moved on): the automatic snapshots freeze January-May by themselves.
    first = city.services.pop("reports")
    first.stop()
    later = city.start_service("reports", instance="reports-week-later", database_url=first.env["KP_DATABASE_URL"],
                               extra_env={"KP_FIXED_TODAY": WEEK_LATER, **QUIET})
    async with client(later.url) as reports, client(city.url("alerts")) as alerts, \
            client(city.url("milestones")) as milestones:
        async def frozen():
            listed = (await reports.get("/api/v1/snapshots")).json()
            return sorted(s["period"] for s in listed) == MONTHS

        await eventually(frozen, timeout=SLOW, interval=1, what="January-May frozen automatically")
        for number, month in enumerate(MONTHS, start=1):
            report = (await reports.get(f"/api/v1/reports/monthly/{month}")).json()
            assert report["snapshot_kind"] == "auto" and report["snapshot_version"] == 1
            assert report["overview"]["project_count"] == 30, month
            assert Decimal(report["overview"]["ytd_investment"]) == Decimal(number * 15 * 1100), month

        # Milestones (its clock still on import day): no node of any project overdue; what had passed by 20 June is
        # planned from it, and a project that should have started in April is told its start now comes later.
        for project_id, kind in kind_of.items():
            plan = (await milestones.get(f"/api/v1/projects/{project_id}/schedule")).json()
            assert [n["key"] for n in plan["milestones"] if n["status"] == "overdue"] == [], kind
            if kind == "late":
                assert plan["replanned_from"] == IMPORT_DAY
                assert any("晚于项目计划开工日期 2026-04-01" in note for note in plan["notes"]), plan["notes"]

        # The daily evaluation a week later: red only where the project is genuinely late; still no task.
        assert (await milestones.post("/api/v1/admin/scan", params={"date": WEEK_LATER})).status_code == 200
        assert (await alerts.post("/api/v1/admin/scan", params={"date": WEEK_LATER})).status_code == 200
        red = (await alerts.get("/api/v1/alerts", params={"active": "true", "colour": "red", "limit": 500})).json()
        late = {pid for pid, kind in kind_of.items() if kind == "late"}
        assert {a["project_id"] for a in red["items"]} == late
        assert {a["rule"] for a in red["items"]} == {"should_have_started"}
        assert (await alerts.get("/api/v1/tasks", params={"limit": 500})).json()["items"] == []

        # The grace period over: the projects still red get their supervision tasks.
        assert (await alerts.post("/api/v1/admin/scan", params={"date": GRACE_OVER})).status_code == 200
        tasks = (await alerts.get("/api/v1/tasks", params={"limit": 500})).json()["items"]
        assert {t["project_id"] for t in tasks} == late
        assert {t["opened_on"] for t in tasks} == {GRACE_OVER}
