"""Registry settings (KP_* environment variables)."""
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from contracts.registry import Category, CategoryKey, Sector
from kit.settings import ServiceSettings
from services.registry.statistics.schemas import DocumentKind


SUSPENSION_REASONS = {"policy": "政策调整", "funding": "资金不到位", "land": "用地问题", "environment": "环保要求",
                      "demolition": "征地拆迁", "other": "其他"}


class RegistrySettings(ServiceSettings):
    service_name: str = "registry"
    database_url: str = "sqlite+aiosqlite:///data/registry.db"
    port: int = 8001
    # Project categories besides the built-in ones, each with the sector its projects derive (KP_EXTRA_CATEGORIES),
    # e.g. '{"tourism": "tertiary", "mining": "secondary"}': lowercase slugs, at most 40 characters.
    extra_categories: dict[CategoryKey, Sector] = {}
    # Largest document file accepted by an upload (KP_MAX_DOCUMENT_BYTES); larger ones are refused with 413.
    max_document_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    # Document kinds a started project needs before it can be submitted for statistics inclusion (入库纳统),
    # e.g. KP_STATISTICS_REQUIRED_DOCUMENTS='["approval","construction_contract","site_photo","construction_permit"]'.
    statistics_required_documents: list[DocumentKind] = [DocumentKind.approval, DocumentKind.construction_contract,
                                                         DocumentKind.site_photo]
    # Project import (POST /projects/import): larger files are refused with 413 (KP_IMPORT_MAX_BYTES), more data
    # rows with 422 (KP_IMPORT_MAX_ROWS); at most KP_IMPORT_MAX_REPORTED_ERRORS row errors are listed in one answer.
    import_max_bytes: int = 20 * 1024 * 1024
    import_max_rows: int = 50_000
    import_max_reported_errors: int = 1000
    # Monthly reporting rounds (月调度): opened by themselves on this day of each month for the month before
    # (KP_REPORTING_ROUND_DAY, 1-28; 0: only by the office), due KP_REPORTING_ROUND_DAYS days after opening.
    reporting_round_day: int = Field(default=0, ge=0, le=28)
    reporting_round_days: int = Field(default=5, ge=0, le=60)
    reporting_round_check_seconds: float = Field(default=3600.0, gt=0)
    # The reasons a suspension may be requested for (停工原因), code → the office's label (KP_SUSPENSION_REASONS).
    suspension_reasons: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")],
                             Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        default_factory=lambda: dict(SUSPENSION_REASONS), min_length=1)

    @field_validator("extra_categories")
    @classmethod
    def _not_builtin(cls, extra: dict[str, Sector]) -> dict[str, Sector]:
        if builtin := sorted(set(extra) & set(Category)):
            raise ValueError(f"built-in categories keep their own sector: remove {', '.join(builtin)}")
        return extra
