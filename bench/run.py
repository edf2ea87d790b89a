"""Run the benchmark modules and write bench/RESULTS.md: ``python -m bench.run [name ...]``.

Every ``bench/bench_*.py`` module has a ``main(harness)``. The database is SQLite, or
PostgreSQL when FABLAB_BENCH_DATABASE_URL is set; run both to fill RESULTS.md.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

import bench
from bench.harness import Harness, database_kind

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            kib = int(info.readline().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB of memory"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}"


def write_results(harness: Harness, modules: list[str]) -> None:
    """Replace this database's section of RESULTS.md with today's figures."""
    kind = database_kind()
    lines = [f"## {kind}", "",
             f"Run on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}; "
             f"modules: {', '.join(modules)}.", "",
             "| figure | measured | target | |", "| --- | ---: | ---: | --- |"]
    for r in harness.results:
        sign = "≥" if r.higher_is_better else "≤"
        lines.append(f"| {r.name} | {r.value:.1f} {r.unit} | {sign} {r.target:g} {r.unit} | "
                     f"{'ok' if r.ok else '**missed**'} |")
    lines += [""] + [f"- {note}" for note in harness.notes] + [""]
    sections = {}
    if RESULTS.exists():
        current = None
        for line in RESULTS.read_text().splitlines():
            if line.startswith("## "):
                current = line[3:].strip()
                sections[current] = []
            if current:
                sections[current].append(line)
    sections[kind] = lines
    header = ["# Benchmark results", "",
              "Written by `make bench` (SQLite) and `FABLAB_BENCH_DATABASE_URL=postgresql://… "
              "make bench` (PostgreSQL). Medians over repeated runs; the machine is shared, so "
              "figures vary by a few per cent from run to run.", ""]
    body = [line for name in sorted(sections) for line in sections[name]]
    RESULTS.write_text("\n".join(header + body).rstrip() + "\n")


def main(names: list[str]) -> int:
    harness = Harness()
    modules = sorted(m.name for m in pkgutil.iter_modules(bench.__path__)
                     if m.name.startswith("bench_"))
    chosen = [m for m in modules
              if not names or m in names or m.removeprefix("bench_") in names]
    for name in chosen:
        print(f"== {name} ({database_kind()})", flush=True)
        importlib.import_module(f"bench.{name}").main(harness)
    write_results(harness, chosen)
    if harness.failed:
        print("missed: " + ", ".join(harness.failed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
