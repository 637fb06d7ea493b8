"""Bearer JWTs with scopes and an optional unit claim: minting, verifying, and the FastAPI dependency."""
import asyncio
import contextvars
import functools
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import jwt
from fastapi import Request

from kit.clock import utcnow
from kit.errors import Forbidden, Unauthorized

ADMIN = "admin"
# Who the current request authenticated as (subject and unit): what belongs to a caller, e.g. its idempotency keys.
current_caller: contextvars.ContextVar[str] = contextvars.ContextVar("current_caller", default="")
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

    def ensure_office(self, refusal: str) -> None:
        """What only the office does (a token without a unit): a unit-bound token is refused with `refusal`."""
        if self.unit_id is not None:
            raise Forbidden(refusal)


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


def _claimed_scopes(value) -> frozenset[str]:
    """Scopes as a space-separated string (OAuth 2) or a list (some identity providers)."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, (list, tuple)):
        return frozenset(str(v) for v in value)
    return frozenset()


@dataclass(frozen=True)
class IdentityProvider:
    """The government identity provider (OIDC): its issuer, the audience tokens are meant for, its JWKS (fetched
    and cached by PyJWT, refreshed for a key id it does not know), and the claims that carry scopes and the unit."""

    issuer: str
    audience: str
    jwks_url: str
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    scope_claim: str = "scope"
    unit_claim: str = "unit_id"

    @functools.cached_property
    def _keys(self) -> jwt.PyJWKClient:
        return jwt.PyJWKClient(self.jwks_url, cache_keys=True, lifespan=300, timeout=5)

    async def verify(self, token: str) -> tuple[Principal, float, float | None]:
        # the JWKS is fetched over blocking HTTP when a key id is new: off the event loop
        key = await asyncio.to_thread(self._keys.get_signing_key_from_jwt, token)
        claims = jwt.decode(token, key.key, algorithms=list(self.algorithms), audience=self.audience,
                            issuer=self.issuer, options={"require": ["exp", "sub", "iss", "aud"]})
        unit = claims.get(self.unit_claim)
        principal = Principal(subject=str(claims["sub"]), scopes=_claimed_scopes(claims.get(self.scope_claim)),
                              unit_id=str(unit) if unit else None)
        issued = claims.get("iat")
        return principal, float(claims["exp"]), float(issued) if isinstance(issued, (int, float)) else None


@lru_cache(maxsize=8)
def _provider(issuer: str, audience: str, jwks_url: str, algorithms: tuple[str, ...], scope_claim: str,
              unit_claim: str) -> IdentityProvider:
    return IdentityProvider(issuer, audience, jwks_url, algorithms, scope_claim, unit_claim)


def identity_provider(settings) -> IdentityProvider | None:
    """The deployment's identity provider (one per configuration, so its key cache lives as long as the process)."""
    if not settings.oidc_issuer:
        return None
    return _provider(settings.oidc_issuer, settings.oidc_audience, settings.oidc_jwks_url,
                     tuple(settings.oidc_algorithms), settings.oidc_scope_claim, settings.oidc_unit_claim)


def _checked(principal: Principal, expires: float, issued: float | None, max_lifetime: timedelta) -> Principal:
    now = time.time()
    if expires <= now:  # as PyJWT decides it (no leeway)
        raise Unauthorized("invalid token: Signature has expired", headers={"WWW-Authenticate": "Bearer"})
    if expires - (issued if issued is not None else now) > max_lifetime.total_seconds():
        raise Unauthorized(f"invalid token: it lives longer than {max_lifetime.days} days",
                           headers={"WWW-Authenticate": "Bearer"})
    return principal


def verify(token: str, *, secret: str, algorithm: str, max_lifetime: timedelta = timedelta(days=30)) -> Principal:
    """Decode a token signed with the deployment's secret; the cache spares the signature check on repeat calls,
    the expiry is checked on every one. A token meant to live longer than `max_lifetime` is refused (a leaked one
    must not work for years)."""
    try:
        principal, expires, issued = _verify(token, secret, algorithm)
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc
    return _checked(principal, expires, issued, max_lifetime)


@lru_cache(maxsize=1024)
def _algorithm_of(token: str) -> str | None:
    """The algorithm a token names (read before it is verified: it decides how), once per token."""
    return jwt.get_unverified_header(token).get("alg")


async def verify_any(token: str, *, secret: str, algorithm: str, provider: IdentityProvider | None,
                     max_lifetime: timedelta) -> Principal:
    """A token of the identity provider (its algorithms, when one is configured) or one signed with the deployment's
    secret; `alg: none` and any other algorithm are refused, so a token cannot choose how it is checked."""
    try:
        chosen = _algorithm_of(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc
    if provider is not None and chosen in provider.algorithms:
        try:
            principal, expires, issued = await provider.verify(token)
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise Unauthorized(f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}) from exc
        return _checked(principal, expires, issued, max_lifetime)
    if chosen != algorithm:
        raise Unauthorized(f"invalid token: the algorithm {chosen} is not accepted",
                           headers={"WWW-Authenticate": "Bearer"})
    return verify(token, secret=secret, algorithm=algorithm, max_lifetime=max_lifetime)


async def authenticate(request: Request) -> Principal:
    """async (it never blocks): a plain def would make FastAPI run it in a worker thread on every request."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    settings = request.app.state.settings
    principal = await verify_any(token.strip(), secret=settings.jwt_secret.get_secret_value(),
                                 algorithm=settings.jwt_algorithm, provider=identity_provider(settings),
                                 max_lifetime=timedelta(days=settings.jwt_max_lifetime_days))
    current_caller.set(f"{principal.subject}\n{principal.unit_id or ''}")
    return principal


def require(scope: str):
    """Dependency: the caller's principal, which must hold `scope` (or admin). What needs `admin` itself is the
    office's: a unit-bound token never does it, whatever its scopes."""

    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)  # called, not a nested Depends: one dependency less to solve
        if not principal.has(scope):
            raise Forbidden(f"the token lacks the '{scope}' scope")
        if scope == ADMIN:
            principal.ensure_office("a unit-bound token may not do what only the office's admin does")
        return principal

    dependency.required_scope = scope  # what the OpenAPI document names (kit.openapi)
    return dependency


def require_any(*scopes: str):
    """Dependency: the caller's principal, which must hold one of `scopes` (or admin)."""

    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if not any(principal.has(scope) for scope in scopes):
            raise Forbidden(f"the token lacks one of the scopes {', '.join(scopes)}")
        return principal

    dependency.required_scope = " 或 ".join(scopes)
    return dependency
