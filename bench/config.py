"""Benchmark settings from BENCH_* environment variables; every duration is bounded."""
import os
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Config:
    database_url: str   # the PostgreSQL server on which fresh kp_bench_* databases are created
    seconds: float      # measured duration of each HTTP load (peer, registry)
    warmup: float       # unmeasured load before it (pools, caches, JIT-less but lazy imports)
    connections: int    # concurrent HTTP connections (wrk -c)
    threads: int        # wrk threads
    ceiling_seconds: float  # each raw-ceiling measurement
    rate: float         # paced writes/s for the latency figures
    latency_seconds: float
    drain_seconds: float    # at most this long waiting for events to arrive
    idle_seconds: float     # CPU of the idle platform measured this long
    db_connections: int     # concurrent asyncpg connections for the insert ceiling
    loader: str         # auto | wrk | python
    profile: bool       # py-spy the registry during its load
    keep_databases: bool

    @classmethod
    def from_env(cls) -> "Config":
        seconds = _float("BENCH_SECONDS", 10)
        return cls(
            database_url=os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://127.0.0.1:5432/test"),
            seconds=seconds,
            warmup=_float("BENCH_WARMUP_SECONDS", min(3.0, seconds / 3)),
            connections=_int("BENCH_CONNECTIONS", 32),
            threads=_int("BENCH_THREADS", 2),
            ceiling_seconds=_float("BENCH_CEILING_SECONDS", max(1.0, seconds / 2)),
            rate=_float("BENCH_RATE", 100),
            latency_seconds=_float("BENCH_LATENCY_SECONDS", seconds),
            drain_seconds=_float("BENCH_DRAIN_SECONDS", 30),
            idle_seconds=_float("BENCH_IDLE_SECONDS", 3),
            db_connections=_int("BENCH_DB_CONNECTIONS", 32),
            loader=os.environ.get("BENCH_LOADER", "auto"),
            profile=os.environ.get("BENCH_PROFILE", "") not in ("", "0"),
            keep_databases=os.environ.get("BENCH_KEEP_DATABASES", "") not in ("", "0"),
        )
