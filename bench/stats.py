"""Percentiles over samples (nearest rank), in the unit the samples are in."""
import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], p: float) -> float:
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {"n": len(samples), "p50": percentile(samples, 50), "p99": percentile(samples, 99),
            "max": max(samples) if samples else math.nan}
