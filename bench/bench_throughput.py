"""Throughput under gunicorn (2 workers) with wrk on loopback, as a ratio to a bare
Flask endpoint served by the same gunicorn in the same run.

Targets (issue 9): the agenda page at ≥ 25 % of the floor's throughput, a 304 feed
answer at ≥ 60 %. Needs `wrk` (`apt-get install wrk`; `make bench` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from bench.harness import bench_app

ROOT = Path(__file__).resolve().parents[1]
DURATION = os.environ.get("FABLAB_BENCH_WRK_SECONDS", "6")
CONNECTIONS = "16"
RATE = re.compile(r"Requests/sec:\s+([\d.]+)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(database_url: str):
    port = _free_port()
    env = {**os.environ, "FABLAB_DATABASE_URL": database_url,
           "FABLAB_SECRET_KEY": "bench-throughput-" + "x" * 32,
           "FABLAB_BASE_URL": f"http://127.0.0.1:{port}", "FABLAB_RATELIMIT_ENABLED": "false",
           "FABLAB_MAIL_BACKEND": "log"}
    env.pop("FLASK_DEBUG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "bench.throughput_app:app"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/__bare/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def wrk(url: str, *headers: str) -> float:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} error answers\n{output}")
    return float(RATE.search(output).group(1))


def etag_of(url: str) -> str | None:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.headers.get("ETag")


def targets(base: str, project_path: str) -> list[tuple[str, str, list[str], float | None]]:
    """(name, url, headers, minimum ratio to the floor) for what exists in this build."""
    found = []
    for name, path, ratio in (("agenda page", "/agenda", 0.25), ("events list", "/events", None),
                              ("project gallery", "/projects", None),
                              ("project page", project_path, None),
                              ("public feed /agenda.ics", "/agenda.ics", None)):
        try:
            urllib.request.urlopen(base + path, timeout=30).close()
        except OSError:
            continue
        found.append((name, base + path, [], ratio))
        if path.endswith(".ics"):
            etag = etag_of(base + path)
            if etag:
                found.append((f"{name}, 304 (If-None-Match)", base + path,
                              [f"If-None-Match: {etag}"], 0.60))
    return found


def main(harness) -> None:
    if shutil.which("wrk") is None:
        harness.note("throughput: wrk is not installed (apt-get install wrk): skipped")
        return
    app = bench_app()
    with app.app_context():
        from fablab.demo import load_demo
        from fablab.extensions import db

        from sqlalchemy import select

        from fablab.projects.models import Project

        load_demo()
        db.session.commit()
        project_id = db.session.scalar(select(Project.id).where(Project.status == "published")
                                       .order_by(Project.id))
        project_path = f"/projects/{project_id}"
        db.engine.dispose()
    with served(app.config["DATABASE_URL"]) as base:
        wrk(base + "/__bare/")  # warm both workers up
        floors = []
        for name, url, headers, ratio in targets(base, project_path):
            wrk(url, *headers)  # warm up: the workers' caches, the connection pool
            # The machine is shared: its load drifts over a run. The floor is measured
            # right before the page it is compared with, so that both see the same load.
            floor = wrk(base + "/__bare/")
            floors.append(floor)
            rate = wrk(url, *headers)
            harness.record(f"{name}: throughput", rate, 0, "req/s", higher_is_better=True)
            harness.record(f"{name}: floor measured just before", floor, 0, "req/s",
                           higher_is_better=True)
            # every page as a ratio to the floor; a target only where the issue sets one
            harness.record(f"{name}: share of the floor", 100 * rate / floor,
                           100 * (ratio or 0), "%", higher_is_better=True)
        harness.record("bare Flask endpoint under gunicorn (the floor), median",
                       sorted(floors)[len(floors) // 2], 0, "req/s", higher_is_better=True)
