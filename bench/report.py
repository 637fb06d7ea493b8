"""Figures with their same-run baselines: printed as they come, summarised, and written to results/latest.json and,
as a table, results/latest.md."""
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
        self.path.with_suffix(".md").write_text(_table(doc, self.figures))
        return self.path


def _table(doc: dict, figures: dict[str, Figure]) -> str:
    """The run as a Markdown table: each figure with its same-run baseline and ratio, and its target."""
    host = doc["host"]
    lines = [f"# make bench, {doc['started_at']} ({doc['duration_s']:.0f} s; {host['cpus']} CPUs, "
             f"Python {host['python']})",
             "", "| figure | value | baseline (same run) | ratio | target | note |", "|---|---|---|---|---|---|"]
    for f in figures.values():
        base = figures.get(f.baseline) if f.baseline else None
        ratio = f"x{f.ratio:.3f}" if f.ratio is not None and math.isfinite(f.ratio) else ""
        target = f"{f.target}: {({True: 'MET', False: 'MISSED', None: 'n/a'})[f.met]}" if f.target else ""
        cells = [f.label, f"{_fmt(f.value)} {f.unit}", f"{base.label} ({_fmt(base.value)} {base.unit})" if base else "",
                 ratio, target, f.note]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


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
