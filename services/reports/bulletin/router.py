"""GET /reports/bulletin/{YYYY-MM}: the month's bulletin as DOCX (the default) or Markdown, by ?format= or Accept."""
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from services.reports.bulletin import content, render, word
from services.reports.dependencies import ReadSession, Reader, Settings, Today
from services.reports.exports import service as exports
from services.reports.periods import MONTH_PATTERN
from services.reports.snapshots import service as snapshots
from services.reports.snapshots.schemas import FrozenProject

router = APIRouter(tags=["reports"])
MARKDOWN_MEDIA_TYPE = "text/markdown; charset=utf-8"


class BulletinFormat(StrEnum):
    docx = "docx"
    md = "md"


def _format(request: Request, asked: BulletinFormat | None) -> BulletinFormat:
    if asked is not None:
        return asked
    return BulletinFormat.md if "text/markdown" in request.headers.get("accept", "").lower() else BulletinFormat.docx


@router.get("/reports/bulletin/{period}", response_class=Response,
            responses={200: {"content": {word.DOCX_MEDIA_TYPE: {}, "text/markdown": {}}}})
async def bulletin(period: Annotated[str, Path(pattern=MONTH_PATTERN)], request: Request, session: ReadSession,
                   _: Reader, settings: Settings, today: Today,
                   format: Annotated[BulletinFormat | None, Query(description="docx or md; overrides Accept")] = None):
    """The month's bulletin (调度通报), written from its snapshot by the office's template."""
    report = await exports.monthly(session=session, period=period, today=today,
                                   target_rounding=settings.target_rounding)
    frozen = [FrozenProject.model_validate(p) for p in await snapshots.frozen_projects(session, period)]
    text = render.markdown(content.context(report, frozen, ranked=settings.bulletin_ranked,
                                           plan_threshold=settings.bulletin_plan_threshold),
                           settings.bulletin_template)
    year, month = period.split("-")
    name = quote(f"{year}年重点项目{int(month)}月调度通报")
    chosen = _format(request, format)
    body, media_type = (word.to_docx(text), word.DOCX_MEDIA_TYPE) if chosen is BulletinFormat.docx else \
        (text.encode(), MARKDOWN_MEDIA_TYPE)
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"bulletin-{period}.{chosen.value}\"; "
                               f"filename*=UTF-8''{name}.{chosen.value}"})
