"""Service processes on loopback: started, waited for, stopped or killed (used by `make run`, tests and benchmarks)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kit.lifetime import die_with_parent

SERVICES = {"registry": 8001, "milestones": 8002, "alerts": 8003, "reports": 8004}


class ServiceProcess:
    """One uvicorn process serving one service with its own KP_* environment (`app`: another ASGI app path)."""

    def __init__(self, name: str, *, port: int, env: dict[str, str], log_path: Path | None = None,
                 app: str | None = None):
        self.name = name
        self.app = app or f"services.{name}.main:app"
        self.port = port
        self.env = {**os.environ, **env, "KP_PORT": str(port)}
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> "ServiceProcess":
        log = open(self.log_path, "ab") if self.log_path else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", self.app, "--host", "127.0.0.1",
             "--port", str(self.port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
             "--log-level", "warning"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT if log else None, start_new_session=True, preexec_fn=die_with_parent,
        )
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not healthy after {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        """Graceful stop: SIGTERM lets uvicorn run the lifespan shutdown."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a machine dies."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None
