"""Run every benchmark module: ``python -m bench.run [name ...]``."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench
from bench.harness import Harness


def main(names: list[str]) -> int:
    harness = Harness()
    modules = sorted(m.name for m in pkgutil.iter_modules(bench.__path__)
                     if m.name.startswith("bench_"))
    for name in modules:
        if names and name.removeprefix("bench_") not in names and name not in names:
            continue
        print(f"== {name}", flush=True)
        importlib.import_module(f"bench.{name}").main(harness)
    if harness.failed:
        print("over target: " + ", ".join(harness.failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
