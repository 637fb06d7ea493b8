"""`make run` keeps itself up: a service or the embedded broker killed is started again (logged, backing off), the
platform answers again, and Ctrl-C still stops everything."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kit.broker import free_port

pytestmark = pytest.mark.timeout(240)
NAMES = ("registry", "milestones", "alerts", "reports", "web")


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.5)


def _pids(data: Path) -> dict[str, int]:
    return {name: int(pid) for name, pid in (line.split() for line in (data / "pids").read_text().splitlines())}


def test_a_killed_service_and_broker_come_back_and_ctrl_c_stops_all(tmp_path):
    ports = {name: free_port() for name in NAMES}
    env = {**os.environ, **{f"KP_{name.upper()}_PORT": str(port) for name, port in ports.items()},
           "KP_DAILY_SCAN": "false", "KP_AUTO_SNAPSHOTS": "false"}
    data = tmp_path / "data"
    cli = subprocess.Popen([sys.executable, "-m", "kit.cli", "run", "--data-dir", str(data)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _until(lambda: all(_healthy(p) for p in ports.values()), 120, "the four services and the web healthy")
        _until(lambda: (data / "pids").exists(), 10, "the pid file")
        before = _pids(data)
        os.kill(before["registry"], signal.SIGKILL)
        _until(lambda: _pids(data)["registry"] != before["registry"] and _healthy(ports["registry"]), 90,
               "the registry started again")
        os.kill(_pids(data)["broker"], signal.SIGKILL)
        _until(lambda: _pids(data)["broker"] != before["broker"], 60, "the broker started again")
        # counted where a dashboard sees it
        metrics = httpx.get(f"http://127.0.0.1:{ports['registry']}/metrics", timeout=5).text
        assert 'kp_service_restarts{service="registry"} 1.0' in metrics
        restarts = (data / "restarts.log").read_text()
        assert "registry exited (-9); restarting in 1s" in restarts
        assert "broker exited (-9)" in restarts
        assert all(_healthy(p) for p in ports.values())
        assert cli.poll() is None  # one exit never takes the platform down
    finally:
        cli.send_signal(signal.SIGINT)
        cli.wait(60)
    assert not any(_healthy(p) for p in ports.values())
