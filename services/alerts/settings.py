"""Alerts settings (KP_* environment variables)."""
from datetime import time

from pydantic import Field

from kit.settings import ServiceSettings


class AlertsSettings(ServiceSettings):
    service_name: str = "alerts"
    database_url: str = "sqlite+aiosqlite:///data/alerts.db"
    port: int = 8003
    # The daily scan: at start-up and every day at this local time (KP_SCAN_AT; KP_DAILY_SCAN=false turns it off),
    # in batches of this many projects (KP_SCAN_BATCH_SIZE).
    daily_scan: bool = True
    scan_at: time = time(0, 30)
    scan_batch_size: int = Field(default=2000, ge=1, le=20000)
    # Outbound webhooks: how often the deliverer looks for work, the request timeout, the retry backoff.
    webhook_poll_seconds: float = Field(default=0.5, gt=0)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_backoff_seconds: float = Field(default=1.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=300.0, gt=0)
    # How often the dashboard gauges (alerts, projects by colour and grade, tasks) are recomputed.
    metrics_refresh_seconds: float = Field(default=5.0, gt=0)
