"""Registry settings (KP_* environment variables)."""
from kit.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    service_name: str = "registry"
    database_url: str = "sqlite+aiosqlite:///data/registry.db"
    port: int = 8001
