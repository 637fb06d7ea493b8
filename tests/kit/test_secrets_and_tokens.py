"""No deployment runs on the public development secret, and no token lives for years."""
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from pydantic import ValidationError

from kit.settings import DEV_JWT_SECRET, ServiceSettings
from tests.support.platform import JWT_SECRET

STRONG = "s" * 32


def settings(**values) -> ServiceSettings:
    return ServiceSettings(service_name="x", database_url="", port=0, **values)


@pytest.mark.parametrize("secret", [None, DEV_JWT_SECRET, "short-secret"])
def test_a_deployment_refuses_to_start_on_the_development_or_a_short_secret(secret):
    """Seen: a service started without KP_JWT_SECRET used the public development secret, even on PostgreSQL."""
    with pytest.raises(ValidationError, match="KP_JWT_SECRET"):
        settings(env="production", **({"jwt_secret": secret} if secret else {}))
    assert settings(env="dev").jwt_secret.get_secret_value() == DEV_JWT_SECRET
    assert settings(env="production", jwt_secret=STRONG).env == "production"


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KP_")}
    return subprocess.run([sys.executable, "-m", "kit.cli", "token", *args], env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


def test_the_cli_mints_only_with_a_real_secret_and_within_the_lifetime():
    assert _cli().returncode != 0  # no secret, not dev
    minted = _cli("--days", "7", KP_JWT_SECRET=STRONG)
    assert minted.returncode == 0, minted.stderr
    claims = jwt.decode(minted.stdout.strip(), STRONG, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 7 * 86400
    too_long = _cli("--days", "400", KP_JWT_SECRET=STRONG)
    assert too_long.returncode != 0 and "KP_JWT_MAX_LIFETIME_DAYS" in too_long.stderr


def test_the_cli_refuses_unknown_scopes_and_a_unit_bound_admin():
    typo = _cli("--scope", "project:write", KP_JWT_SECRET=STRONG)
    assert typo.returncode != 0 and "unknown scope project:write" in typo.stderr
    unit_admin = _cli("--scope", "admin", "--unit-id", "u-1", KP_JWT_SECRET=STRONG)
    assert unit_admin.returncode != 0 and "never the office's admin" in unit_admin.stderr
    unit = _cli("--scope", "projects:write", "--scope", "tasks:write", "--unit-id", "u-1", KP_JWT_SECRET=STRONG)
    assert unit.returncode == 0, unit.stderr
    claims = jwt.decode(unit.stdout.strip(), STRONG, algorithms=["HS256"])
    assert (claims["scope"], claims["unit_id"]) == ("projects:write tasks:write", "u-1")


async def test_a_token_living_for_years_is_refused(registry):
    """Seen: a token with an exp in year 9999 was accepted."""
    now = datetime.now(timezone.utc)
    for claims in ({"iat": now, "exp": datetime(9999, 1, 1, tzinfo=timezone.utc)},
                   {"exp": now + timedelta(days=31)}):
        token = jwt.encode({"sub": "x", "scope": "admin", **claims}, JWT_SECRET, algorithm="HS256")
        response = await registry.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and "longer than 30 days" in response.json()["detail"]
    fine = jwt.encode({"sub": "x", "scope": "admin", "iat": now, "exp": now + timedelta(days=30)}, JWT_SECRET,
                      algorithm="HS256")
    assert (await registry.get("/api/v1/units", headers={"Authorization": f"Bearer {fine}"})).status_code == 200


@pytest.fixture
def scraped_registry(platform):
    """A registry whose /metrics needs a scrape token (sync: on PostgreSQL its database is made with its own loop)."""
    with platform.configured("registry", "registry-scraped", {"KP_METRICS_TOKEN": "scrape-token-123"}) as url:
        yield url


async def test_metrics_need_the_scrape_token_when_one_is_configured(scraped_registry):
    """Seen: /metrics answered anyone, with unit names and completion ratios."""
    import httpx

    async with httpx.AsyncClient(base_url=scraped_registry, timeout=30) as http:
        assert (await http.get("/metrics")).status_code == 401
        assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        scraped = await http.get("/metrics", headers={"Authorization": "Bearer scrape-token-123"})
        assert scraped.status_code == 200 and "kp_" in scraped.text
        assert (await http.get("/healthz")).status_code == 200
