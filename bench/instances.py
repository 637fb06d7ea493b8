"""BENCH_INSTANCES > 1: how the platform's instances shared the work of a run, read from their own /metrics and
databases. Events are shared when every reports instance applied some; none is applied twice when the instances'
applied counts add up to the events in reports' inbox (each recorded once); the registry's relays publish from one
leader at a time."""
import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.latency import count_rows
from bench.servers import Platform
from contracts.registry import ProjectRegistered


async def scraped(url: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples with these labels, read off a service's /metrics."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(f"{url}/metrics")).text
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


async def shares(platform: Platform) -> dict:
    """Per instance: registrations applied (reports) and events published (registry); the inbox's count of
    registrations; applied twice = the instances' sum less that count."""
    applied, published = {}, {}
    for name, process in platform.processes.items():
        if name.startswith("reports"):
            applied[name] = int(await scraped(process.url, "kp_events_consumed_total", service="reports",
                                              type=ProjectRegistered.type))
        else:
            published[name] = int(await scraped(process.url, "kp_events_published_total", service="registry"))
    recorded = await count_rows(platform.database_urls["reports"], "inbox", f"type = '{ProjectRegistered.type}'")
    return {"applied": applied, "published": published, "recorded": recorded,
            "applied_twice": sum(applied.values()) - recorded}
