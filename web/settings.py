"""Web settings (KP_* environment variables)."""
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kit.settings import DEV_JWT_SECRET, MIN_SECRET_BYTES

DEV_SESSION_SECRET = "dev-web-session-secret-change-me-0123456789"


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KP_", extra="ignore")

    env: str = "production"
    host: str = "127.0.0.1"
    web_port: int = 8000
    # Where the four services answer (their public REST APIs).
    registry_url: str = "http://127.0.0.1:8001"
    milestones_url: str = "http://127.0.0.1:8002"
    alerts_url: str = "http://127.0.0.1:8003"
    reports_url: str = "http://127.0.0.1:8004"
    # Signs the session cookie (KP_WEB_SESSION_SECRET); the cookie is Secure unless KP_ENV=dev (plain http locally).
    web_session_secret: SecretStr = SecretStr(DEV_SESSION_SECRET)
    web_session_hours: int = Field(default=8, ge=1, le=24)
    # The development sign-in (KP_ENV=dev only): demo users whose tokens the web mints with KP_JWT_SECRET.
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    # Sign-in with the government identity provider (OIDC authorization code flow with PKCE), when configured: its
    # endpoints and this site's client; the access token it issues is what the pages call the services with (they
    # verify it: KP_OIDC_ISSUER, KP_OIDC_AUDIENCE, KP_OIDC_JWKS_URL), its KP_OIDC_UNIT_CLAIM naming the user's unit.
    web_oidc_authorize_url: str | None = None
    web_oidc_token_url: str | None = None
    web_oidc_client_id: str | None = None
    web_oidc_client_secret: SecretStr | None = None
    web_oidc_scope: str = "openid"
    oidc_unit_claim: str = "unit_id"
    # The map's tiles (KP_WEB_TILE_URL, e.g. the city's GIS or 天地图 with its key, {z}/{x}/{y}); none: the
    # markers over the units' outlines (KP_WEB_OUTLINES, a GeoJSON file the office uploads) on a plain background.
    web_tile_url: str | None = None
    web_tile_attribution: str = ""
    web_outlines: Path = Path("data/outlines.geojson")
    timezone: str = "Asia/Shanghai"

    @property
    def dev(self) -> bool:
        return self.env == "dev"

    @model_validator(mode="after")
    def _a_real_secret_outside_dev(self):
        secret = self.web_session_secret.get_secret_value()
        if not self.dev and (secret == DEV_SESSION_SECRET or len(secret.encode()) < MIN_SECRET_BYTES):
            raise ValueError(f"KP_WEB_SESSION_SECRET must be set to a secret of at least {MIN_SECRET_BYTES} bytes; "
                             "only KP_ENV=dev runs without one")
        return self

    @property
    def sso(self) -> bool:
        return bool(self.web_oidc_authorize_url and self.web_oidc_token_url and self.web_oidc_client_id)

    @model_validator(mode="after")
    def _a_whole_client(self):
        given = [self.web_oidc_authorize_url, self.web_oidc_token_url, self.web_oidc_client_id]
        if any(given) and not all(given):
            raise ValueError("KP_WEB_OIDC_AUTHORIZE_URL, KP_WEB_OIDC_TOKEN_URL and KP_WEB_OIDC_CLIENT_ID go together")
        return self

    def url(self, service: str) -> str:
        return getattr(self, f"{service}_url")
