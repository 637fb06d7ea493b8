"""The public board: an HTML page for a display screen and the JSON it refreshes itself from.

Open to anyone by default (a lobby screen has no token); with KP_BOARD_REQUIRES_TOKEN both need a reports:read
token, sent as a bearer header or as ?token= (the page passes its own ?token= on to its data requests)."""
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from kit.auth import authenticate, verify
from kit.errors import Forbidden
from kit.openapi import BEARER
from services.reports.board.page import render
from services.reports.board.service import BoardData, board_data
from services.reports.dependencies import ReadSession, Settings, Today, Year

router = APIRouter(tags=["board"])
Token = Annotated[str | None, Query(max_length=4000, description="a reports:read token when the board requires one")]
OPTIONAL_TOKEN = {"security": [{}, {BEARER: []}]}  # a bearer token (or ?token=) only with KP_BOARD_REQUIRES_TOKEN


async def _allow(request: Request, token: str | None) -> None:
    settings = request.app.state.settings
    if not settings.board_requires_token:
        return
    if token:
        principal = verify(token, secret=settings.jwt_secret.get_secret_value(), algorithm=settings.jwt_algorithm,
                           max_lifetime=timedelta(days=settings.jwt_max_lifetime_days))
    else:
        principal = await authenticate(request)
    if not principal.has("reports:read"):
        raise Forbidden("the token lacks the 'reports:read' scope")


@router.get("/board", response_class=HTMLResponse, openapi_extra=OPTIONAL_TOKEN)
async def board_page(request: Request, settings: Settings, year: Year = None, token: Token = None):
    """The board page (Chinese, laid out for 1920×1080), refreshing its figures every KP_BOARD_REFRESH_SECONDS."""
    await _allow(request, token)
    return HTMLResponse(render(refresh_seconds=settings.board_refresh_seconds))


@router.get("/board/data", response_model=BoardData, openapi_extra=OPTIONAL_TOKEN)
async def board_figures(request: Request, session: ReadSession, settings: Settings, today: Today,
                        year: Year = None, token: Token = None):
    await _allow(request, token)
    return await board_data(session=session, settings=settings, year=year, today=today)
