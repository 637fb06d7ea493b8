"""The idle cost of `make run` itself: the embedded broker, the four services on SQLite and the pages, started as
`make run` starts them (kit.cli.start_platform, on free ports in a temporary directory), with nothing happening."""
import asyncio
import tempfile
from pathlib import Path

from bench.costs import CpuMeter
from kit.cli import start_platform, stop_platform


async def idle_cpu(*, seconds: float, settle: float) -> dict[str, float]:
    """Per process, % of a core over `seconds`, once `settle` seconds have passed after every process was up (the
    consumers have joined their groups and gone to their idle pace by then)."""
    with tempfile.TemporaryDirectory(prefix="kp-bench-run-") as data:
        broker, services = await asyncio.to_thread(start_platform, Path(data), free_ports=True)
        try:
            await asyncio.sleep(settle)
            meter = CpuMeter({"broker": broker.process.pid, **{s.name: s.process.pid for s in services}}).start()
            await asyncio.sleep(seconds)
            used = meter.stop()
        finally:
            await asyncio.to_thread(stop_platform, broker, services)
    return {name: cpu * 100 / seconds for name, cpu in used.items()}
