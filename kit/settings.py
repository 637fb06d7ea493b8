"""Settings every service reads from KP_* environment variables."""
from datetime import date
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from contracts.topics import DEFAULT_PREFIX as DEFAULT_TOPIC_PREFIX, named

# The development secret is public (it is in this file): a deployment that is not KP_ENV=dev must set its own.
DEV_JWT_SECRET = "dev-secret-change-me-in-production-0123456789"
MIN_SECRET_BYTES = 32
DEFAULT_SOURCE_PREFIX = "/keyproject"


class ServiceSettings(BaseSettings):
    """One process, one service: each process gets its own environment."""

    model_config = SettingsConfigDict(env_prefix="KP_", extra="ignore")

    service_name: str
    # The database: a SQLAlchemy URL; its password may come apart in KP_DATABASE_PASSWORD (any characters, put into
    # the URL escaped), as compose does, so a password holding @, : or / never breaks the URL.
    database_url: str
    database_password: SecretStr | None = None
    port: int
    host: str = "127.0.0.1"
    kafka_bootstrap: str = "127.0.0.1:9092"
    # The embedded broker (tansu) rejects the idempotent producer; Apache Kafka wants it on.
    kafka_idempotence: bool = False
    kafka_partitions: int = 6
    # Topic retention when a service creates its topics; -1 keeps events for ever (read models replay them).
    kafka_retention_ms: int = -1
    # How the services reach a cluster that requires authentication (compose: SASL_PLAINTEXT with SCRAM, one
    # principal per service; production: SASL_SSL). PLAINTEXT for the embedded broker.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    # CA bundle that signed the brokers' certificates (SSL / SASL_SSL); the system's when unset.
    kafka_ssl_cafile: str | None = None
    consumer_group: str | None = None
    # Events' `source` is <prefix>/<service> (KP_EVENT_SOURCE_PREFIX, e.g. /keyproject/330100 for a city's code):
    # every service of one deployment sets the same; consumers check the last segment names the topic's producer.
    event_source_prefix: str = Field(default=DEFAULT_SOURCE_PREFIX, pattern=r"^/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$")
    # The deployment's topics are <prefix>.registry, <prefix>.milestones, <prefix>.alerts (KP_TOPIC_PREFIX): a
    # district sharing a broker with its city names its own (e.g. keyproject.330102); every service of one
    # deployment sets the same.
    topic_prefix: str = Field(default=DEFAULT_TOPIC_PREFIX, pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$",
                              max_length=200)
    # A fetch returns as soon as it has fetch_min_bytes, else after fetch_max_wait_ms. Apache Kafka answers such a long
    # poll the moment an event arrives, so it can wait long (compose: 500 ms, an idle consumer asks twice a second).
    # The embedded broker (tansu) looks for new events only now and then while a fetch waits: a short wait is its
    # latency (20 ms: p50 6 ms at 100 events/s, against 26 ms at 100 ms), paid for by polling while idle.
    fetch_max_wait_ms: int = Field(default=20, ge=1, le=30_000)
    # After a second without events the wait grows to this (kit.consumer): an idle platform then asks a few times a
    # second, not fifty; the first event after a quiet spell may wait up to this long on the embedded broker.
    fetch_idle_max_wait_ms: int = Field(default=500, ge=1, le=30_000)
    fetch_min_bytes: int = Field(default=1, ge=1)
    # A consumed message above this size is never parsed: it is dead-lettered (by reference) and skipped.
    max_event_bytes: int = Field(default=1 << 20, ge=1024)
    # `dev` (make run, tests) allows the development secret; anything else requires KP_JWT_SECRET of 32+ bytes.
    env: str = "production"
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_algorithm: str = "HS256"
    # A token living longer than this (exp - iat) is refused, whoever signed it (KP_JWT_MAX_LIFETIME_DAYS).
    jwt_max_lifetime_days: int = Field(default=30, ge=1, le=366)
    # The government identity provider (OIDC): tokens it signs (RS256/ES256, keys from its JWKS, cached and refreshed
    # for an unknown key id) are accepted beside those signed with KP_JWT_SECRET; `iss` and `aud` must match. Scopes
    # and the unit come from the claims named by KP_OIDC_SCOPE_CLAIM and KP_OIDC_UNIT_CLAIM.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_algorithms: list[Literal["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]] = ["RS256", "ES256"]
    oidc_scope_claim: str = "scope"
    oidc_unit_claim: str = "unit_id"
    # When set, GET /metrics needs `Authorization: Bearer <it>` (Prometheus' scrape credentials): the series carry
    # unit names and completion ratios (KP_METRICS_TOKEN).
    metrics_token: SecretStr | None = None
    timezone: str = "Asia/Shanghai"
    # Pins "today" (demos, backfills); unset in production, where it is the date in `timezone`.
    fixed_today: date | None = None
    # How many times `make run`'s supervisor has started this process again after it exited (it sets KP_RESTARTS;
    # exported as kp_service_restarts, so a crash loop shows on a dashboard).
    restarts: int = Field(default=0, ge=0)
    outbox_retention_days: int = 30
    # Log lines: one JSON object each (json), or plain text for people (text); from this level up.
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Browser origins allowed to call the API from their own pages (KP_CORS_ORIGINS='["https://gis.city.gov.cn"]');
    # none by default: the platform's own pages call it from the server.
    cors_origins: list[str] = []
    relay_poll_seconds: float = 1.0
    # How often the relay checks that the broker still holds what it published (re-feeding it if not).
    relay_log_check_seconds: float = 5.0
    relay_batch_size: int = 500
    # A relay pass (take the leader lock, check the broker's log, publish a batch) that has not ended by then is
    # abandoned and retried: a connection the database dropped mid-operation may never answer.
    relay_pass_timeout_seconds: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _a_real_secret_outside_dev(self):
        secret = self.jwt_secret.get_secret_value()
        if self.env != "dev" and (secret == DEV_JWT_SECRET or len(secret.encode()) < MIN_SECRET_BYTES):
            raise ValueError(f"KP_JWT_SECRET must be set to a secret of at least {MIN_SECRET_BYTES} bytes (the "
                             "development secret is public); only KP_ENV=dev runs without one")
        return self

    @model_validator(mode="after")
    def _password_into_the_url(self):
        if self.database_password is not None:
            url = make_url(self.database_url).set(password=self.database_password.get_secret_value())
            self.database_url = url.render_as_string(hide_password=False)
        return self

    @model_validator(mode="after")
    def _credentials_with_sasl(self):
        if self.kafka_security_protocol.startswith("SASL") and not (self.kafka_username and self.kafka_password):
            raise ValueError(f"KP_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs KP_KAFKA_USERNAME and "
                             "KP_KAFKA_PASSWORD (the service's principal)")
        return self

    @model_validator(mode="after")
    def _a_whole_identity_provider(self):
        given = [self.oidc_issuer, self.oidc_audience, self.oidc_jwks_url]
        if any(given) and not all(given):
            raise ValueError("KP_OIDC_ISSUER, KP_OIDC_AUDIENCE and KP_OIDC_JWKS_URL go together")
        return self

    def topic(self, canonical: str) -> str:
        """This deployment's name of a topic (contracts.topics names them with the default prefix)."""
        return named(canonical, self.topic_prefix)

    @property
    def group_id(self) -> str:
        return self.consumer_group or f"keyproject.{self.service_name}"
