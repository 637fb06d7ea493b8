"""The peer: the create endpoint a user of the usual FastAPI template would write, as the same-run baseline.

A pydantic body shaped like the registry's project create, SQLAlchemy ORM `session.add` of the row and of an outbox
row, one commit, the row returned through a response model. No auth, metrics, idempotency or relay: the bare
framework + ORM + database cost, on the same connection pool as the services. Serve with `uvicorn bench.peer_app:app` and PEER_DATABASE_URL set.
"""
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated

import orjson
from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, LargeBinary, Numeric, String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=6)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                        pattern=r"^[A-Za-z0-9_\-./]+$")]
SECTOR = {"agriculture": "primary", "industry": "secondary", "manufacturing": "secondary"}


class Base(DeclarativeBase):
    pass


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    year: Mapped[int] = mapped_column(Integer, index=True)
    level: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    sector: Mapped[str] = mapped_column(String(20))
    total_investment: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    annual_plan_investment: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    responsible_unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    lead_leader: Mapped[str | None] = mapped_column(String(100))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    location: Mapped[str | None] = mapped_column(String(300))
    planned_start_date: Mapped[date | None] = mapped_column(Date)
    planned_completion_date: Mapped[date | None] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(20))
    government_funded: Mapped[bool] = mapped_column(Boolean)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    concentrated_start: Mapped[bool] = mapped_column(Boolean)
    tags: Mapped[list] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Outbox(Base):
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(200))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Text
    kind: str


class UnitPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    code: str
    name: str
    kind: str


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    year: int = Field(ge=2000, le=2100)
    level: str = "municipal"
    category: str
    sector: str | None = None
    total_investment: Money
    annual_plan_investment: Money
    responsible_unit_id: str
    owner: Text | None = None
    lead_leader: Text | None = None
    contact_name: Text | None = None
    contact_phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    planned_start_date: date | None = None
    planned_completion_date: date | None = None
    government_funded: bool = False
    budget: Money | None = None
    concentrated_start: bool = False
    tags: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=20)


class ProjectPublic(ProjectCreate):
    model_config = ConfigDict(from_attributes=True, extra="ignore")
    id: str
    sector: str
    stage: str
    version: int


# The services' pool (kit.db: 20, no overflow), not SQLAlchemy's default (5 + 10 overflow): under 32 connections that
# one opens and closes connections all the time (0.8 ms of PostgreSQL CPU a create), and the comparison is of the
# request path, not of pool settings.
engine = create_async_engine(os.environ.get("PEER_DATABASE_URL", "postgresql+asyncpg://127.0.0.1:5432/peer"),
                             pool_size=20, max_overflow=0)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


@asynccontextmanager
async def lifespan(_app: FastAPI):
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield
    await engine.dispose()


app = FastAPI(title="peer", lifespan=lifespan)


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


@app.post("/api/v1/units", status_code=201, response_model=UnitPublic)
async def create_unit(unit_in: UnitCreate, session: SessionDep):
    unit = Unit(id=str(uuid.uuid4()), **unit_in.model_dump())
    session.add(unit)
    await session.commit()
    return unit


@app.post("/api/v1/projects", status_code=201, response_model=ProjectPublic)
async def create_project(project_in: ProjectCreate, session: SessionDep):
    now = datetime.now(timezone.utc)
    project = Project(**project_in.model_dump(exclude={"sector"}), id=str(uuid.uuid4()),
                      sector=project_in.sector or SECTOR.get(project_in.category, "tertiary"),
                      stage="planning", version=1, created_at=now, updated_at=now)
    session.add(project)
    event = {"id": str(uuid.uuid4()), "type": "project.registered.v1", "time": now.isoformat(),
             "subject": project.id, "data": ProjectPublic.model_validate(project).model_dump(mode="json")}
    session.add(Outbox(event_id=event["id"], topic="peer.projects", key=project.id, type=event["type"],
                       body=orjson.dumps(event), created_at=now))
    await session.commit()
    return project
