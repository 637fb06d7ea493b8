"""Statistics-inclusion endpoints: documents (linked or uploaded), readiness, submit, accept, reject."""
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from kit.app import SessionDep, url_for
from kit.auth import Principal, require
from kit.clock import today
from kit.errors import Invalid, TooLarge, UnsupportedMediaType, field_error
from kit.idempotency import IdempotencyKey, create_once
from kit.pagination import Page, PageParams, page_params
from services.registry.statistics import service
from services.registry.statistics.schemas import (DocumentKind, DocumentLink, DocumentPublic, DocumentUpload,
                                                  RejectRequest, StatisticsPublic, UploadFingerprint)

# Uploaded types served with their own media type; any other (text/html, image/svg+xml, …) as octet-stream.
INLINE_SAFE = frozenset({"application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp", "text/plain",
                         "application/zip", "application/msword", "application/vnd.ms-excel",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})

router = APIRouter(tags=["statistics"])
Reader = Annotated[Principal, Depends(require("projects:read"))]
Writer = Annotated[Principal, Depends(require("projects:write"))]
# Accepting or rejecting is the statistics office's decision, not the project unit's: its own scope (or admin).
Reviewer = Annotated[Principal, Depends(require("statistics:review"))]
Pagination = Annotated[PageParams, Depends(page_params)]

FORM_OVERHEAD = 64 * 1024  # room for the multipart boundaries and the other form fields around the file

_KIND_REF = "#/components/schemas/DocumentKind"  # registered there through DocumentPublic
DOCUMENT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {k: v for k, v in DocumentLink.model_json_schema(
        ref_template="#/components/schemas/{model}").items() if k != "$defs"}},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file", "kind", "title"],
        "properties": {"file": {"type": "string", "format": "binary"}, "kind": {"$ref": _KIND_REF},
                       "title": {"type": "string", "minLength": 1, "maxLength": 300}}}},
}}}


def _body_errors(exc: ValidationError, *extra: dict) -> RequestValidationError:
    """Errors of a body validated by hand, located as FastAPI locates its own (a model-level error names 'body')."""
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
                                  + list(extra))


async def _limited(request: Request, limit: int):
    """The request body, refused once past `limit` bytes (an upload sent without Content-Length)."""
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise TooLarge(f"the upload exceeds {limit} bytes")
        yield chunk


async def _read_upload(request: Request, *, limit: int) -> tuple[DocumentUpload, service.UploadedFile]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_OVERHEAD:
        raise TooLarge(f"the upload of {declared} bytes exceeds the limit of {limit} bytes per document")
    try:
        form = await MultiPartParser(request.headers, _limited(request, limit + FORM_OVERHEAD), max_files=1,
                                     max_fields=10).parse()
    except MultiPartException as exc:
        raise Invalid(f"the multipart body is malformed: {exc.message}",
                      errors=[field_error("file", exc.message)]) from None
    try:
        file = form.get("file")
        errors = []
        if not isinstance(file, UploadFile):
            errors.append({"loc": ("body", "file"), "msg": "a file is required (multipart field 'file')",
                           "type": "missing"})
        elif len(file.filename or "") > 300 or len(file.content_type or "") > 200:
            errors.append({"loc": ("body", "file"), "type": "too_long",
                           "msg": "the file name may have 300 characters and its content type 200"})
        try:
            fields = DocumentUpload.model_validate({k: v for k, v in form.multi_items() if k != "file"})
        except ValidationError as exc:
            raise _body_errors(exc, *errors) from exc
        if errors:
            raise RequestValidationError(errors)
        if file.size is not None and file.size > limit:
            raise TooLarge(f"the file of {file.size} bytes exceeds the limit of {limit} bytes per document")
        content = await file.read()
    finally:
        await form.close()
    return fields, service.UploadedFile(filename=file.filename, content_type=file.content_type, content=content)


@router.post("/projects/{project_id}/documents", status_code=201, response_model=DocumentPublic,
             openapi_extra=DOCUMENT_BODY)
async def register_document(project_id: str, request: Request, session: SessionDep, principal: Writer,
                            idempotency_key: IdempotencyKey = None):
    """Registers a document: JSON {kind, title, uri} for a link, or multipart (file, kind, title) for an upload."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == "application/json":
        try:
            link = DocumentLink.model_validate_json(await request.body())
        except ValidationError as exc:
            raise _body_errors(exc) from exc
        fields, upload, fingerprint = link, None, link
    elif media_type == "multipart/form-data":
        fields, upload = await _read_upload(request, limit=request.app.state.settings.max_document_bytes)
        fingerprint = UploadFingerprint(kind=fields.kind, title=fields.title, filename=upload.filename,
                                        sha256=upload.sha256, size=upload.size)
    else:
        raise UnsupportedMediaType(
            f"send application/json (a link) or multipart/form-data (an upload), not '{media_type or 'nothing'}'")

    async def create():
        document = await service.register_document(
            session=session, project_id=project_id, principal=principal, kind=fields.kind, title=fields.title,
            uri=getattr(fields, "uri", None), upload=upload)
        return DocumentPublic.model_validate(document)

    return await create_once(session, key=idempotency_key, scope=f"documents:{project_id}", request_body=fingerprint,
                             create=create, location=lambda b: url_for(request, "download_document", project_id=project_id, document_id=b["id"]))


@router.get("/projects/{project_id}/documents", response_model=Page[DocumentPublic])
async def list_documents(project_id: str, session: SessionDep, _: Reader, page: Pagination,
                         kind: DocumentKind | None = None):
    items, cursor = await service.list_documents(session=session, project_id=project_id, params=page, kind=kind)
    return Page(items=items, next_cursor=cursor)


@router.get("/projects/{project_id}/documents/{document_id}/content", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "The uploaded file"}})
async def download_document(project_id: str, document_id: str, session: SessionDep, _: Reader):
    document = await service.get_document(session=session, project_id=project_id, document_id=document_id)
    filename = document.filename or document.id
    # Served as a download, never rendered: what a browser would run (HTML, SVG, XML, scripts) goes as bytes.
    media_type = document.content_type if document.content_type in INLINE_SAFE else "application/octet-stream"
    return Response(document.content, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "ETag": f'"{document.sha256}"',
    })


def _required(request: Request) -> list[DocumentKind]:
    return request.app.state.settings.statistics_required_documents


@router.get("/projects/{project_id}/statistics", response_model=StatisticsPublic)
async def statistics_readiness(project_id: str, session: SessionDep, _: Reader, request: Request):
    return await service.readiness(session=session, project_id=project_id, required=_required(request))


@router.post("/projects/{project_id}/statistics/submit", response_model=StatisticsPublic)
async def submit_statistics(project_id: str, session: SessionDep, principal: Writer, request: Request):
    return await service.submit(session=session, project_id=project_id, principal=principal,
                                required=_required(request), today=today(request.app.state.settings))


@router.post("/projects/{project_id}/statistics/accept", response_model=StatisticsPublic)
async def accept_statistics(project_id: str, session: SessionDep, principal: Reviewer, request: Request):
    return await service.review(session=session, project_id=project_id, principal=principal, accepted=True,
                                required=_required(request), today=today(request.app.state.settings))


@router.post("/projects/{project_id}/statistics/reject", response_model=StatisticsPublic)
async def reject_statistics(project_id: str, body: RejectRequest, session: SessionDep, principal: Reviewer,
                            request: Request):
    return await service.review(session=session, project_id=project_id, principal=principal, accepted=False,
                                reason=body.reason, required=_required(request),
                                today=today(request.app.state.settings))
