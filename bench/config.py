"""Benchmark settings from BENCH_* environment variables; every duration is bounded."""
import os
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
# In the order they run; "ceilings" always runs (the others' ratios are to its figures).
PHASES = ("ceilings", "peer", "platform", "registry", "milestones", "alerts", "reports")


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _only() -> tuple[str, ...]:
    names = {n.strip() for n in os.environ.get("BENCH_ONLY", "").split(",") if n.strip()}
    if names - set(PHASES):
        raise SystemExit(f"BENCH_ONLY: unknown phase(s) {', '.join(sorted(names - set(PHASES)))}; "
                         f"phases: {','.join(PHASES)}")
    return tuple(p for p in PHASES if p in names or not names)


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
    instances: int          # processes of each platform service (one consumer group, one relay leader)
    db_connections: int     # concurrent asyncpg connections for the insert ceiling
    loader: str         # auto | wrk | python
    profile: bool       # py-spy the registry during its load
    keep_databases: bool
    only: tuple[str, ...]   # the phases to run
    registry_projects: int  # projects the upserts and transitions act on
    import_rows: int
    milestones_projects: int        # schedules generated
    milestones_scan_projects: int   # projects of 10 nodes the daily scan goes over
    alerts_projects: int
    alerts_events: int
    reports_sizes: tuple[int, ...]  # projects in the read models the latencies are measured at
    reports_events: int
    reports_requests: int   # sequential requests per latency figure

    def runs(self, phase: str) -> bool:
        return phase == "ceilings" or phase in self.only

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
            idle_seconds=_float("BENCH_IDLE_SECONDS", 5),
            instances=_int("BENCH_INSTANCES", 1),
            db_connections=_int("BENCH_DB_CONNECTIONS", 32),
            loader=os.environ.get("BENCH_LOADER", "auto"),
            profile=os.environ.get("BENCH_PROFILE", "") not in ("", "0"),
            keep_databases=os.environ.get("BENCH_KEEP_DATABASES", "") not in ("", "0"),
            only=_only(),
            registry_projects=_int("BENCH_REGISTRY_PROJECTS", 400),
            import_rows=_int("BENCH_IMPORT_ROWS", 10_000),
            milestones_projects=_int("BENCH_MILESTONES_PROJECTS", 10_000),
            milestones_scan_projects=_int("BENCH_MILESTONES_SCAN_PROJECTS", 100_000),
            alerts_projects=_int("BENCH_ALERTS_PROJECTS", 100_000),
            alerts_events=_int("BENCH_ALERTS_EVENTS", 2_000),
            reports_sizes=tuple(int(n) for n in os.environ.get("BENCH_REPORTS_SIZES", "1000,100000,1000000").split(",")),
            reports_events=_int("BENCH_REPORTS_EVENTS", 3_000),
            reports_requests=_int("BENCH_REPORTS_REQUESTS", 300),
        )
