"""Optional (BENCH_PROFILE=1): sample a service with py-spy while it is under load, and say where the time goes."""
import asyncio
import collections
import subprocess
from pathlib import Path

from bench.tools import ensure_py_spy


async def record(pid: int, seconds: float, out: Path) -> Path | None:
    """py-spy raw (collapsed) stacks of every thread of `pid` for `seconds`, without pausing it (--nonblocking)."""
    py_spy = ensure_py_spy()
    if py_spy is None:
        print("py-spy unavailable; no profile", flush=True)
        return None
    proc = await asyncio.create_subprocess_exec(
        py_spy, "record", "-p", str(pid), "-d", str(max(1, round(seconds))), "-r", "250", "--nonblocking",
        "-f", "raw", "-o", str(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), seconds + 60)
    if proc.returncode != 0 or not out.exists():
        print(f"py-spy failed: {err.decode(errors='replace')[-500:]}", flush=True)
        return None
    return out


def _short(frame: str) -> str:
    """'func (path/to/module.py:12)' -> 'func (module.py)'; line numbers dropped so a function is one entry."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    parts = where.split("/")
    for anchor in ("site-packages", "main", "kp_head", "lib"):
        if anchor in parts:
            parts = parts[parts.index(anchor) + 1:]
            break
    return f"{name} ({'/'.join(parts[-3:])})"


def summarise(raw: Path, top: int = 40) -> str:
    """Inclusive share of samples per function (each counted once per stack) and self share, busy samples only."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_short(f) for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        n = int(count)
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return "no samples"
    lines = [f"{total} busy samples", "", "inclusive  self   function"]
    for frame, n in inclusive.most_common(top):
        lines.append(f"{100 * n / total:8.1f}% {100 * own[frame] / total:5.1f}%  {frame}")
    lines += ["", "top self time", "self    function"]
    for frame, n in own.most_common(25):
        lines.append(f"{100 * n / total:5.1f}%  {frame}")
    return "\n".join(lines)
