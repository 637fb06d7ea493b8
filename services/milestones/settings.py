"""Milestones settings (KP_* environment variables)."""
from kit.settings import ServiceSettings


class MilestonesSettings(ServiceSettings):
    service_name: str = "milestones"
    database_url: str = "sqlite+aiosqlite:///data/milestones.db"
    port: int = 8002
