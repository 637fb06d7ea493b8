"""Command line: run the whole platform locally, or mint a token (`python -m kit.cli --help`)."""
import asyncio
import functools
import os
import signal
from datetime import timedelta
import time
from pathlib import Path
from typing import Annotated

import typer

from kit import dead_letters
from kit.auth import ADMIN, SCOPES, mint
from kit.broker import EmbeddedBroker, free_port
from kit.processes import SERVICES, ServiceProcess
from kit.settings import ServiceSettings

app = typer.Typer(add_completion=False, help=__doc__)

ALL_SCOPES = [ADMIN]
WEB_PORT = 8000


def _settings() -> ServiceSettings:
    return ServiceSettings(service_name="cli", database_url="", port=0)


@app.command()
def token(
    scope: Annotated[list[str], typer.Option(help="scope to grant; repeat for several")] = ALL_SCOPES,
    unit_id: Annotated[str | None, typer.Option(help="limit writes to this unit's projects")] = None,
    subject: Annotated[str, typer.Option(help="who the token is for")] = "cli",
    days: Annotated[int, typer.Option(help="days until it expires (at most KP_JWT_MAX_LIFETIME_DAYS)", min=1)] = 30,
) -> None:
    """Mint a bearer JWT signed with KP_JWT_SECRET."""
    settings = _settings()
    if unknown := sorted(set(scope) - SCOPES):
        raise typer.BadParameter(f"unknown scope {', '.join(unknown)}; the scopes are {', '.join(sorted(SCOPES))}",
                                 param_hint="--scope")
    if unit_id and ADMIN in scope:
        raise typer.BadParameter("a unit-bound token is never the office's admin: grant the unit's scopes",
                                 param_hint="--scope")
    if days > settings.jwt_max_lifetime_days:
        raise typer.BadParameter(f"the services refuse tokens living longer than {settings.jwt_max_lifetime_days} "
                                 "days (KP_JWT_MAX_LIFETIME_DAYS)", param_hint="--days")
    typer.echo(mint(secret=settings.jwt_secret.get_secret_value(), subject=subject, scopes=scope, unit_id=unit_id,
                    ttl=timedelta(days=days)))


def _bus_settings() -> ServiceSettings:
    """The broker connection (KP_KAFKA_*) for the dead-letter commands, which sign nothing: no secret needed."""
    return ServiceSettings(service_name="dlq", database_url="", port=0, env="dev")


dlq = typer.Typer(add_completion=False, help="Dead letters: list them, replay them once the cause is fixed.")
app.add_typer(dlq, name="dlq")


Database = Annotated[str | None, typer.Option(help="a consuming service's database URL: its own copy of what it "
                                                   "dead-lettered (kept over a broker restart)")]


@dlq.command("list")
def dlq_list(topic: Annotated[list[str] | None, typer.Option(help="dead-letter topic; repeat (default: all)")] = None,
             database: Database = None) -> None:
    """What each dead-letter topic holds (or a service's copy): where, when, which consumer, why, which event."""
    letters = asyncio.run(dead_letters.stored_letters(database) if database else
                          dead_letters.list_letters(_bus_settings(), topic or None))
    for letter in letters:
        typer.echo(f"{letter.ref}\t{letter.at:%Y-%m-%d %H:%M:%S}Z\t{letter.service or '-'}\t"
                   f"{letter.consumer_group or '-'}\t{letter.kind}\t{letter.event_type or '-'}\t"
                   f"{letter.event_id or '-'}\t{letter.reason}")
    typer.echo(f"{len(letters)} dead letter(s)", err=True)


@dlq.command("replay")
def dlq_replay(ref: Annotated[list[str], typer.Argument(help="<dead-letter topic>:<partition>:<offset> or db:<id>, "
                                                              "as listed")], database: Database = None) -> None:
    """Send dead letters back to their topic; consumers that applied them already skip them (exactly once)."""
    try:
        for line in asyncio.run(dead_letters.replay(_bus_settings(), ref, database_url=database)):
            typer.echo(line)
    except (LookupError, ValueError) as exc:
        raise typer.BadParameter(str(exc), param_hint="REF") from exc


def interrupt(*_):
    raise KeyboardInterrupt


def supervise(broker: EmbeddedBroker, services: list[ServiceProcess], data_dir: Path) -> None:
    """Keep the platform up: a process that exits (a crash, a kill) is started again, backing off while it keeps
    dying (1 s doubling to 60 s; reset after a minute up), logged to stderr and to data_dir/restarts.log. The broker
    keeps no log (memory storage): producers re-feed it from their outboxes when it comes back."""
    backoff: dict[str, float] = {}
    due: dict[str, float] = {}
    restarts: dict[str, int] = {}
    started: dict[str, float] = {svc.name: time.monotonic() for svc in services} | {"broker": time.monotonic()}
    def write_pids() -> None:  # for operators (and the test): who is who now
        (data_dir / "pids").write_text(f"broker {broker.process.pid}\n" + "".join(
            f"{svc.name} {svc.process.pid}\n" for svc in services))

    write_pids()
    while True:
        time.sleep(0.5)
        now = time.monotonic()
        for name, process, restart in [("broker", broker.process, broker.start),
                                       *[(svc.name, svc.process, functools.partial(svc.start, wait=False))
                                         for svc in services]]:
            if process is not None and process.poll() is None:
                if now - started[name] > 60:
                    backoff.pop(name, None)
                continue
            if name not in due:
                delay = backoff.get(name, 0.5) * 2 if name in backoff else 1.0
                backoff[name] = min(delay, 60.0)
                due[name] = now + backoff[name]
                code = process.returncode if process is not None else None
                message = f"{name} exited ({code}); restarting in {backoff[name]:.0f}s"
                typer.echo(message, err=True)
                with open(data_dir / "restarts.log", "a") as log:
                    log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}\n")
            elif now >= due[name]:
                del due[name]
                restarts[name] = restarts.get(name, 0) + 1
                for svc in services:  # the service reports it (kp_service_restarts)
                    if svc.name == name:
                        svc.env["KP_RESTARTS"] = str(restarts[name])
                restart()
                started[name] = time.monotonic()
                write_pids()


# One process per service on SQLite: each commit wakes its own relay, so the relay's poll is only a fallback; and
# the embedded broker answers a long poll only at its end, so an idle consumer asks it less often (the first event
# after a quiet spell waits up to 1.5 s). Together the idle platform costs about 2 % of a core instead of 4
# (bench/make_run.py).
_EMBEDDED = {"KP_RELAY_POLL_SECONDS": "5", "KP_FETCH_IDLE_MAX_WAIT_MS": "1500"}


def start_platform(data_dir: Path, *, broker_port: int = 0, env: dict[str, str] | None = None,
                   free_ports: bool = False) -> tuple[EmbeddedBroker, list[ServiceProcess]]:
    """The embedded broker and the four services on SQLite files in data_dir (make run's ports, or
    KP_<SERVICE>_PORT, or free ones), each with `env` besides; stopped again if one does not come up."""
    os.environ.setdefault("KP_ENV", "dev")  # the local platform may run on the development secret
    data_dir.mkdir(parents=True, exist_ok=True)
    broker = EmbeddedBroker(port=broker_port or None, log_path=data_dir / "broker.log").start()
    services = []
    try:
        for name, default_port in SERVICES.items():
            port = free_port() if free_ports else int(os.environ.get(f"KP_{name.upper()}_PORT", default_port))
            service_env = {
                "KP_KAFKA_BOOTSTRAP": broker.bootstrap,
                "KP_DATABASE_URL": f"sqlite+aiosqlite:///{(data_dir / f'{name}.db').resolve()}",
                **{k: v for k, v in _EMBEDDED.items() if k not in os.environ},  # what the caller set stands
                **(env or {}),
            }
            services.append(ServiceProcess(name, port=port, env=service_env, log_path=data_dir / f"{name}.log").start())
        # the people's pages: a fifth process calling the four services' REST APIs
        web_env = {f"KP_{svc.name.upper()}_URL": svc.url for svc in services}
        web_env["KP_WEB_OUTLINES"] = str((data_dir / "outlines.geojson").resolve())
        web_port = free_port() if free_ports else int(os.environ.get("KP_WEB_PORT", WEB_PORT))
        services.append(ServiceProcess("web", port=web_port, app="web.main:app",
                                       env={**web_env, **(env or {})}, log_path=data_dir / "web.log").start())
    except BaseException:
        stop_platform(broker, services)
        raise
    return broker, services


def stop_platform(broker: EmbeddedBroker, services: list[ServiceProcess]) -> None:
    for svc in services:
        svc.stop()
    broker.stop()


def announce(broker: EmbeddedBroker, services: list[ServiceProcess]) -> None:
    """Where everything is, and an admin token."""
    typer.echo(f"{'broker':<11}{broker.bootstrap} (embedded tansu, memory storage)")
    for svc in services:
        typer.echo(f"{svc.name:<11}{svc.url}" + ("   the pages for people: sign in there" if svc.name == "web"
                                                  else f"   docs {svc.url}/docs"))
    entry = next((svc.url for svc in services if svc.name == "web"), None)
    if entry is not None:
        typer.echo(f"\none entry point for integrators: {entry}/<service>/api/v1/... and {entry}/<service>/docs "
                   f"(e.g. {entry}/registry/docs)")
    typer.echo("\nadmin token (export TOKEN=...):")
    typer.echo(mint(secret=_settings().jwt_secret.get_secret_value(), subject="admin", scopes=ALL_SCOPES))


@app.command()
def run(
    data_dir: Annotated[Path, typer.Option(help="where the SQLite files live")] = Path("data"),
    broker_port: Annotated[int, typer.Option(help="embedded broker port (0: a free one)")] = 0,
) -> None:
    """Start the embedded broker and the four services on SQLite; Ctrl-C stops everything."""
    broker, services = start_platform(data_dir, broker_port=broker_port)
    try:
        announce(broker, services)
        typer.echo(f"\nlogs in {data_dir}/; Ctrl-C stops everything")
        signal.signal(signal.SIGTERM, interrupt)
        supervise(broker, services, data_dir)
    except KeyboardInterrupt:
        typer.echo("\nstopping")
    finally:
        stop_platform(broker, services)


if __name__ == "__main__":
    app()
