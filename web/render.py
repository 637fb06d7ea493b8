"""Jinja2 templates with the formats people read (万元, 亿元, 2026年6月15日) and the form token."""
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from web.formats import FILTERS
from web.session import csrf_token

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters.update(FILTERS)


def render(request: Request, name: str, context: dict, status_code: int = 200):
    user = request.session.get("user")
    return templates.TemplateResponse(request, name, {"user": user, "csrf": csrf_token(request),
                                                      "flash": request.session.pop("flash", None), **context},
                                      status_code=status_code)


def flash(request: Request, message: str) -> None:
    request.session["flash"] = message
