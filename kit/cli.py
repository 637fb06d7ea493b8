"""Command line: run the whole platform locally, or mint a token (`python -m kit.cli --help`)."""
import os
from datetime import timedelta
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from kit.auth import ADMIN, SCOPES, mint
from kit.broker import EmbeddedBroker
from kit.processes import SERVICES, ServiceProcess
from kit.settings import ServiceSettings

app = typer.Typer(add_completion=False, help=__doc__)

ALL_SCOPES = [ADMIN]


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


def _interrupt(*_):
    raise KeyboardInterrupt


@app.command()
def run(
    data_dir: Annotated[Path, typer.Option(help="where the SQLite files live")] = Path("data"),
    broker_port: Annotated[int, typer.Option(help="embedded broker port (0: a free one)")] = 0,
) -> None:
    """Start the embedded broker and the four services on SQLite; Ctrl-C stops everything."""
    os.environ.setdefault("KP_ENV", "dev")  # the local platform may run on the development secret
    data_dir.mkdir(parents=True, exist_ok=True)
    broker = EmbeddedBroker(port=broker_port or None, log_path=data_dir / "broker.log").start()
    services = []
    try:
        for name, default_port in SERVICES.items():
            port = int(os.environ.get(f"KP_{name.upper()}_PORT", default_port))
            env = {
                "KP_KAFKA_BOOTSTRAP": broker.bootstrap,
                "KP_DATABASE_URL": f"sqlite+aiosqlite:///{(data_dir / f'{name}.db').resolve()}",
            }
            services.append(ServiceProcess(name, port=port, env=env, log_path=data_dir / f"{name}.log").start())
        typer.echo(f"{'broker':<11}{broker.bootstrap} (embedded tansu, memory storage)")
        for svc in services:
            typer.echo(f"{svc.name:<11}{svc.url}   docs {svc.url}/docs")
        typer.echo("\nadmin token (export TOKEN=...):")
        typer.echo(mint(secret=_settings().jwt_secret.get_secret_value(), subject="admin", scopes=ALL_SCOPES))
        typer.echo(f"\nlogs in {data_dir}/; Ctrl-C stops everything")
        signal.signal(signal.SIGTERM, _interrupt)
        while all(svc.process.poll() is None for svc in services):
            time.sleep(0.5)
        typer.echo("a service exited; stopping", err=True)
    except KeyboardInterrupt:
        typer.echo("\nstopping")
    finally:
        for svc in services:
            svc.stop()
        broker.stop()


if __name__ == "__main__":
    app()
