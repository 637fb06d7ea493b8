"""A schedule drawn up for a project whose dates have already passed (registered mid-year, or late) plans what is
left from the day it is made and says so; it never starts out overdue, and never puts the start after the project's
own planned start without saying so. A milestones instance of its own whose clock says 20 June 2026 (own broker),
fed registry events directly."""
from datetime import date

import pytest

from contracts import topics
from tests.milestones.flows import WAIT, unique_key
from tests.support.api import client, eventually
from tests.support.factories import project_registered
from tests.support.kafka import produce_events
from tests.support.platform import own_platform

TODAY = "2026-06-20"


@pytest.fixture(scope="module")
def june(tmp_path_factory):
    with own_platform(tmp_path_factory.mktemp("milestones-june-20"),
                      {"milestones": {"KP_FIXED_TODAY": TODAY, "KP_DAILY_SCAN": "false"}}) as platform:
        yield platform


async def registered(june, milestones, **facts) -> dict:
    event = project_registered(unique_key("unit"), registered_on=date(2026, 6, 20), **facts)
    await produce_events(june.broker.bootstrap, topics.REGISTRY, [event])
    found = {}

    async def scheduled():
        response = await milestones.get(f"/api/v1/projects/{event.subject}/schedule")
        found.update(response.json() if response.status_code == 200 else {})
        return bool(found)

    await eventually(scheduled, timeout=WAIT, what="the project scheduled")
    return found


def planned(schedule: dict) -> dict[str, str]:
    return {n["key"]: n["planned_date"] for n in schedule["milestones"]}


async def test_a_late_project_is_planned_from_today_and_its_late_start_is_said(june):
    async with client(june.url("milestones")) as milestones:
        schedule = await registered(june, milestones, planned_start_date=date(2026, 4, 1),
                                    planned_completion_date=date(2028, 6, 30))
        # Backward from 2028-06-30 the start stays on the project's 1 April and the approvals come before it, all
        # passed by 20 June: they are planned from 20 June by the template's durations, the first after the 15 days'
        # lead (KP_REPLAN_LEAD_DAYS) a newly registered unit gets.
        assert {k: v for k, v in planned(schedule).items() if k in {
            "signed", "land_supplied", "planning_permit", "environmental_approval", "construction_permit",
            "started"}} == {"signed": "2026-07-05", "land_supplied": "2026-09-03", "planning_permit": "2026-10-03",
                            "environmental_approval": "2026-10-18", "construction_permit": "2026-11-07",
                            "started": "2026-11-22"}
        assert planned(schedule)["completion_acceptance"] == "2028-06-30"  # what comes after keeps its date
        assert all(n["status"] != "overdue" for n in schedule["milestones"])
        assert all(n["baseline_date"] == n["planned_date"] for n in schedule["milestones"])
        assert schedule["replanned_from"] == TODAY
        assert schedule["notes"] == ["生成时部分节点的计划日期已过，未完成节点自 2026-06-20 起重新排期",
                                     "开工节点计划于 2026-11-22，晚于项目计划开工日期 2026-04-01 235 天"]

        # Drawn up again as the plan was (replan_past false): the approvals are overdue, the start on 1 April.
        again = await milestones.post(f"/api/v1/projects/{schedule['project_id']}/schedule",
                                      json={"replan_past": False, "reason": "按原计划考核"})
        assert again.status_code == 201, again.text
        body = again.json()
        assert planned(body)["started"] == "2026-04-01" and body["replanned_from"] is None
        assert {n["key"] for n in body["milestones"] if n["status"] == "overdue"} == {
            "signed", "land_supplied", "planning_permit", "environmental_approval", "construction_permit", "started"}
        assert body["notes"] == []


async def test_a_project_registered_started_has_nothing_overdue_and_nothing_to_replan(june):
    async with client(june.url("milestones")) as milestones:
        schedule = await registered(june, milestones, stage="started", planned_start_date=date(2026, 3, 1),
                                    planned_completion_date=date(2028, 6, 30),
                                    stage_dates={"signed": date(2025, 11, 20), "started": date(2026, 3, 15)})
        by_key = {n["key"]: n for n in schedule["milestones"]}
        assert all(n["status"] != "overdue" for n in schedule["milestones"])
        assert (by_key["started"]["actual_date"], by_key["signed"]["actual_date"]) == ("2026-03-15", "2025-11-20")
        assert {by_key[k]["completed_by"] for k in ("land_supplied", "planning_permit", "construction_permit")} == {
            "inferred"}
        assert (schedule["replanned_from"], schedule["notes"]) == (None, [])
