"""Alerts settings (KP_* environment variables)."""
import ipaddress
from datetime import time

from pydantic import Field, field_validator

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
    # A fallback: a commit that owes deliveries wakes the deliverer, and a failed one is retried when its backoff ends.
    webhook_poll_seconds: float = Field(default=5.0, gt=0)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_backoff_seconds: float = Field(default=1.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=300.0, gt=0)
    # Networks webhooks may be delivered to although internal (loopback, private, link-local are refused otherwise):
    # CIDRs, e.g. ["10.20.0.0/16"] for a receiver inside the government network (KP_WEBHOOK_ALLOWED_NETWORKS).
    webhook_allowed_networks: list[str] = []
    # 销号 only once the unit's feedback shows photos or documents (KP_TASK_CLOSE_REQUIRES_EVIDENCE).
    task_close_requires_evidence: bool = False

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _cidrs(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            ipaddress.ip_network(entry, strict=False)  # a ValueError names the bad entry
        return entries
    # How often the dashboard gauges (alerts, projects by colour and grade, tasks) are recomputed.
    metrics_refresh_seconds: float = Field(default=5.0, gt=0)
