"""Project import endpoints: the template download and the CSV/XLSX upload (multipart or raw body)."""
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from kit.app import SessionDep
from kit.auth import Principal, require
from kit.errors import Invalid, TooLarge, field_error
from services.registry.imports import service, sheets
from services.registry.imports.schemas import ImportMode, ImportResult, TemplateFormat

router = APIRouter(tags=["projects"])
Reader = Annotated[Principal, Depends(require("projects:read"))]
Writer = Annotated[Principal, Depends(require("projects:write"))]

MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file itself
MEDIA_TYPES = {TemplateFormat.csv: "text/csv; charset=utf-8", TemplateFormat.xlsx: sheets.XLSX_MEDIA_TYPE}
_UPLOAD_DOC = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
    "text/csv": {"schema": {"type": "string"}},
    sheets.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
}}}


@dataclass(frozen=True)
class Upload:
    filename: str | None
    content_type: str | None
    content: bytes


@router.get("/projects/import/template", response_class=Response,
            responses={200: {"content": {v: {} for v in MEDIA_TYPES.values()}}})
async def import_template(_: Reader, fmt: Annotated[TemplateFormat, Query(alias="format")] = TemplateFormat.csv):
    name = f"projects-import-template.{fmt.value}"
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(f'项目导入模板.{fmt.value}')}"
    return Response(service.template(fmt), media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": disposition})


@router.post("/projects/import", response_model=ImportResult, openapi_extra=_UPLOAD_DOC)
async def import_projects(request: Request, session: SessionDep, principal: Writer,
                          mode: ImportMode = ImportMode.all_or_nothing):
    """Import projects from CSV or XLSX; rows are matched to existing projects by code."""
    settings = request.app.state.settings
    upload = await read_upload(request, max_bytes=settings.import_max_bytes)
    return await service.import_projects(session=session, content=upload.content, filename=upload.filename,
                                         content_type=upload.content_type, mode=mode, principal=principal,
                                         settings=settings)


async def read_upload(request: Request, *, max_bytes: int) -> Upload:
    """The uploaded file: the first file part of a multipart form, or the raw body; 413 past `max_bytes`."""
    content_type = request.headers.get("content-type")
    multipart = (content_type or "").lower().startswith("multipart/form-data")
    limit = max_bytes + (MULTIPART_SLACK if multipart else 0)
    too_large = TooLarge(f"the file is larger than {max_bytes} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    if not multipart:
        return Upload(filename=None, content_type=content_type, content=bytes(body))
    return await _file_part(request, bytes(body), max_bytes=max_bytes, too_large=too_large)


async def _file_part(request: Request, body: bytes, *, max_bytes: int, too_large: Exception) -> Upload:
    async def once():
        yield body
        yield b""

    try:
        form = await MultiPartParser(request.headers, once(), max_files=1, max_fields=10).parse()
    except MultiPartException as exc:
        raise Invalid(f"the multipart body is malformed: {exc.message}",
                      errors=[field_error("file", exc.message)]) from None
    try:
        uploads = [v for v in form.values() if isinstance(v, UploadFile)]
        if not uploads:
            raise Invalid("send the file in a multipart part named 'file'",
                          errors=[field_error("file", "Field required")])
        upload = form.get("file") if isinstance(form.get("file"), UploadFile) else uploads[0]
        content = await upload.read()
        if len(content) > max_bytes:
            raise too_large
        return Upload(filename=upload.filename, content_type=upload.content_type, content=content)
    finally:
        await form.close()
