"""Closed-loop HTTP load on a project-create endpoint: wrk with a Lua script giving each request a unique code,
or, when wrk cannot be had, a Python generator (bench/client.py) that is clearly reported as such."""
import asyncio
import json
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.bodies import project_template, unit_body
from bench.client import HttpError, Pool
from bench.stats import percentile

PATH = "/api/v1/projects"


@dataclass
class Target:
    """A service under load: where it is, what to send with each request, the unit its projects belong to."""

    name: str
    url: str
    headers: dict[str, str]
    database_url: str = ""
    unit_id: str = ""

    async def create_unit(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, headers=self.headers, timeout=30) as client:
            response = await client.post("/api/v1/units", json=unit_body())
        if response.status_code != 201:
            raise RuntimeError(f"{self.name}: creating a unit answered {response.status_code}: {response.text[:500]}")
        self.unit_id = response.json()["id"]


@dataclass
class LoadResult:
    tool: str
    seconds: float
    requests: int
    errors: int        # non-2xx answers, socket errors and timeouts
    p50_ms: float
    p99_ms: float

    @property
    def ok_per_second(self) -> float:
        return (self.requests - self.errors) / self.seconds


class Loader:
    """Runs `connections`-way load for a duration; `wrk` is the binary, or None for the Python fallback."""

    def __init__(self, wrk: str | None, *, connections: int, threads: int, workdir: Path):
        self.wrk = wrk
        self.connections = connections
        self.threads = threads
        self.workdir = workdir

    @property
    def tool(self) -> str:
        return "wrk" if self.wrk else "python (fallback: wrk unavailable; figures not comparable to wrk runs)"

    async def run(self, target: Target, seconds: float) -> LoadResult:
        run = uuid.uuid4().hex[:8]  # each invocation's codes are unique: B<run>-<thread>-<n>
        if self.wrk:
            return await self._wrk(target, seconds, run)
        return await self._python(target, seconds, run)

    async def _wrk(self, target: Target, seconds: float, run: str) -> LoadResult:
        script = self._lua(target, run)
        path = Path(tempfile.mkstemp(prefix="bench-", suffix=".lua", dir=self.workdir)[1])
        path.write_text(script)
        cmd = [self.wrk, f"-t{self.threads}", f"-c{self.connections}", f"-d{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(path), target.url + PATH]
        proc = await asyncio.create_subprocess_exec(*cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, _ = await asyncio.wait_for(proc.communicate(), seconds + 60)
        text = out.decode(errors="replace")
        line = next((ln for ln in text.splitlines() if ln.startswith("BENCH_JSON ")), None)
        if proc.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({proc.returncode}):\n{text}")
        r = json.loads(line.removeprefix("BENCH_JSON "))
        errors = r["status"] + r["connect"] + r["read"] + r["write"] + r["timeout"]
        return LoadResult("wrk", r["duration_us"] / 1e6, r["requests"], errors, r["p50_us"] / 1000,
                          r["p99_us"] / 1000)

    def _lua(self, target: Target, run: str) -> str:
        prefix, suffix = project_template(target.unit_id)
        headers = "\n".join(f'wrk.headers["{k}"] = [===[{v}]===]' for k, v in
                            {**target.headers, "Content-Type": "application/json"}.items())
        return f"""
wrk.method = "POST"
{headers}
local prefix, suffix = [===[{prefix}]===], [===[{suffix}]===]
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, prefix .. "B{run}-" .. tid .. "-" .. n .. suffix)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}}\\n', summary.requests, summary.duration, e.status,
    e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""

    async def _python(self, target: Target, seconds: float, run: str) -> LoadResult:
        prefix, suffix = project_template(target.unit_id)
        pool = Pool(target.url, target.headers, size=self.connections)
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds

        async def worker(w: int) -> None:
            nonlocal errors
            n = 0
            while time.perf_counter() < deadline:
                n += 1
                start = time.perf_counter()
                try:
                    status, _ = await pool.post(PATH, f"{prefix}B{run}-{w}-{n}{suffix}".encode())
                    errors += status >= 400
                except HttpError:
                    errors += 1
                latencies.append((time.perf_counter() - start) * 1000)

        start = time.perf_counter()
        try:
            await asyncio.gather(*(worker(w) for w in range(self.connections)))
        finally:
            await pool.close()
        return LoadResult("python", time.perf_counter() - start, len(latencies), errors,
                          percentile(latencies, 50), percentile(latencies, 99))
