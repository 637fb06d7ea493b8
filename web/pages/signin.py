"""Sign-in: with the government identity provider (OIDC authorization code flow with PKCE) when configured; in
development (KP_ENV=dev) a list of demo users - the office, two towns, a department - whose tokens the web mints; a
token from the identity provider pasted. The services verify every token the pages call them with."""
import base64
import hashlib
import secrets
from urllib.parse import urlencode

import httpx
import jwt
from fastapi import APIRouter, Form, HTTPException, Request
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
    safe = target and target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if safe else "/"


@router.get("/login")
async def login_page(request: Request, next: str | None = None):
    settings = request.app.state.settings
    users = await _demo_users(settings) if settings.dev else []
    return render(request, "login.html", {"users": users, "next": _safe_next(next), "dev": settings.dev,
                                          "sso": settings.sso})


@router.post("/login")
async def login(request: Request, csrf: str = Form(""), unit_id: str = Form(""), token: str = Form(""),
                next: str = Form("/")):
    check_csrf(request, csrf)
    settings = request.app.state.settings
    if token:  # a token the identity provider issued: who it names is shown; every service verifies it
        user = _user_of(settings, token)
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
    target = _safe_next(next)
    return RedirectResponse(target if target != "/" else ("/console" if user.office else "/m"), status_code=303)


@router.post("/logout")
async def logout(request: Request, csrf: str = Form("")):
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _user_of(settings, token: str) -> User:
    """Who a token names, for the pages (the unit decides which pages; the services verify the token itself)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise HTTPException(status_code=401, detail="令牌无效，请重新登录") from exc
    return User(token, claims.get("name") or claims.get("preferred_username") or claims.get("sub", "用户"),
                claims.get(settings.oidc_unit_claim), None)


def _callback_url(request: Request) -> str:
    return str(request.url_for("sso_callback"))


@router.get("/login/sso")
async def sso(request: Request, next: str | None = None):
    """To the identity provider, with a state and a PKCE challenge kept in the session."""
    settings = request.app.state.settings
    if not settings.sso:
        return RedirectResponse("/login", status_code=303)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    request.session["sso"] = {"state": state, "verifier": verifier, "next": _safe_next(next)}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode({"response_type": "code", "client_id": settings.web_oidc_client_id,
                       "redirect_uri": _callback_url(request), "scope": settings.web_oidc_scope, "state": state,
                       "code_challenge": challenge, "code_challenge_method": "S256"})
    return RedirectResponse(f"{settings.web_oidc_authorize_url}?{query}", status_code=303)


@router.get("/login/callback", name="sso_callback")
async def sso_callback(request: Request, code: str | None = None, state: str | None = None):
    """Back from the identity provider: the code exchanged for tokens (state and PKCE checked)."""
    settings = request.app.state.settings
    pending = request.session.pop("sso", None)
    if not settings.sso or not pending or not code or not state or not secrets.compare_digest(state, pending["state"]):
        return render(request, "error.html", {"title": "登录失败", "detail": "登录请求已过期或来源不明，请重新登录",
                                              "errors": []}, status_code=400)
    secret = settings.web_oidc_client_secret.get_secret_value() if settings.web_oidc_client_secret else None
    async with httpx.AsyncClient(timeout=15) as idp:
        answer = await idp.post(settings.web_oidc_token_url, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": _callback_url(request),
            "client_id": settings.web_oidc_client_id, "code_verifier": pending["verifier"],
            **({"client_secret": secret} if secret else {})})
    if answer.status_code != 200 or "access_token" not in answer.json():
        return render(request, "error.html", {"title": "登录失败", "detail": "统一身份认证未签发令牌", "errors": []},
                      status_code=502)
    user = _user_of(settings, answer.json()["access_token"])
    sign_in(request, user)
    return RedirectResponse(pending["next"] if pending["next"] != "/" else ("/console" if user.office else "/m"),
                            status_code=303)
