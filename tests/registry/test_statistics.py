"""Statistics inclusion (入库纳统): documents, readiness, the submit / accept / reject workflow and its events."""
import hashlib
from datetime import date

import pytest

from contracts.registry import StatisticsStatus, StatisticsStatusChanged
from tests.registry.conftest import published, TODAY, YEAR, field_names, history_actions, start_project
from tests.support.api import client
from tests.support.factories import create_project, create_unit

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8  # a small "JPEG"
REQUIRED = {"approval": "审批/核准/备案文件", "construction_contract": "施工合同", "site_photo": "现场照片"}


@pytest.fixture
async def project(registry):
    unit = await create_unit(registry)
    return await create_project(registry, unit["id"], year=YEAR)


def docs(project_id: str) -> str:
    return f"/api/v1/projects/{project_id}/documents"


def stats(project_id: str, action: str | None = None) -> str:
    return f"/api/v1/projects/{project_id}/statistics" + (f"/{action}" if action else "")


async def link(registry, project_id: str, document_kind: str, **overrides):
    body = {"kind": document_kind, "title": f"{document_kind} 文件",
            "uri": f"https://docs.example.gov.cn/{project_id}/{document_kind}.pdf", **overrides}
    return await registry.post(docs(project_id), json=body)


async def ready_project(registry, project_id: str) -> None:
    await start_project(registry, project_id)
    for kind in REQUIRED:
        assert (await link(registry, project_id, kind)).status_code == 201


# --- documents ---------------------------------------------------------------------------------------------------

async def test_a_linked_document_is_registered_and_listed(registry, project):
    response = await link(registry, project["id"], "approval", title="  项目备案证明  ")
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["kind"] == "approval" and document["title"] == "项目备案证明"
    assert document["uri"].startswith("https://") and document["content_url"] is None
    assert document["sha256"] is None and document["size"] is None and document["actor"] == "tests"

    listed = (await registry.get(docs(project["id"]))).json()
    assert [d["id"] for d in listed["items"]] == [document["id"]] and listed["next_cursor"] is None
    content = await registry.get(f"{docs(project['id'])}/{document['id']}/content")
    assert content.status_code == 404
    entry = (await history_actions(registry, project["id"]))[-1]
    assert entry["action"] == "document_registered" and entry["note"] == "项目备案证明"


async def test_an_uploaded_file_is_kept_with_its_sha256_and_downloaded_as_sent(registry, project):
    response = await registry.post(docs(project["id"]), data={"kind": "site_photo", "title": "基坑开挖现场"},
                                   files={"file": ("现场 1.jpg", PHOTO, "image/jpeg")})
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["sha256"] == hashlib.sha256(PHOTO).hexdigest() and document["size"] == len(PHOTO)
    assert document["filename"] == "现场 1.jpg" and document["content_type"] == "image/jpeg"
    assert document["uri"] is None
    assert document["content_url"] == f"/api/v1/projects/{project['id']}/documents/{document['id']}/content"

    download = await registry.get(document["content_url"])
    assert download.status_code == 200 and download.content == PHOTO
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["etag"] == f'"{document["sha256"]}"'
    assert "filename*=UTF-8''%E7%8E%B0%E5%9C%BA%201.jpg" in download.headers["content-disposition"]
    listed = (await registry.get(docs(project["id"]))).json()["items"]
    assert listed == [document]  # the list carries no content


async def test_documents_are_listed_oldest_first_by_page_and_kind(registry, project):
    ids = [(await link(registry, project["id"], kind)).json()["id"]
           for kind in ("approval", "design", "approval", "other")]
    first = (await registry.get(docs(project["id"]), params={"limit": 3})).json()
    second = (await registry.get(docs(project["id"]), params={"limit": 3, "cursor": first["next_cursor"]})).json()
    assert [d["id"] for d in first["items"] + second["items"]] == ids and second["next_cursor"] is None
    approvals = (await registry.get(docs(project["id"]), params={"kind": "approval"})).json()["items"]
    assert [d["id"] for d in approvals] == [ids[0], ids[2]]
    assert field_names(await registry.get(docs(project["id"]), params={"kind": "photo"})) == {"kind"}


async def test_a_document_with_the_same_idempotency_key_is_registered_once(registry, project):
    headers = {"Idempotency-Key": "doc-1"}
    upload = {"data": {"kind": "site_photo", "title": "现场"}, "files": {"file": ("a.jpg", PHOTO, "image/jpeg")}}
    first = await registry.post(docs(project["id"]), headers=headers, **upload)
    again = await registry.post(docs(project["id"]), headers=headers, **upload)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    other = await registry.post(docs(project["id"]), headers=headers, data={"kind": "site_photo", "title": "现场"},
                                files={"file": ("a.jpg", PHOTO + b"!", "image/jpeg")})
    assert other.status_code == 422  # reused with another body
    assert len((await registry.get(docs(project["id"]))).json()["items"]) == 1


@pytest.mark.parametrize("overrides, field", [
    ({"kind": "photo"}, "kind"),
    ({"kind": None}, "kind"),
    ({"title": "   "}, "title"),
    ({"title": "长" * 301}, "title"),
    ({"uri": "not a uri"}, "uri"),
    ({"uri": "/relative/path.pdf"}, "uri"),
    ({"uri": "https://x/" + "a" * 1000}, "uri"),
    ({"pages": 3}, "pages"),
])
async def test_a_bad_linked_document_is_422_naming_the_field(registry, project, overrides, field):
    assert field in field_names(await link(registry, project["id"], "approval", **overrides))


async def test_a_linked_document_without_a_uri_or_with_bad_json_is_422(registry, project):
    assert field_names(await registry.post(docs(project["id"]), json={"kind": "approval", "title": "x"})) == {"uri"}
    response = await registry.post(docs(project["id"]), content=b'{"kind": ',
                                   headers={"content-type": "application/json"})
    assert field_names(response) == {"body"}
    assert field_names(await registry.post(docs(project["id"]), json=["approval"])) == {"body"}


@pytest.mark.parametrize("data, files, fields", [
    ({"kind": "site_photo", "title": "现场"}, None, {"file"}),
    ({"title": "现场"}, {"file": ("a.jpg", PHOTO, "image/jpeg")}, {"kind"}),
    ({"kind": "selfie", "title": "现场"}, {"file": ("a.jpg", PHOTO, "image/jpeg")}, {"kind"}),
    ({"kind": "site_photo"}, {"file": ("a.jpg", PHOTO, "image/jpeg")}, {"title"}),
    ({"kind": "site_photo", "title": "现场", "uri": "https://x/y"}, {"file": ("a.jpg", PHOTO, "image/jpeg")},
     {"uri"}),
    ({"kind": "site_photo", "title": "现场"}, {"attachment": ("a.jpg", PHOTO, "image/jpeg")}, {"file"}),
    ({"kind": "site_photo", "title": "现场"}, {"file": ("长" * 301 + ".jpg", PHOTO, "image/jpeg")}, {"file"}),
    ({"kind": "site_photo", "title": "现场"}, {"file": ("a.jpg", PHOTO, "image/" + "x" * 200)}, {"file"}),
])
async def test_a_bad_upload_is_422_naming_the_fields(registry, project, data, files, fields):
    if files is None:  # a multipart body with no file part at all
        response = await registry.post(docs(project["id"]), data=data, files={"x": ("", b"", "text/plain")})
        fields = fields | {"x"}
    else:
        response = await registry.post(docs(project["id"]), data=data, files=files)
    assert fields <= field_names(response)


async def test_a_malformed_multipart_body_is_422(registry, project):
    response = await registry.post(docs(project["id"]), content=b"--x\r\nbroken",
                                   headers={"content-type": "multipart/form-data"})
    assert field_names(response) == {"file"}


async def test_a_document_body_of_another_media_type_is_415(registry, project):
    response = await registry.post(docs(project["id"]), content=b"kind=approval",
                                   headers={"content-type": "text/plain"})
    assert response.status_code == 415 and response.json()["type"].endswith("/unsupported-media-type")
    assert (await registry.post(docs(project["id"]))).status_code == 415


async def test_documents_of_an_unknown_project_are_404(registry):
    assert (await link(registry, "nope", "approval")).status_code == 404
    assert (await registry.get(docs("nope"))).status_code == 404
    assert (await registry.get(f"{docs('nope')}/doc/content")).status_code == 404
    assert (await registry.get(stats("nope"))).status_code == 404


async def test_documents_are_written_only_for_the_own_unit_and_not_for_archived_projects(platform, registry, project):
    other = await create_unit(registry)
    async with client(platform.url("registry"), "projects:write", unit_id=other["id"]) as stranger:
        assert (await link(stranger, project["id"], "approval")).status_code == 403
        assert (await stranger.get(docs(project["id"]))).status_code == 403  # no read scope
    async with client(platform.url("registry"), "projects:read") as reader:
        assert (await link(reader, project["id"], "approval")).status_code == 403
        assert (await reader.get(docs(project["id"]))).status_code == 200
    async with client(platform.url("registry"), "projects:write", "projects:read",
                      unit_id=project["responsible_unit_id"]) as own:
        assert (await link(own, project["id"], "approval")).status_code == 201
    await registry.post(f"/api/v1/projects/{project['id']}/archive", json={"reason": "调出"})
    assert (await link(registry, project["id"], "design")).status_code == 409


# --- upload size (a registry instance configured with a 1 KiB limit and other required kinds) ---------------------

@pytest.fixture(scope="module")
def small_registry(platform):
    with platform.configured("registry", "registry_small_docs", {
            "KP_MAX_DOCUMENT_BYTES": "1024", "KP_STATISTICS_REQUIRED_DOCUMENTS": '["approval", "construction_permit"]'}) as url:
        yield url


@pytest.fixture
async def small(small_registry):
    async with client(small_registry) as http:
        unit = await create_unit(http)
        yield http, await create_project(http, unit["id"], year=YEAR)


async def test_a_file_up_to_the_configured_size_is_accepted_and_a_larger_one_is_413(small):
    http, project = small
    upload = lambda content: http.post(docs(project["id"]), data={"kind": "other", "title": "t"},  # noqa: E731
                                       files={"file": ("f.bin", content, "application/octet-stream")})
    assert (await upload(b"x" * 1024)).status_code == 201
    response = await upload(b"x" * 1025)
    assert response.status_code == 413, response.text
    assert response.json()["type"].endswith("/payload-too-large")
    assert (await upload(b"x" * 200_000)).status_code == 413  # refused on its Content-Length, unread
    assert len((await http.get(docs(project["id"]))).json()["items"]) == 1


async def test_an_upload_streamed_without_a_length_is_cut_off_at_the_limit(small):
    http, project = small
    boundary = "kpboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nother\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode()

    async def chunks():
        yield head
        for _ in range(20):
            yield b"x" * 10_000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await http.post(docs(project["id"]), content=chunks(),
                                headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413, response.text


async def test_the_required_kinds_come_from_configuration(small):
    http, project = small
    readiness = (await http.get(stats(project["id"]))).json()
    assert readiness["required_documents"] == ["approval", "construction_permit"]
    assert [m.get("kind") for m in readiness["missing"] if m["code"] == "document_missing"] == [
        "approval", "construction_permit"]


def test_the_default_upload_limit_is_20_mib():
    from services.registry.settings import RegistrySettings

    settings = RegistrySettings()
    assert settings.max_document_bytes == 20 * 1024 * 1024
    assert settings.statistics_required_documents == list(REQUIRED)


# --- readiness ----------------------------------------------------------------------------------------------------

async def test_a_planning_project_is_not_ready_and_says_why(registry, project):
    body = (await registry.get(stats(project["id"]))).json()
    assert body["ready"] is False and body["status"] == "not_submitted" and body["stage"] == "planning"
    assert body["required_documents"] == list(REQUIRED) and body["present_documents"] == []
    assert [(m["code"], m.get("kind")) for m in body["missing"]] == [
        ("not_started", None), ("real_start_unconfirmed", None),
        ("document_missing", "approval"), ("document_missing", "construction_contract"),
        ("document_missing", "site_photo")]
    messages = [m["message"] for m in body["missing"]]
    assert messages[0] == "项目尚未开工（当前阶段：谋划）" and messages[1] == "尚未确认实质性开工"
    assert messages[2:] == [f"缺少{name}" for name in REQUIRED.values()]


async def test_a_started_project_without_confirmed_real_start_is_a_paper_start(registry, project):
    await start_project(registry, project["id"], confirm=False)
    for kind in REQUIRED:
        await link(registry, project["id"], kind)
    body = (await registry.get(stats(project["id"]))).json()
    assert body["ready"] is False and body["stage"] == "started"
    assert [m["code"] for m in body["missing"]] == ["real_start_unconfirmed"]


async def test_documents_of_other_kinds_do_not_count(registry, project):
    await start_project(registry, project["id"])
    for kind in ("approval", "design", "feasibility", "construction_permit"):
        await link(registry, project["id"], kind)
    body = (await registry.get(stats(project["id"]))).json()
    assert body["ready"] is False and body["real_start_date"] == f"{YEAR}-01-01"
    assert [m.get("kind") for m in body["missing"]] == ["construction_contract", "site_photo"]
    assert body["present_documents"] == ["approval", "construction_permit", "design", "feasibility"]


async def test_a_started_project_with_real_start_and_documents_is_ready(registry, project):
    await ready_project(registry, project["id"])
    body = (await registry.get(stats(project["id"]))).json()
    assert body["ready"] is True and body["missing"] == []


async def test_a_completed_project_is_still_eligible(registry, project):
    await ready_project(registry, project["id"])
    moved = await registry.post(f"/api/v1/projects/{project['id']}/transitions",
                                json={"to_stage": "completed", "date": TODAY.isoformat()})
    assert moved.status_code == 200, moved.text
    assert (await registry.get(stats(project["id"]))).json()["ready"] is True


# --- the workflow -------------------------------------------------------------------------------------------------

async def test_submitting_a_project_that_is_not_ready_is_409_with_what_is_missing(registry, project):
    await link(registry, project["id"], "approval")
    response = await registry.post(stats(project["id"], "submit"))
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"].endswith("/statistics-not-ready")
    assert [(e["code"], e.get("kind")) for e in problem["errors"]] == [
        ("not_started", None), ("real_start_unconfirmed", None),
        ("document_missing", "construction_contract"), ("document_missing", "site_photo")]
    assert "缺少施工合同" in problem["detail"]
    assert (await registry.get(stats(project["id"]))).json()["status"] == "not_submitted"


async def test_submit_then_accept(platform, registry, project, registry_events):
    await ready_project(registry, project["id"])
    submitted = await registry.post(stats(project["id"], "submit"))
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    assert (await registry.get(f"/api/v1/projects/{project['id']}")).json()["statistics_status"] == "submitted"
    async with client(platform.url("registry"), "statistics:review") as reviewer:
        accepted = await reviewer.post(stats(project["id"], "accept"))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["reason"] is None

    events = await published(registry_events, StatisticsStatusChanged, project["id"], count=2)
    assert events == [
        StatisticsStatusChanged(project_id=project["id"], responsible_unit_id=project["responsible_unit_id"],
                                status=status, date=TODAY, reason=None)
        for status in (StatisticsStatus.submitted, StatisticsStatus.accepted)]
    changes = [e for e in await history_actions(registry, project["id"]) if e["action"].startswith("statistics_")]
    assert [(e["action"], e["changes"]["statistics_status"]) for e in changes] == [
        ("statistics_submitted", {"before": "not_submitted", "after": "submitted"}),
        ("statistics_accepted", {"before": "submitted", "after": "accepted"})]


async def test_a_rejected_project_is_submitted_again(registry, project, registry_events):
    await ready_project(registry, project["id"])
    await registry.post(stats(project["id"], "submit"))
    rejected = await registry.post(stats(project["id"], "reject"), json={"reason": "施工合同未盖章"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "施工合同未盖章"
    again = await registry.post(stats(project["id"], "submit"))
    assert again.status_code == 200 and again.json()["status"] == "submitted" and again.json()["reason"] is None

    events = await published(registry_events, StatisticsStatusChanged, project["id"], count=3)
    assert [(e.status, e.reason) for e in events] == [
        ("submitted", None), ("rejected", "施工合同未盖章"), ("submitted", None)]
    entry = [e for e in await history_actions(registry, project["id"]) if e["action"] == "statistics_rejected"]
    assert entry[0]["note"] == "施工合同未盖章"


@pytest.mark.parametrize("done, action, body", [
    ([], "accept", None),
    ([], "reject", {"reason": "x"}),
    (["submit"], "submit", None),
    (["submit", "accept"], "submit", None),
    (["submit", "accept"], "reject", {"reason": "x"}),
    (["submit", "accept"], "accept", None),
    (["submit", ("reject", {"reason": "x"})], "accept", None),
    (["submit", ("reject", {"reason": "x"})], "reject", {"reason": "x"}),
])
async def test_moves_the_workflow_does_not_allow_are_409(registry, project, done, action, body):
    await ready_project(registry, project["id"])
    for step in done:
        name, step_body = step if isinstance(step, tuple) else (step, None)
        assert (await registry.post(stats(project["id"], name), json=step_body)).status_code == 200
    response = await registry.post(stats(project["id"], action), json=body)
    assert response.status_code == 409, response.text
    assert response.json()["type"].endswith("/conflict")


@pytest.mark.parametrize("body, field", [
    (None, "body"), ({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "x" * 2001}, "reason"),
    ({"reason": "x", "by": "me"}, "by"),
])
async def test_a_rejection_needs_a_reason(registry, project, body, field):
    await ready_project(registry, project["id"])
    await registry.post(stats(project["id"], "submit"))
    assert field in field_names(await registry.post(stats(project["id"], "reject"), json=body))


async def test_only_a_reviewer_accepts_or_rejects(platform, registry, project):
    await ready_project(registry, project["id"])
    async with client(platform.url("registry"), "projects:write", "projects:read",
                      unit_id=project["responsible_unit_id"]) as own_unit:
        assert (await own_unit.post(stats(project["id"], "submit"))).status_code == 200
        assert (await own_unit.post(stats(project["id"], "accept"))).status_code == 403
        assert (await own_unit.post(stats(project["id"], "reject"), json={"reason": "x"})).status_code == 403
        assert (await own_unit.get(stats(project["id"]))).status_code == 200
    async with client(platform.url("registry"), "statistics:review") as reviewer:
        assert (await reviewer.post(stats(project["id"], "reject"), json={"reason": "照片不清晰"})).status_code == 200
        assert (await reviewer.post(stats(project["id"], "submit"))).status_code == 403


async def test_another_units_token_cannot_submit(platform, registry, project):
    await ready_project(registry, project["id"])
    other = await create_unit(registry)
    async with client(platform.url("registry"), "projects:write", unit_id=other["id"]) as stranger:
        assert (await stranger.post(stats(project["id"], "submit"))).status_code == 403
    async with client(platform.url("registry"), auth=False) as anonymous:
        assert (await anonymous.get(stats(project["id"]))).status_code == 401


async def test_an_archived_project_cannot_be_submitted(registry, project):
    await ready_project(registry, project["id"])
    await registry.post(f"/api/v1/projects/{project['id']}/archive", json={"reason": "调出"})
    assert (await registry.post(stats(project["id"], "submit"))).status_code == 409
    assert (await registry.get(stats(project["id"]))).json()["status"] == "not_submitted"


async def test_the_real_start_date_is_reported(registry, project):
    await start_project(registry, project["id"], on=date(YEAR, 1, 1))
    assert (await registry.get(stats(project["id"]))).json()["real_start_date"] == f"{YEAR}-01-01"


# --- a project taken back before its start -----------------------------------------------------------------------

async def move(registry, project_id: str, **body):
    response = await registry.post(f"/api/v1/projects/{project_id}/transitions", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("reached", ["submitted", "accepted", "rejected"])
async def test_going_back_before_the_start_resets_statistics_and_announces_it(platform, registry, project,
                                                                           registry_events, reached):
    await ready_project(registry, project["id"])
    assert (await registry.post(stats(project["id"], "submit"))).status_code == 200
    if reached != "submitted":
        async with client(platform.url("registry"), "statistics:review") as reviewer:
            action, body = ("accept", None) if reached == "accepted" else ("reject", {"reason": "材料不全"})
            assert (await reviewer.post(stats(project["id"], action), json=body)).status_code == 200
    before = len(await published(registry_events, StatisticsStatusChanged, project["id"],
                                 count=1 if reached == "submitted" else 2))

    back = await move(registry, project["id"], to_stage="signed", date=f"{YEAR}-01-01", reason="开工为误报")
    assert (back["stage"], back["statistics_status"], back["real_start_date"]) == ("signed", "not_submitted", None)
    readiness = (await registry.get(stats(project["id"]))).json()
    assert (readiness["status"], readiness["reason"], readiness["ready"]) == ("not_submitted", None, False)

    events = await published(registry_events, StatisticsStatusChanged, project["id"], count=before + 1)
    assert events[-1] == StatisticsStatusChanged(
        project_id=project["id"], responsible_unit_id=project["responsible_unit_id"],
        status=StatisticsStatus.not_submitted, date=TODAY, reason="开工为误报")
    entry = [e for e in await history_actions(registry, project["id"]) if e["action"] == "stage_changed"][-1]
    assert entry["changes"] == {"stage": {"before": "started", "after": "signed"},
                                "real_start_date": {"before": f"{YEAR}-01-01", "after": None},
                                "statistics_status": {"before": reached, "after": "not_submitted"}}
    assert entry["note"] == "开工为误报"


async def test_going_back_but_still_started_keeps_statistics(platform, registry, project, registry_events):
    await ready_project(registry, project["id"])
    await move(registry, project["id"], to_stage="completed", date=f"{YEAR}-01-02")
    assert (await registry.post(stats(project["id"], "submit"))).status_code == 200
    back = await move(registry, project["id"], to_stage="started", date=f"{YEAR}-01-03", reason="竣工验收未通过")
    assert back["statistics_status"] == "submitted" and back["real_start_date"] == f"{YEAR}-01-01"
    await published(registry_events, StatisticsStatusChanged, project["id"])
    assert len(await registry_events.all(StatisticsStatusChanged, subject=project["id"])) == 1


async def test_going_back_before_the_start_without_statistics_announces_no_status(registry, project,
                                                                                 registry_events):
    await start_project(registry, project["id"])
    back = await move(registry, project["id"], to_stage="land_supplied", date=f"{YEAR}-01-01", reason="误报")
    assert back["statistics_status"] == "not_submitted"
    entry = [e for e in await history_actions(registry, project["id"]) if e["action"] == "stage_changed"][-1]
    assert "statistics_status" not in entry["changes"]
    assert await registry_events.all(StatisticsStatusChanged, subject=project["id"]) == []
