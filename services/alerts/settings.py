"""Alerts settings (KP_* environment variables)."""
from kit.settings import ServiceSettings


class AlertsSettings(ServiceSettings):
    service_name: str = "alerts"
    database_url: str = "sqlite+aiosqlite:///data/alerts.db"
    port: int = 8003
