"""The cost of handing a cleaned load to a Prefect task: walked by Prefect (as before issue 18) or
quoted (as the flow does now).

    python -m bench.task_call DROP_DIR [--calls 3]

Prefect visits every element of a task's arguments, looking for futures, before each call; a load
carries its findings and rejected rows, so the walk grows with the drop. Prints CPU and wall
seconds per call.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from permanence import pipeline, progress
from permanence.ingest.pull import pull


@task(cache_policy=NO_CACHE, persist_result=False)
def _noop(run):
    return run


@flow
def _calls(run, calls: int) -> dict[str, tuple[float, float]]:
    out = {}
    for name, arg in (("walked", lambda: run), ("quoted", lambda: quote(run))):
        _noop(arg())  # the first call of a task pays its own set-up
        c, w = time.process_time(), time.perf_counter()
        for _ in range(calls):
            _noop(arg())
        out[name] = ((time.process_time() - c) / calls, (time.perf_counter() - w) / calls)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("drop", type=Path)
    ap.add_argument("--calls", type=int, default=3)
    args = ap.parse_args()
    progress.console.quiet = True
    run = pipeline.begin(str(args.drop), "894", None)
    run.drop = pull(str(args.drop), "894", Path(tempfile.mkdtemp(prefix="task-call-")), None)
    run = pipeline.clean_drop(run, b"benchmark-key-" * 3, 1.0)
    print(f"{args.drop.name}: {run.rows_in:,} rows, {len(run.issues):,} findings")
    for name, (c, w) in _calls(run, args.calls).items():
        print(f"  one task call, the load {name}: {c:.3f} CPU s, {w:.3f} s wall")


if __name__ == "__main__":
    main()
