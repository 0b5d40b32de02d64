"""Run the nightly flow's tasks through `.fn`, in the flow's order, without a Prefect server.

One test per flow uses the real Prefect harness (tests/test_flow.py); everything else runs here.
"""

from __future__ import annotations

import datetime as dt

from flows import nightly as f
from permanence import pipeline
from permanence.config import Settings


def run_drops(settings: Settings, drops: list[tuple[str, str]], key: bytes = b"test-key",
              as_at: dt.date | None = None) -> list[pipeline.Ingested]:
    runs = []
    pipeline.prepare(settings)
    for source, la in drops:
        run = pipeline.begin(source, la, as_at)
        run = f.pull.fn(settings, run)
        if run.status != "skipped":
            run = f.validate.fn(settings, run)
        if run.status not in ("skipped", "quarantined"):
            run = f.pseudonymise.fn(settings, run, key)
            run = f.load.fn(settings, run)
        runs.append(run)
    f.transform.fn(settings, runs, as_at)
    f.checks.fn(settings, runs)
    f.publish.fn(settings, runs)
    return runs
