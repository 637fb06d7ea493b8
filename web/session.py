"""Who is signed in (a signed session cookie holding the user's token), CSRF protection of every form, and the
development sign-in that lists demo users."""
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import HTTPException, Request

from kit.auth import ADMIN, mint

UNIT_SCOPES = ["projects:read", "projects:write", "milestones:read", "alerts:read", "tasks:read", "tasks:write",
               "reports:read"]


@dataclass(frozen=True)
class User:
    token: str
    name: str
    unit_id: str | None  # a unit's user acts for its unit only; None: the office
    unit_name: str | None

    @property
    def office(self) -> bool:
        return self.unit_id is None


class SignIn(Exception):
    """No one is signed in: the page sends them to the sign-in."""


def current_user(request: Request) -> User:
    found = request.session.get("user")
    if not found:
        raise SignIn()
    return User(**found)


def sign_in(request: Request, user: User) -> None:
    request.session.clear()
    request.session["user"] = {"token": user.token, "name": user.name, "unit_id": user.unit_id,
                               "unit_name": user.unit_name}
    request.session["csrf"] = secrets.token_urlsafe(24)


def demo_user(settings, *, name: str, unit: dict | None) -> User:
    """A development user: the office (admin) or a unit's reporter, with a token minted here (KP_ENV=dev only)."""
    secret = settings.jwt_secret.get_secret_value()
    ttl = timedelta(hours=settings.web_session_hours)
    if unit is None:
        return User(mint(secret=secret, subject=name, scopes=[ADMIN], ttl=ttl), name, None, None)
    return User(mint(secret=secret, subject=name, scopes=UNIT_SCOPES, unit_id=unit["id"], ttl=ttl), name,
                unit["id"], unit["name"])


def csrf_token(request: Request) -> str:
    """The session's form token (made on first use)."""
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return request.session["csrf"]


def check_csrf(request: Request, sent: str | None) -> None:
    """A form must carry the session's token: another site cannot post as the user."""
    expected = request.session.get("csrf")
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise HTTPException(status_code=403, detail="表单已过期或来源不明，请刷新页面后重试")
