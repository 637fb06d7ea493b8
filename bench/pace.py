"""Open-loop pacing: start one call every 1/rate seconds whatever the previous ones are doing."""
import asyncio
import time
from collections.abc import Awaitable, Callable


async def paced(rate: float, seconds: float, call: Callable[[int], Awaitable[None]]) -> int:
    """Run call(0), call(1), ... at `rate` per second for `seconds`; wait for all; return how many were started."""
    count = max(1, int(rate * seconds))
    start = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(call(i)))
    await asyncio.gather(*tasks)
    return count
