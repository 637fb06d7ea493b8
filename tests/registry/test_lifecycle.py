"""Stage transitions and real-start confirmation: rules, permissions and the events they publish."""
import pytest

from contracts.registry import ProjectStageChanged, ProjectStartConfirmed
from tests.support.api import client
from tests.support.factories import create_project, create_unit


@pytest.fixture
async def project(registry):
    unit = await create_unit(registry)
    return await create_project(registry, unit["id"])


async def move(registry, project_id, **body):
    return await registry.post(f"/api/v1/projects/{project_id}/transitions", json=body)


async def test_forward_one_stage_at_a_time_records_dates_and_history(registry, project):
    for stage, when in [("signed", "2026-01-10"), ("land_supplied", "2026-02-01"), ("started", "2026-03-15")]:
        response = await move(registry, project["id"], to_stage=stage, date=when, evidence=["合同.pdf"])
        assert response.status_code == 200, response.text
    body = response.json()
    assert body["stage"] == "started"
    assert body["stage_dates"] == {"signed": "2026-01-10", "land_supplied": "2026-02-01", "started": "2026-03-15"}
    assert body["version"] == 4
    assert response.headers["ETag"] == '"4"'
    transitions = (await registry.get(f"/api/v1/projects/{project['id']}/transitions")).json()
    assert [t["to_stage"] for t in transitions] == ["signed", "land_supplied", "started"]
    changes = (await registry.get(f"/api/v1/projects/{project['id']}/history")).json()["items"]
    assert [c["action"] for c in changes] == ["stage_changed"] * 3


async def test_skipping_stages_needs_their_dates(registry, project):
    response = await move(registry, project["id"], to_stage="started", date="2026-03-15")
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"skipped_dates.signed", "skipped_dates.land_supplied"}

    response = await move(registry, project["id"], to_stage="started", date="2026-03-15",
                          skipped_dates={"signed": "2025-12-01", "land_supplied": "2026-01-05"})
    assert response.status_code == 200, response.text
    assert response.json()["stage_dates"]["signed"] == "2025-12-01"


async def test_dates_out_of_order_or_in_the_future_are_422(registry, project):
    assert (await move(registry, project["id"], to_stage="signed", date="2026-02-01")).status_code == 200
    early = await move(registry, project["id"], to_stage="land_supplied", date="2026-01-31")
    assert early.status_code == 422
    assert early.json()["errors"][0]["field"] == "date"
    future = await move(registry, project["id"], to_stage="land_supplied", date="2099-01-01")
    assert future.status_code == 422
    same_day = await move(registry, project["id"], to_stage="land_supplied", date="2026-02-01")
    assert same_day.status_code == 200


async def test_going_back_needs_admin_and_a_reason(platform, registry, project):
    await move(registry, project["id"], to_stage="started", date="2026-03-15",
               skipped_dates={"signed": "2026-01-01", "land_supplied": "2026-02-01"})
    async with client(platform.url("registry"), "projects:write", "projects:read") as writer:
        forbidden = await move(writer, project["id"], to_stage="signed", date="2026-04-01", reason="误报")
        assert forbidden.status_code == 403
    no_reason = await move(registry, project["id"], to_stage="signed", date="2026-04-01")
    assert no_reason.status_code == 422
    back = await move(registry, project["id"], to_stage="signed", date="2026-04-01", reason="开工为误报")
    assert back.status_code == 200, back.text
    assert back.json()["stage"] == "signed"
    assert back.json()["stage_dates"] == {"signed": "2026-01-01"}


async def test_same_stage_is_409_and_unknown_project_404(registry, project):
    assert (await move(registry, project["id"], to_stage="planning", date="2026-01-01")).status_code == 409
    assert (await move(registry, "nope", to_stage="signed", date="2026-01-01")).status_code == 404


async def test_real_start_only_for_started_projects_and_not_before_start(registry, project):
    url = f"/api/v1/projects/{project['id']}/start-confirmation"
    body = {"kind": "piling", "date": "2026-03-20", "evidence": ["桩基施工照片.jpg"]}
    assert (await registry.post(url, json=body)).status_code == 409
    await move(registry, project["id"], to_stage="started", date="2026-03-15",
               skipped_dates={"signed": "2026-01-01", "land_supplied": "2026-02-01"})
    early = await registry.post(url, json={**body, "date": "2026-03-14"})
    assert early.status_code == 422
    no_evidence = await registry.post(url, json={**body, "evidence": []})
    assert no_evidence.status_code == 422
    confirmed = await registry.post(url, json=body)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["real_start_date"] == "2026-03-20"
    assert confirmed.json()["real_start_kind"] == "piling"
    assert (await registry.post(url, json=body)).status_code == 409


async def test_unit_bound_token_moves_only_its_units_projects(platform, registry, project):
    other = await create_unit(registry)
    async with client(platform.url("registry"), "projects:write", unit_id=other["id"]) as stranger:
        assert (await move(stranger, project["id"], to_stage="signed", date="2026-01-01")).status_code == 403
    async with client(platform.url("registry"), "projects:write", unit_id=project["responsible_unit_id"]) as own:
        assert (await move(own, project["id"], to_stage="signed", date="2026-01-01")).status_code == 200


async def test_archived_project_cannot_move(registry, project):
    archived = await registry.post(f"/api/v1/projects/{project['id']}/archive", json={"reason": "调出年度清单"})
    assert archived.status_code == 200
    assert (await move(registry, project["id"], to_stage="signed", date="2026-01-01")).status_code == 409


async def test_transition_and_start_events_carry_the_dates(registry, project, registry_events):
    await move(registry, project["id"], to_stage="started", date="2026-03-15",
               skipped_dates={"signed": "2026-01-01", "land_supplied": "2026-02-01"})
    await registry.post(f"/api/v1/projects/{project['id']}/start-confirmation",
                        json={"kind": "controlling_works", "date": "2026-03-16", "evidence": ["x"]})
    changed = await registry_events.wait_for(ProjectStageChanged, subject=project["id"])
    assert changed.from_stage == "planning" and changed.to_stage == "started"
    assert str(changed.date) == "2026-03-15"
    assert {k.value: v.isoformat() for k, v in changed.stage_dates.items()} == {
        "signed": "2026-01-01", "land_supplied": "2026-02-01", "started": "2026-03-15"}
    confirmed = await registry_events.wait_for(ProjectStartConfirmed, subject=project["id"])
    assert confirmed.kind == "controlling_works" and str(confirmed.date) == "2026-03-16"
