"""Registry settings (KP_* environment variables)."""
from kit.settings import ServiceSettings
from services.registry.statistics.schemas import DocumentKind


class RegistrySettings(ServiceSettings):
    service_name: str = "registry"
    database_url: str = "sqlite+aiosqlite:///data/registry.db"
    port: int = 8001
    # Largest document file accepted by an upload (KP_MAX_DOCUMENT_BYTES); larger ones are refused with 413.
    max_document_bytes: int = 20 * 1024 * 1024
    # Document kinds a started project needs before it can be submitted for statistics inclusion (入库纳统),
    # e.g. KP_STATISTICS_REQUIRED_DOCUMENTS='["approval","construction_contract","site_photo","construction_permit"]'.
    statistics_required_documents: list[DocumentKind] = [DocumentKind.approval, DocumentKind.construction_contract,
                                                         DocumentKind.site_photo]
