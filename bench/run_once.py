"""One measured nightly run, in its own process so peak memory is this run's alone.

    python -m bench.run_once --drops DIR --data-dir DIR

Runs the real `region` flow (Prefect in ephemeral mode) over every drop folder in DIR and prints
one JSON line: wall time of the whole process's run and its peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import time
from pathlib import Path


def live_children_cpu() -> float:
    """CPU seconds of this process's children that are still running (Linux /proc; 0 elsewhere):
    Prefect's temporary API server, which stops only when the process exits."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        except (OSError, IndexError):
            continue
        if int(fields[1]) == os.getpid():  # ppid; then utime, stime, cutime, cstime at 11-14
            total += sum(int(x) for x in fields[11:15]) / tick
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--drops", type=Path, required=True)
    ap.add_argument("--data-dir", type=Path, required=True)
    args = ap.parse_args()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PERMANENCE_HMAC_KEY", "dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98")
    for off in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DBT_SEND_ANONYMOUS_USAGE_STATS", "GX_ANALYTICS_ENABLED"):
        os.environ.setdefault(off, "false")
    t0, started_at = time.perf_counter(), dt.datetime.now()
    from permanence.ops.serve import temporary_server_defaults

    temporary_server_defaults()  # as `permanence run` starts Prefect's temporary server
    from flows.nightly import region

    drops = []
    for folder in sorted(p for p in args.drops.iterdir() if p.is_dir()):
        manifest = json.loads((folder / "manifest.json").read_text())
        drops.append((str(folder), manifest["la_code"]))
    imported = time.perf_counter()
    region(drops=drops, data_dir=str(args.data_dir))
    done, finished_at = time.perf_counter(), dt.datetime.now()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker processes, which have ended
    server = live_children_cpu()  # Prefect's temporary server: still running, so not in RUSAGE_CHILDREN
    print(json.dumps({
        "wall_seconds": done - t0,
        # naive local times, as audit.load_steps records them: the harness sets the steps against them
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "import_seconds": imported - t0,
        "cpu_seconds": usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime + server,
        "server_cpu_seconds": server,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "children_peak_rss_mb": children.ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
