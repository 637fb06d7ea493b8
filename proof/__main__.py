"""python -m proof demo | verify | chaos (make demo, make verify, make chaos)."""
import asyncio
import os
import signal
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import httpx
import typer
from rich.progress import Progress

from proof.api import Platform

app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def verify(wait: Annotated[float, typer.Option(help="seconds to keep checking while differences remain")] = 30.0
           ) -> None:
    """Recompute what each service should hold from the others' state; print differences, exit 1 on any."""
    from proof.verify import verify as run

    found = asyncio.run(run(Platform.from_environment(), wait=wait, echo=typer.echo))
    for difference in found.differences:
        typer.echo(difference)
    checked = ", ".join(f"{count} {what}" for what, count in found.checked.items())
    typer.echo(f"checked {checked}: {len(found.differences)} differences")
    raise typer.Exit(1 if found.differences else 0)


def _running(platform: Platform) -> bool:
    try:
        return httpx.get(f"{platform.urls['registry']}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@app.command()
def demo(projects: Annotated[int, typer.Option(min=10, max=2000, help="how many key projects")] = 120,
         seed: Annotated[int, typer.Option(help="the same seed loads the same city")] = 2026,
         data_dir: Annotated[Path, typer.Option(help="where a platform started here keeps its files")] = Path("data"),
         ) -> None:
    """Load a demo city through the public APIs. With `make run` up it goes into that platform, on its today (no
    escalations: they need days to pass). Otherwise the platform is started here and lives through the weeks before
    today - its clock moved, its services restarted each day - then keeps running like `make run` (Ctrl-C stops)."""
    from kit.cli import announce, interrupt, start_platform, stop_platform, supervise
    from proof import demo as loader

    platform = Platform.from_environment()
    started = None
    if not _running(platform):
        typer.echo(f"starting the platform in {data_dir}/ (nothing answers at {platform.urls['registry']})")
        started = start_platform(data_dir, env={"KP_AUTO_SNAPSHOTS": "false"})

    def restart(env: dict[str, str]) -> None:
        for svc in started[1]:
            svc.stop()
            svc.env.pop("KP_FIXED_TODAY", None)
            svc.env.pop("KP_AUTO_SNAPSHOTS", None)
            svc.env.update(env)
        for svc in started[1]:
            svc.start(wait=False)
        for svc in started[1]:
            svc.wait_healthy()

    async def clock(day: date) -> None:
        typer.echo(f"the platform's day: {day}")
        await asyncio.to_thread(restart, {"KP_FIXED_TODAY": day.isoformat(), "KP_AUTO_SNAPSHOTS": "false"})

    try:
        with Progress() as bar:
            tasks: dict[str, int] = {}

            def tick(step: str, n: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=None)
                bar.advance(tasks[step], n)

            # a platform started here lives up to today where the office is
            today = datetime.now(ZoneInfo(os.environ.get("KP_TIMEZONE", "Asia/Shanghai"))).date()
            city = asyncio.run(loader.load(platform, projects=projects, seed=seed, progress=tick,
                                           clock=clock if started else None, last_day=today if started else None))
        if started:
            restart({})  # today's date and the automatic snapshots again, as make run runs
        typer.echo(f"\nloaded {len(city.units)} units and {len(city.projects)} projects ({city.requests} requests); "
                   f"the platform lived through {', '.join(map(str, city.days))}")
        reports = platform.urls["reports"]
        typer.echo(f"open: {reports}/board (the display board), {reports}/docs (reports: overview, rankings, "
                   f"bulletin of {city.today.year}-{city.today.month - 1:02d}), {platform.urls['alerts']}/docs "
                   "(alerts, tasks at every level); `make verify` checks every figure")
        if started:
            announce(*started)
            typer.echo(f"\nlogs in {data_dir}/; Ctrl-C stops everything")
            signal.signal(signal.SIGTERM, interrupt)
            supervise(*started, data_dir)
    except KeyboardInterrupt:
        typer.echo("\nstopping")
    finally:
        if started:
            stop_platform(*started)


@app.command()
def chaos(seconds: Annotated[float, typer.Option(min=10, max=1800, help="how long the load runs")] = 120.0,
          rate: Annotated[float, typer.Option(min=1, max=500, help="writes a second")] = 50.0,
          data_dir: Annotated[Path, typer.Option(help="a fresh platform's files (emptied first)")] = Path("data/chaos"),
          ) -> None:
    """Start a fresh platform of its own (free ports, SQLite in data_dir), write at `rate` for `seconds` while each
    service and the broker are killed and started again in turn; then check that every acknowledged write is there
    once and `verify` finds nothing. Prints the report; exit 1 on any difference."""
    import shutil
    from types import SimpleNamespace

    from kit.broker import EmbeddedBroker, free_port
    from kit.processes import SERVICES, ServiceProcess
    from proof import chaos as chaos_run

    os.environ.setdefault("KP_ENV", "dev")
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    broker = EmbeddedBroker(log_path=data_dir / "broker.log").start()
    services: dict = {}
    try:
        for name in SERVICES:
            services[name] = ServiceProcess(name, port=free_port(), log_path=data_dir / f"{name}.log", env={
                "KP_KAFKA_BOOTSTRAP": broker.bootstrap, "KP_RELAY_POLL_SECONDS": "0.5",
                "KP_DATABASE_URL": f"sqlite+aiosqlite:///{(data_dir / f'{name}.db').resolve()}"}).start()
        platform = Platform({name: svc.url for name, svc in services.items()}, Platform.from_environment().token)
        typer.echo(f"a fresh platform in {data_dir}/; {rate:g} writes/s for {seconds:g}s, killing each service and "
                   "the broker in turn")
        report = asyncio.run(chaos_run.run(platform, SimpleNamespace(broker=broker, services=services),
                                           seconds=seconds, rate=rate, echo=typer.echo))
    finally:
        for svc in services.values():
            svc.stop()
        broker.stop()
    for line in report.lines():
        typer.echo(line)
    raise typer.Exit(1 if report.differences or report.converged_in is None else 0)


if __name__ == "__main__":
    app()
