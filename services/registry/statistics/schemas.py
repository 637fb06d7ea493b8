"""Document and statistics-inclusion API models."""
from datetime import date
from enum import StrEnum

from pydantic import BaseModel

from contracts.registry import Stage, StatisticsStatus
from kit.inputs import Strict, WebLink, text
from services.registry.validation import LongText, Timestamp


class DocumentKind(StrEnum):
    approval = "approval"  # 审批/核准/备案文件
    construction_contract = "construction_contract"
    site_photo = "site_photo"
    construction_permit = "construction_permit"
    land_contract = "land_contract"
    equipment_invoice = "equipment_invoice"
    design = "design"
    feasibility = "feasibility"
    other = "other"


KIND_NAMES = {
    DocumentKind.approval: "审批/核准/备案文件",
    DocumentKind.construction_contract: "施工合同",
    DocumentKind.site_photo: "现场照片",
    DocumentKind.construction_permit: "施工许可证",
    DocumentKind.land_contract: "土地出让合同",
    DocumentKind.equipment_invoice: "设备购置发票",
    DocumentKind.design: "设计文件",
    DocumentKind.feasibility: "可行性研究报告",
    DocumentKind.other: "其他材料",
}

Title = text(300)


class DocumentLink(Strict):
    """A document kept elsewhere, registered by its URI (JSON body)."""

    kind: DocumentKind
    title: Title
    uri: WebLink


class DocumentUpload(Strict):
    """The form fields sent with an uploaded file (multipart body, besides `file`)."""

    kind: DocumentKind
    title: Title


class UploadFingerprint(BaseModel):
    """What makes two uploads the same request, for Idempotency-Key."""

    kind: DocumentKind
    title: str
    filename: str | None
    sha256: str
    size: int


class DocumentPublic(BaseModel):
    id: str
    project_id: str
    kind: DocumentKind
    title: str
    uri: str | None
    filename: str | None
    content_type: str | None
    size: int | None
    sha256: str | None
    content_url: str | None  # set for uploaded files
    actor: str
    at: Timestamp


class Missing(BaseModel):
    """One thing a project lacks before it can enter statistics: a stable code and a Chinese explanation."""

    code: str  # not_started | real_start_unconfirmed | document_missing
    message: str
    kind: DocumentKind | None = None


class StatisticsPublic(BaseModel):
    project_id: str
    status: StatisticsStatus
    reason: str | None  # why it was last rejected
    ready: bool
    stage: Stage
    real_start_date: date | None
    required_documents: list[DocumentKind]
    present_documents: list[DocumentKind]
    missing: list[Missing]


class RejectRequest(Strict):
    reason: LongText
