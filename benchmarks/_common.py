"""Shared by the benchmark scripts: the machine they ran on, percentiles, tables, and RESULTS.md sections."""

from __future__ import annotations

import os
import platform
import re
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
ROOT = BENCHMARKS.parent
RESULTS = BENCHMARKS / "RESULTS.md"

if str(ROOT) not in sys.path:  # the scenario generator lives in tests/reliability/
    sys.path.insert(0, str(ROOT))


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or what platform knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """One line naming the machine, the interpreter, durable-rules, the date and the load average when the
    line is written (other processes on a shared machine widen the ranges; the load says how much ran)."""
    try:
        durable = metadata.version("durable_rules")
    except metadata.PackageNotFoundError:
        durable = "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu_model()}, {os.cpu_count()} cores; Linux {platform.release()}; "
        f"Python {platform.python_version()}; durable-rules {durable}; "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; load average (1 min) {load:.1f}"
    )


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of already sorted values, nearest-rank."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


@dataclass(frozen=True)
class Timing:
    """Per-call durations in seconds, and the wall time of the whole loop."""

    samples: list[float]
    wall: float

    @property
    def rate(self) -> float:
        """Calls per second over the loop's wall time."""
        return len(self.samples) / self.wall if self.wall else float("nan")

    @property
    def median_us(self) -> float:
        """Median per call, in microseconds."""
        return statistics.median(self.samples) * 1e6

    @property
    def p99_us(self) -> float:
        """99th percentile per call, in microseconds."""
        return percentile(sorted(self.samples), 0.99) * 1e6


def spread(values: Sequence[float], fmt: str = "{:.1f}", unit: str = "") -> str:
    """The median of the runs and their range: ``12.3 ms (10.1-15.0)`` (``fmt`` formats each number)."""
    mid, low, high = (fmt.format(v) for v in (statistics.median(values), min(values), max(values)))
    return f"{mid}{unit} ({low}-{high})"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, which also reads well in a terminal."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def write_section(name: str, title: str, body: str) -> None:
    """Replace (or append) this benchmark's section of RESULTS.md, leaving the others alone."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    section = f"{begin}\n## {title}\n\n{body.rstrip()}\n{end}"
    text = (
        RESULTS.read_text(encoding="utf-8")
        if RESULTS.exists()
        else (
            "# Benchmark results\n\n"
            "Each section is written by the script it names; run it again to refresh it.\n"
        )
    )
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    text = (
        pattern.sub(lambda _m: section, text) if pattern.search(text) else f"{text.rstrip()}\n\n{section}\n"
    )
    RESULTS.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
