"""Sign-in: in development (KP_ENV=dev) a list of demo users - the office, two towns, a department - whose tokens the
web mints; otherwise a token from the government identity provider pasted or passed on (the services check it)."""
import jwt
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from web.api import services
from web.render import render
from web.session import User, check_csrf, demo_user, sign_in

router = APIRouter()


async def _demo_users(settings) -> list[tuple[str, dict | None]]:
    office = demo_user(settings, name="项目办", unit=None)
    async with services(settings, office) as api:
        units = sorted(await api.items("registry", "/api/v1/units"), key=lambda u: u["code"])
    towns = [u for u in units if u["kind"] in ("town", "street")][:2]
    departments = [u for u in units if u["kind"] == "department"][:1]
    return [("项目办（管理员）", None)] + [(f"{u['name']}填报员", u) for u in towns + departments]


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never another host) to go back to after signing in."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
async def login_page(request: Request, next: str | None = None):
    settings = request.app.state.settings
    users = await _demo_users(settings) if settings.dev else []
    return render(request, "login.html", {"users": users, "next": _safe_next(next), "dev": settings.dev})


@router.post("/login")
async def login(request: Request, csrf: str = Form(""), unit_id: str = Form(""), token: str = Form(""),
                next: str = Form("/")):
    check_csrf(request, csrf)
    settings = request.app.state.settings
    if token:  # a token the identity provider issued: who it names is shown; every service verifies it
        claims = jwt.decode(token, options={"verify_signature": False})
        unit = claims.get("unit_id")
        user = User(token, claims.get("name") or claims.get("sub", "用户"), unit, None)
    elif settings.dev:
        chosen = {(u or {}).get("id", ""): (name, u) for name, u in await _demo_users(settings)}
        if unit_id not in chosen:
            return render(request, "error.html", {"title": "无此用户", "detail": "请从列表中选择", "errors": []},
                          status_code=422)
        name, unit = chosen[unit_id]
        user = demo_user(settings, name=name, unit=unit)
    else:
        return render(request, "error.html", {"title": "请登录", "detail": "请提供统一身份认证令牌", "errors": []},
                      status_code=401)
    sign_in(request, user)
    return RedirectResponse(_safe_next(next) if next != "/" else ("/console" if user.office else "/m"),
                            status_code=303)


@router.post("/logout")
async def logout(request: Request, csrf: str = Form("")):
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
