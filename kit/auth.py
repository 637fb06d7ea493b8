"""Bearer JWTs with scopes and an optional unit claim: minting, verifying, and the FastAPI dependency."""
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import jwt
from fastapi import Request

from kit.clock import utcnow
from kit.errors import Forbidden, Unauthorized

ADMIN = "admin"
# Every scope a service checks; a token naming another is a mistake worth catching where it is minted.
SCOPES = frozenset({"projects:read", "projects:write", "milestones:read", "milestones:write", "alerts:read",
                    "alerts:write", "tasks:read", "tasks:write", "reports:read", "statistics:review", ADMIN})


@dataclass(frozen=True)
class Principal:
    subject: str
    scopes: frozenset[str]
    unit_id: str | None

    def has(self, scope: str) -> bool:
        return scope in self.scopes or ADMIN in self.scopes

    def ensure_unit(self, unit_id: str) -> None:
        """A token bound to a unit writes only that unit's records."""
        if self.unit_id is not None and self.unit_id != unit_id:
            raise Forbidden("this token may only write records of its own unit")


def mint(*, secret: str, subject: str, scopes: list[str], unit_id: str | None = None,
         ttl: timedelta = timedelta(days=30), algorithm: str = "HS256") -> str:
    now = utcnow()
    claims = {"sub": subject, "scope": " ".join(scopes), "iat": now, "exp": now + ttl}
    if unit_id:
        claims["unit_id"] = unit_id
    return jwt.encode(claims, secret, algorithm=algorithm)


@lru_cache(maxsize=4096)
def _verify(token: str, secret: str, algorithm: str) -> tuple[Principal, float, float | None]:
    """The principal, the expiry and the issue time (epoch seconds) of a token whose signature holds."""
    claims = jwt.decode(token, secret, algorithms=[algorithm], options={"require": ["exp", "sub"]})
    principal = Principal(subject=claims["sub"], scopes=frozenset(str(claims.get("scope", "")).split()),
                          unit_id=claims.get("unit_id"))
    issued = claims.get("iat")
    return principal, float(claims["exp"]), float(issued) if isinstance(issued, (int, float)) else None


def verify(token: str, *, secret: str, algorithm: str, max_lifetime: timedelta = timedelta(days=30)) -> Principal:
    """Decode a token; the cache spares the signature check on repeat calls, the expiry is checked on every one.
    A token meant to live longer than `max_lifetime` is refused (a leaked one must not work for years)."""
    try:
        principal, expires, issued = _verify(token, secret, algorithm)
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc
    now = time.time()
    if expires <= now:  # as PyJWT decides it (no leeway)
        raise Unauthorized("invalid token: Signature has expired", headers={"WWW-Authenticate": "Bearer"})
    if expires - (issued if issued is not None else now) > max_lifetime.total_seconds():
        raise Unauthorized(f"invalid token: it lives longer than {max_lifetime.days} days",
                           headers={"WWW-Authenticate": "Bearer"})
    return principal


async def authenticate(request: Request) -> Principal:
    """async (it never blocks): a plain def would make FastAPI run it in a worker thread on every request."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    settings = request.app.state.settings
    return verify(token.strip(), secret=settings.jwt_secret.get_secret_value(), algorithm=settings.jwt_algorithm,
                  max_lifetime=timedelta(days=settings.jwt_max_lifetime_days))


def require(scope: str):
    """Dependency: the caller's principal, which must hold `scope` (or admin). What needs `admin` itself is the
    office's: a unit-bound token never does it, whatever its scopes."""

    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)  # called, not a nested Depends: one dependency less to solve
        if not principal.has(scope):
            raise Forbidden(f"the token lacks the '{scope}' scope")
        if scope == ADMIN and principal.unit_id is not None:
            raise Forbidden("a unit-bound token may not do what only the office's admin does")
        return principal

    return dependency
