"""Statistics-inclusion use-cases: documents, readiness, submit / accept / reject. Never commit."""
import hashlib
import uuid
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from contracts.registry import Stage, StatisticsStatus, StatisticsStatusChanged
from kit.auth import Principal
from kit.clock import utcnow
from kit.errors import Conflict, NotFound
from kit.pagination import PageParams, keyset, page_of
from services.registry import history
from services.registry.events import publish
from services.registry.models import Document, Project
from services.registry.projects.service import get, get_writable
from services.registry.statistics.schemas import KIND_NAMES, DocumentKind

STARTED_OR_LATER = frozenset({Stage.started, Stage.completed, Stage.in_operation})
STAGE_NAMES = {Stage.planning: "谋划", Stage.signed: "签约", Stage.land_supplied: "供地", Stage.started: "开工",
               Stage.completed: "竣工", Stage.in_operation: "投产"}
DOCUMENT_COLUMNS = [c for c in Document.__table__.columns if c.key != "content"]


class NotReady(Conflict):
    slug, title = "statistics-not-ready", "The project is not ready for statistics inclusion"


@dataclass(frozen=True)
class UploadedFile:
    filename: str | None
    content_type: str | None
    content: bytes

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content)


def content_url(project_id: str, document_id: str) -> str:
    return f"/api/v1/projects/{project_id}/documents/{document_id}/content"


def _public(values: dict) -> dict:
    uploaded = values["sha256"] is not None and values["uri"] is None
    return {**values, "content_url": content_url(values["project_id"], values["id"]) if uploaded else None}


async def register_document(*, session: AsyncSession, project_id: str, principal: Principal, kind: DocumentKind,
                            title: str, uri: str | None = None, upload: UploadedFile | None = None) -> dict:
    """Registers a document of a project: a link to it, or an uploaded file kept with its SHA-256 and size."""
    await get_writable(session=session, project_id=project_id, principal=principal)
    values = {"id": str(uuid.uuid4()), "project_id": project_id, "kind": kind.value, "title": title, "uri": uri,
              "filename": None, "content_type": None, "size": None, "sha256": None, "content": None,
              "actor": principal.subject, "at": utcnow()}
    if upload is not None:
        values.update(filename=upload.filename, content_type=upload.content_type, size=upload.size,
                      sha256=upload.sha256, content=upload.content)
    session.add(Document(**values))
    await session.flush()
    await history.record(session, project_id=project_id, actor=principal.subject, action="document_registered",
                         changes={"documents": {"before": None, "after": {"id": values["id"], "kind": kind.value}}},
                         note=title)
    row = (await session.execute(select(*DOCUMENT_COLUMNS).where(Document.id == values["id"]))).one()
    return _public(dict(row._mapping))


async def list_documents(*, session: AsyncSession, project_id: str, params: PageParams,
                         kind: DocumentKind | None) -> tuple[list[dict], str | None]:
    """Lists a project's documents, oldest first, without their content."""
    await get(session=session, project_id=project_id)
    query = select(*DOCUMENT_COLUMNS).where(Document.project_id == project_id)
    if kind is not None:
        query = query.where(Document.kind == kind.value)
    rows = (await session.execute(keyset(query, key=Document.id, sort=Document.at, params=params))).all()
    rows, cursor = page_of(list(rows), params, keys=lambda r: [r.at, r.id])
    return [_public(dict(r._mapping)) for r in rows], cursor


async def get_document(*, session: AsyncSession, project_id: str, document_id: str) -> Document:
    """Gets an uploaded document with its content."""
    document = await session.scalar(select(Document).options(undefer(Document.content))
                                    .where(Document.id == document_id, Document.project_id == project_id))
    if document is None:
        raise NotFound(f"project {project_id} has no document {document_id}")
    if document.content is None:
        raise NotFound(f"document {document_id} is a link ({document.uri}); it has no uploaded content")
    return document


async def _readiness(*, session: AsyncSession, project: Project, required: list[DocumentKind]) -> dict:
    present = set((await session.scalars(
        select(Document.kind).where(Document.project_id == project.id).distinct())).all())
    missing = []
    if Stage(project.stage) not in STARTED_OR_LATER:
        missing.append({"code": "not_started", "message": f"项目尚未开工（当前阶段：{STAGE_NAMES[Stage(project.stage)]}）"})
    if project.real_start_date is None:
        missing.append({"code": "real_start_unconfirmed", "message": "尚未确认实质性开工"})
    required = list(dict.fromkeys(required))
    missing += [{"code": "document_missing", "kind": kind, "message": f"缺少{KIND_NAMES[kind]}"}
                for kind in required if kind.value not in present]
    return {"project_id": project.id, "status": project.statistics_status, "reason": project.statistics_reason,
            "ready": not missing, "stage": project.stage, "real_start_date": project.real_start_date,
            "required_documents": required, "present_documents": sorted(present), "missing": missing}


async def readiness(*, session: AsyncSession, project_id: str, required: list[DocumentKind]) -> dict:
    """Whether the project may enter statistics: started, real start confirmed, required documents present."""
    project = await get(session=session, project_id=project_id)
    return await _readiness(session=session, project=project, required=required)


# The review workflow: the statuses each action starts from, the status it leads to, and its history action.
MOVES = {
    "submit": ({StatisticsStatus.not_submitted, StatisticsStatus.rejected}, StatisticsStatus.submitted,
               "statistics_submitted"),
    "accept": ({StatisticsStatus.submitted}, StatisticsStatus.accepted, "statistics_accepted"),
    "reject": ({StatisticsStatus.submitted}, StatisticsStatus.rejected, "statistics_rejected"),
}


async def _move(*, session: AsyncSession, project: Project, action: str, principal: Principal, today: date,
                reason: str | None = None) -> None:
    allowed, target, history_action = MOVES[action]
    before = StatisticsStatus(project.statistics_status)
    if before not in allowed:
        raise Conflict(f"cannot {action} statistics inclusion: the status is {before}, "
                       f"{action} needs {' or '.join(sorted(allowed))}")
    project.statistics_status = target.value
    project.statistics_reason = reason
    await session.flush()
    await history.record(session, project_id=project.id, actor=principal.subject, action=history_action,
                         changes={"statistics_status": {"before": before.value, "after": target.value}}, note=reason)
    await publish(session, StatisticsStatusChanged(
        project_id=project.id, responsible_unit_id=project.responsible_unit_id, status=target, date=today,
        reason=reason), subject=project.id)


async def submit(*, session: AsyncSession, project_id: str, principal: Principal, required: list[DocumentKind],
                 today: date) -> dict:
    """Submits a ready project for statistics inclusion; 409 listing what is missing otherwise."""
    project = await get_writable(session=session, project_id=project_id, principal=principal)
    state = await _readiness(session=session, project=project, required=required)
    if not state["ready"]:
        raise NotReady("the project is not ready for statistics inclusion: "
                       + "；".join(m["message"] for m in state["missing"]), errors=state["missing"])
    await _move(session=session, project=project, action="submit", principal=principal, today=today)
    return await _readiness(session=session, project=project, required=required)


async def review(*, session: AsyncSession, project_id: str, principal: Principal, accepted: bool,
                 required: list[DocumentKind], today: date, reason: str | None = None) -> dict:
    """Accepts a submitted project into statistics, or rejects it with a reason."""
    project = await get_writable(session=session, project_id=project_id, principal=principal)
    await _move(session=session, project=project, action="accept" if accepted else "reject", principal=principal,
                today=today, reason=reason)
    return await _readiness(session=session, project=project, required=required)
