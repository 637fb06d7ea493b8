"""Reports settings (KP_* environment variables)."""
from decimal import Decimal

from kit.settings import ServiceSettings


class ReportsSettings(ServiceSettings):
    service_name: str = "reports"
    database_url: str = "sqlite+aiosqlite:///data/reports.db"
    port: int = 8004
    target_rate: Decimal = Decimal("0.70")
