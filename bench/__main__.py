"""`python -m bench` (`make bench`): raw ceilings, the peer, the platform; each figure with its ratio to a baseline
measured in the same run (only those ratios mean much on a shared machine). Not a test: nothing fails on a figure.

1. raw ceilings: asyncpg outbox-row inserts/s; aiokafka produce, group-consume and produce->consume latency on the
   embedded broker;
2. the peer (bench/peer_app.py): a plain FastAPI + SQLAlchemy ORM create endpoint under wrk;
3. the registry's POST /api/v1/projects under the same wrk load, with the relay, the broker and reports running;
4. write-to-read latency: paced creates until each is applied in reports (project_view.applied_at).
Costs per create (process CPU, PostgreSQL backend CPU and transactions) explain the rates.

Bounded by environment variables: BENCH_SECONDS (10: each HTTP load; the rest scale from it), BENCH_WARMUP_SECONDS,
BENCH_CEILING_SECONDS, BENCH_LATENCY_SECONDS, BENCH_RATE (100 creates/s), BENCH_CONNECTIONS (32), BENCH_THREADS (2),
BENCH_DB_CONNECTIONS (32), BENCH_DRAIN_SECONDS (30), BENCH_IDLE_SECONDS (3), BENCH_TIMEOUT_SECONDS (600, the whole
run). BENCH_DATABASE_URL: the PostgreSQL server on which fresh kp_bench_* databases are made (and dropped after,
unless BENCH_KEEP_DATABASES=1). BENCH_LOADER=wrk|python|auto (wrk is apt-installed when missing; the Python loader is
the labelled fallback). BENCH_PROFILE=1 adds a py-spy profile of the peer and the registry (extra, unreported runs).
Results: printed, and written to bench/results/latest.json; process logs in bench/results/logs/.
"""
import asyncio
import dataclasses
import os
import shutil
import sys
import time
from collections.abc import Awaitable, Callable

import uvloop

from bench import ceiling, latency, profile
from bench.config import RESULTS, Config
from bench.costs import Costs, CpuMeter
from bench.databases import Databases
from bench.load import Loader, LoadResult, Target
from bench.report import Report, Target as Goal
from bench.servers import ROOT, Platform, peer
from bench.tools import ensure_wrk
from kit.broker import EmbeddedBroker


def phase(title: str) -> None:
    print(f"\n=== {title}", flush=True)


async def load(loader: Loader, target: Target, cfg: Config, on_start: Callable[[], Awaitable[None]]) -> LoadResult:
    """Warm up (unmeasured), then `on_start` (meters), then the measured run."""
    if cfg.warmup > 0:
        await loader.run(target, cfg.warmup)
        await asyncio.sleep(1.5)  # the warm-up's statistics reach pg_stat_database, its events settle
    await on_start()
    result = await loader.run(target, cfg.seconds)
    print(f"  {target.name}: {result.requests} requests in {result.seconds:.1f}s, {result.errors} errors, "
          f"latency p50 {result.p50_ms:.1f} ms p99 {result.p99_ms:.1f} ms ({result.tool})", flush=True)
    if result.errors:
        print(f"  WARNING: {result.errors} failed requests on {target.name}; see bench/results/logs/", flush=True)
    return result


async def raw_ceilings(cfg: Config, dbs: Databases, report: Report, logs) -> None:
    phase(f"1. raw ceilings ({cfg.ceiling_seconds:g}s each)")
    rate = await ceiling.insert_rate(await dbs.fresh("ceiling"), connections=cfg.db_connections,
                                     seconds=cfg.ceiling_seconds)
    report.add("pg_insert_tps", f"asyncpg outbox-row insert tx/s ({cfg.db_connections} conns)", rate, "tx/s")
    broker = EmbeddedBroker(log_path=logs / "ceiling-broker.log").start()
    try:
        b = await ceiling.broker_figures(broker.bootstrap, seconds=cfg.ceiling_seconds, rate=cfg.rate)
    finally:
        broker.stop()
    report.add("broker_produce_mps", "aiokafka produce msg/s (acks=all)", b["produce_rate"], "msg/s")
    report.add("broker_consume_mps", "aiokafka group-consume msg/s", b["consume_rate"], "msg/s",
               baseline="broker_produce_mps", note=f"group join {b['group_join_s']:.1f}s not counted")
    report.add("broker_e2e_p50_ms", f"broker produce->consume p50 @{cfg.rate:g}/s", b["e2e_ms"]["p50"], "ms")
    report.add("broker_e2e_p99_ms", f"broker produce->consume p99 @{cfg.rate:g}/s", b["e2e_ms"]["p99"], "ms")


async def the_peer(cfg: Config, dbs: Databases, report: Report, loader: Loader, logs) -> None:
    phase(f"2. the peer: plain FastAPI + SQLAlchemy ORM create ({cfg.connections} connections, {cfg.seconds:g}s)")
    async with peer(dbs, logs) as (target, process):
        costs = Costs(cfg.database_url, {"peer": process.process.pid}, {"peer": target.database_url})
        result = await load(loader, target, cfg, costs.start)
        cpu, pg_cpu, tx = await costs.stop()
        if cfg.profile:
            await profiled_load(cfg, loader, target, process.process.pid, "peer")
    ok = max(result.requests - result.errors, 1)
    report.add("peer_rps", "peer POST /projects req/s", result.ok_per_second, "req/s", baseline="pg_insert_tps")
    report.add("peer_p99_ms", "peer POST latency p99 under load", result.p99_ms, "ms")
    report.add("peer_cpu_ms", "peer process CPU ms per create", cpu["peer"] * 1000 / ok, "ms")
    report.add("peer_pg_cpu_ms", "peer's PostgreSQL backends CPU ms per create", pg_cpu["peer"] * 1000 / ok, "ms")
    report.add("peer_pg_tx", "peer PostgreSQL transactions per create", tx["peer"] / ok, "tx")
    report.add("peer_total_cpu_ms", "peer + its PostgreSQL CPU ms per create", (cpu["peer"] + pg_cpu["peer"]) * 1000 / ok,
               "ms")


async def the_platform(cfg: Config, dbs: Databases, report: Report, loader: Loader, logs) -> None:
    phase("3-4. the platform: embedded broker + registry + reports on PostgreSQL")
    async with Platform(dbs, logs) as platform:
        reports_db, registry_db = platform.database_urls["reports"], platform.database_urls["registry"]
        print(f"  4. paced {cfg.rate:g} creates/s for {cfg.latency_seconds:g}s, POST response -> applied in reports",
              flush=True)
        lat = await latency.measure(platform.target, reports_db, rate=cfg.rate, seconds=cfg.latency_seconds,
                                    drain=cfg.drain_seconds, connections=cfg.connections * 2)
        pids = {**{n: p.process.pid for n, p in platform.processes.items()}, "broker": platform.broker.process.pid}
        idle_meter = CpuMeter(pids).start()
        await asyncio.sleep(cfg.idle_seconds)
        idle = {name: seconds * 100 / cfg.idle_seconds for name, seconds in idle_meter.stop().items()}
        print(f"  3. registry under load ({cfg.connections} connections, {cfg.seconds:g}s)", flush=True)
        costs = Costs(cfg.database_url, pids, platform.database_urls)
        start: dict[str, float] = {}

        async def start_meters() -> None:
            start["applied"] = await latency.applied_count(reports_db)
            await costs.start()
            start["at"] = time.monotonic()

        result = await load(loader, platform.target, cfg, start_meters)
        applied, elapsed, behind = await latency.catch_up(registry_db, reports_db, since=start["at"],
                                                          timeout=cfg.drain_seconds)
        cpu, pg_cpu, tx = await costs.stop()
        events = max(applied - start["applied"], 1)
        if cfg.profile:
            await profiled_load(cfg, loader, platform.target, platform.processes["registry"].process.pid, "registry")
    refeeds = (logs / "registry.log").read_text(errors="replace").count("re-feeding the outbox")
    if refeeds:
        print(f"  WARNING: the registry's relay re-fed its whole outbox {refeeds} time(s) during the run "
              "(bench/results/logs/registry.log): events were published again and the costs include that", flush=True)
    ok = max(result.requests - result.errors, 1)
    per_create = {"registry": ok, "broker": ok, "reports": events}  # reports' costs are per event it applied
    ms = {name: cpu[name] * 1000 / n for name, n in per_create.items()}
    pg_ms = {name: pg_cpu[name] * 1000 / per_create[name] for name in pg_cpu}
    report.add("registry_rps", "registry POST /api/v1/projects req/s", result.ok_per_second, "req/s",
               baseline="peer_rps", target=Goal("ratio", ">=", 1.0))
    report.add("registry_p99_ms", "registry POST latency p99 under load", result.p99_ms, "ms", baseline="peer_p99_ms")
    report.add("reports_apply_eps", "reports applied events/s (load until caught up)", events / elapsed, "ev/s",
               baseline="registry_rps", note=f"{behind} still behind after the load + {cfg.drain_seconds:g}s"
               if behind else f"caught up {elapsed - result.seconds:.1f}s after the load")
    report.add("registry_cpu_ms", "registry process CPU ms per create", ms["registry"], "ms", baseline="peer_cpu_ms",
               note="request + outbox relay")
    report.add("registry_pg_cpu_ms", "registry's PostgreSQL backends CPU ms per create", pg_ms["registry"], "ms",
               baseline="peer_pg_cpu_ms")
    report.add("registry_pg_tx", "registry PostgreSQL transactions per create", tx["registry"] / ok, "tx",
               baseline="peer_pg_tx")
    report.add("broker_cpu_ms", "broker CPU ms per create", ms["broker"], "ms")
    report.add("reports_cpu_ms", "reports process CPU ms per event applied", ms["reports"], "ms")
    report.add("reports_pg_cpu_ms", "reports' PostgreSQL backends CPU ms per event", pg_ms["reports"], "ms")
    report.add("reports_pg_tx", "reports PostgreSQL transactions per event applied", tx["reports"] / events, "tx")
    report.add("idle_cpu_pct", "idle platform CPU % of a core (registry+reports+broker)", sum(idle.values()), "%",
               note=", ".join(f"{k} {v:.1f}" for k, v in idle.items()) + "; consumers poll every fetch_max_wait_ms")
    report.add("platform_total_cpu_ms", "platform + its PostgreSQL CPU ms per create",
               sum(ms.values()) + sum(pg_ms.values()), "ms", baseline="peer_total_cpu_ms")
    report.add("e2e_p50_ms", f"e2e POST response -> in reports p50 @{cfg.rate:g}/s", lat["e2e_ms"]["p50"], "ms",
               baseline="broker_e2e_p50_ms")
    report.add("e2e_p99_ms", f"e2e POST response -> in reports p99 @{cfg.rate:g}/s", lat["e2e_ms"]["p99"], "ms",
               baseline="broker_e2e_p99_ms", target=Goal("value", "<=", 100),
               note=f"{lat['sent']} sent, {lat['failed']} failed, {lat['missing']} not applied in time; answered at "
                    f"{lat['achieved_per_s']:.0f}/s")
    report.add("e2e_post_p99_ms", f"POST latency p99 @{cfg.rate:g}/s", lat["post_ms"]["p99"], "ms")


async def profiled_load(cfg: Config, loader: Loader, target: Target, pid: int, name: str) -> None:
    """An extra, unreported load while py-spy samples the process (the sampler's CPU would skew the figures)."""
    print(f"  profiling {name} with py-spy during an extra load run", flush=True)
    raw = RESULTS / f"{name}-profile.raw"
    recording = asyncio.create_task(profile.record(pid, cfg.seconds, raw))
    await asyncio.sleep(0.5)
    await loader.run(target, cfg.seconds)
    if await recording:
        text = profile.summarise(raw)
        (RESULTS / f"{name}-profile.txt").write_text(text + "\n")
        print(f"  profile: bench/results/{name}-profile.txt (raw stacks: {raw.name})", flush=True)


async def run(cfg: Config) -> Report:
    logs = RESULTS / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    report = Report(RESULTS / "latest.json")
    wrk = ensure_wrk() if cfg.loader != "python" else None
    if cfg.loader == "wrk" and wrk is None:
        raise SystemExit("BENCH_LOADER=wrk but wrk is not available")
    loader = Loader(wrk, connections=cfg.connections, threads=cfg.threads, workdir=logs)
    if wrk is None:
        print(f"NOTE: HTTP load by {loader.tool}", flush=True)
    report.info = {"config": dataclasses.asdict(cfg), "http_load": loader.tool}
    dbs = Databases(cfg.database_url)
    try:
        await raw_ceilings(cfg, dbs, report, logs)
        await the_peer(cfg, dbs, report, loader, logs)
        await the_platform(cfg, dbs, report, loader, logs)
    finally:
        if not cfg.keep_databases:
            await dbs.drop_all()
    return report


def main() -> None:
    cfg = Config.from_env()
    os.chdir(ROOT)
    timeout = float(os.environ.get("BENCH_TIMEOUT_SECONDS", 600))
    print(f"bench: BENCH_SECONDS={cfg.seconds:g} connections={cfg.connections} rate={cfg.rate:g}/s "
          f"database server {cfg.database_url} ({os.cpu_count()} CPUs; figures drift, same-run ratios count)",
          flush=True)
    started = time.monotonic()
    report = uvloop.run(asyncio.wait_for(run(cfg), timeout))
    report.print_summary()
    print(f"\nwritten to {report.write().relative_to(ROOT)} in {time.monotonic() - started:.0f}s", flush=True)
    missed = [f.key for f in report.figures.values() if f.met is False]
    if missed:
        print(f"targets missed: {', '.join(missed)}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
