"""Settings every service reads from KP_* environment variables."""
from datetime import date

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """One process, one service: each process gets its own environment."""

    model_config = SettingsConfigDict(env_prefix="KP_", extra="ignore")

    service_name: str
    database_url: str
    port: int
    host: str = "127.0.0.1"
    kafka_bootstrap: str = "127.0.0.1:9092"
    # The embedded broker (tansu) rejects the idempotent producer; Apache Kafka wants it on.
    kafka_idempotence: bool = False
    kafka_partitions: int = 6
    # Topic retention when a service creates its topics; -1 keeps events for ever (read models replay them).
    kafka_retention_ms: int = -1
    consumer_group: str | None = None
    fetch_max_wait_ms: int = 10
    jwt_secret: SecretStr = SecretStr("dev-secret-change-me-in-production-0123456789")
    jwt_algorithm: str = "HS256"
    timezone: str = "Asia/Shanghai"
    # Pins "today" (demos, backfills); unset in production, where it is the date in `timezone`.
    fixed_today: date | None = None
    outbox_retention_days: int = 30
    relay_poll_seconds: float = 1.0
    # How often the relay checks that the broker still holds what it published (re-feeding it if not).
    relay_log_check_seconds: float = 5.0
    relay_batch_size: int = 500

    @property
    def group_id(self) -> str:
        return self.consumer_group or f"keyproject.{self.service_name}"
