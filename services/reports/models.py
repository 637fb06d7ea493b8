"""Reports read models, written only by event handlers."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import Money


class Base(DeclarativeBase):
    pass


class UnitView(Base):
    __tablename__ = "unit_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(String(36))


class ProjectView(Base):
    __tablename__ = "project_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    year: Mapped[int] = mapped_column(Integer, index=True)
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    level: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    sector: Mapped[str] = mapped_column(String(20))
    bracket: Mapped[str] = mapped_column(String(10))
    stage: Mapped[str] = mapped_column(String(20))
    total_investment: Mapped[Decimal] = mapped_column(Money)
    annual_plan_investment: Mapped[Decimal] = mapped_column(Money)
    ytd_investment: Mapped[Decimal] = mapped_column(Money)
    version: Mapped[int] = mapped_column(Integer)
    # When the last event was applied: the end of the write path, read by the latency benchmark.
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
