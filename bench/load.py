"""Closed-loop HTTP load: wrk with a Lua script sending a target's requests in turn (a unique number in each body),
or, when wrk cannot be had, a Python generator (bench/client.py) that is clearly reported as such."""
import asyncio
import json
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.bodies import SEQ, project_body, unit_body
from bench.client import HttpError, Pool, dumps
from bench.stats import percentile

PATH = "/api/v1/projects"
RUN_SPAN = 10_000_000  # each run numbers its requests from its own multiple of this (far more than a run sends)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str  # JSON; SEQ in it (at most once) becomes the request's number


def create_requests(unit_id: str) -> list[Request]:
    """Project creates, each with its own code."""
    return [Request("POST", PATH, dumps(project_body(unit_id)).decode())]


@dataclass
class Target:
    """A service under load: where it is, the unit its projects belong to, and the requests to send: in turn, over
    and over (the k-th request of a run is requests[k % len(requests)]); after create_unit(), project creates."""

    name: str
    url: str
    headers: dict[str, str]
    database_url: str = ""
    unit_id: str = ""
    requests: list[Request] = field(default_factory=list)

    async def create_unit(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, headers=self.headers, timeout=30) as client:
            response = await client.post("/api/v1/units", json=unit_body())
        if response.status_code != 201:
            raise RuntimeError(f"{self.name}: creating a unit answered {response.status_code}: {response.text[:500]}")
        self.unit_id = response.json()["id"]
        self.requests = create_requests(self.unit_id)


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
        self.runs = 0

    @property
    def tool(self) -> str:
        return "wrk" if self.wrk else "python (fallback: wrk unavailable; figures not comparable to wrk runs)"

    async def run(self, target: Target, seconds: float) -> LoadResult:
        self.runs += 1
        base = self.runs * RUN_SPAN  # request k of this run is numbered base + k: unique over the loader's runs
        if self.wrk:
            return await self._wrk(target, seconds, base)
        return await self._python(target, seconds, base)

    async def _wrk(self, target: Target, seconds: float, base: int) -> LoadResult:
        requests = Path(tempfile.mkstemp(prefix="bench-", suffix=".tsv", dir=self.workdir)[1])
        # A line a request: method, path, body (split around SEQ when it holds one), tab-separated.
        requests.write_text("".join("\t".join((r.method, r.path, *r.body.split(SEQ))) + "\n" for r in target.requests),
                            encoding="utf-8")
        path = requests.with_suffix(".lua")
        path.write_text(self._lua(target, requests, base), encoding="utf-8")
        cmd = [self.wrk, f"-t{self.threads}", f"-c{self.connections}", f"-d{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(path), target.url + "/"]
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

    def _lua(self, target: Target, requests: Path, base: int) -> str:
        """Thread t (1..threads) sends requests t-1, t-1+threads, ... of the file: {method, path, body} or, with a
        number in the body, {method, path, before, after}."""
        headers = "\n".join(f'wrk.headers["{k}"] = [===[{v}]===]' for k, v in
                            {**target.headers, "Content-Type": "application/json"}.items())
        return f"""
{headers}
local cycle = {{}}
for line in io.lines([===[{requests}]===]) do
  local r = {{}}
  for part in (line .. "\\t"):gmatch("([^\\t]*)\\t") do r[#r + 1] = part end
  cycle[#cycle + 1] = r
end
local count, threads, base = #cycle, {self.threads}, {base}
local started = 0
function setup(thread)
  started = started + 1
  thread:set("tid", started)
  -- wrk calls request() once on its first thread to check the script before the run: that call gets n = -1
  thread:set("n", started == 1 and -1 or 0)
end
function request()
  local k = n * threads + tid - 1
  n = n + 1
  local r = cycle[k % count + 1]
  return wrk.format(r[1], r[2], nil, r[4] and (r[3] .. (base + k) .. r[4]) or r[3])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}}\\n', summary.requests, summary.duration, e.status,
    e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""

    async def _python(self, target: Target, seconds: float, base: int) -> LoadResult:
        """Worker w (one connection each) sends requests w, w+connections, ..."""
        pool = Pool(target.url, target.headers, size=self.connections)
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds

        async def worker(w: int) -> None:
            nonlocal errors
            k = w
            while time.perf_counter() < deadline:
                r = target.requests[k % len(target.requests)]
                body = r.body.replace(SEQ, str(base + k)).encode()
                k += self.connections
                start = time.perf_counter()
                try:
                    status, _ = await pool.send(r.method, r.path, body)
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
