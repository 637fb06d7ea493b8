"""Figures with their same-run baselines: printed as they come, summarised, and written to results/latest.json."""
import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Target:
    on: str        # "value" or "ratio"
    op: str        # ">=" or "<="
    bound: float

    def met(self, value: float, ratio: float | None) -> bool | None:
        x = value if self.on == "value" else ratio
        if x is None or math.isnan(x):
            return None
        return x >= self.bound if self.op == ">=" else x <= self.bound

    def __str__(self) -> str:
        return f"{self.on} {self.op} {self.bound:g}"


@dataclass
class Figure:
    key: str
    label: str
    value: float
    unit: str
    baseline: str | None = None     # key of the figure this one is divided by
    ratio: float | None = None
    target: Target | None = None
    met: bool | None = None
    note: str = ""


@dataclass
class Report:
    path: Path
    figures: dict[str, Figure] = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    def add(self, key: str, label: str, value: float, unit: str, *, baseline: str | None = None,
            target: Target | None = None, note: str = "") -> Figure:
        ratio = None
        if baseline is not None and baseline in self.figures:
            base = self.figures[baseline].value
            ratio = value / base if base and not math.isnan(base) and not math.isnan(value) else math.nan
        figure = Figure(key, label, value, unit, baseline, ratio, target,
                        target.met(value, ratio) if target else None, note)
        self.figures[key] = figure
        print(_line(figure, self.figures), flush=True)
        return figure

    def print_summary(self) -> None:
        print("\n=== summary (ratios are to baselines measured in this same run)", flush=True)
        for figure in self.figures.values():
            print(_line(figure, self.figures), flush=True)

    def write(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started)),
            "duration_s": round(time.time() - self.started, 1),
            "host": {"cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine()},
            **self.info,
            "figures": {k: _jsonable(asdict(f)) for k, f in self.figures.items()},
        }
        self.path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return self.path


def _fmt(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _line(figure: Figure, figures: dict[str, Figure]) -> str:
    text = f"  {figure.label:<52} {_fmt(figure.value):>10} {figure.unit:<7}"
    if figure.baseline is not None:
        base = figures.get(figure.baseline)
        text += f"  x{figure.ratio:.3f} of {base.label if base else figure.baseline}" if figure.ratio is not None \
            and not math.isnan(figure.ratio) else f"  (no {figure.baseline} baseline)"
    if figure.target is not None:
        verdict = {True: "MET", False: "MISSED", None: "n/a"}[figure.met]
        text += f"  [target {figure.target}: {verdict}]"
    if figure.note:
        text += f"  ({figure.note})"
    return text


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
