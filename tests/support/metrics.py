"""Reading a service's Prometheus /metrics: scrape it and sum the samples matching a name and some labels."""
import httpx
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of an exposition text as (name, labels, value)."""
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples called `name` whose labels include `labels` (0 when there is none)."""
    return sum(v for n, l, v in samples(text) if n == name and all(l.get(k) == want for k, want in labels.items()))


async def scrape(base_url: str) -> str:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        response = await http.get("/metrics")
        response.raise_for_status()
        return response.text


async def metric(base_url: str, name: str, **labels: str) -> float:
    """Scrape `base_url`/metrics and return `value(name, **labels)`."""
    return value(await scrape(base_url), name, **labels)
