"""Run the nightly flow's steps without a Prefect server: its own `ingest`, with each task's `.fn`.

One test per flow uses the real Prefect harness (tests/test_flow.py); everything else runs here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from unittest import mock

from flows import nightly as f
from permanence import pipeline, warehouse
from permanence.config import Settings


@contextlib.contextmanager
def plain_tasks() -> Iterator[None]:
    """The flow's per-drop tasks as plain functions, so `nightly.ingest` runs outside a flow."""
    with contextlib.ExitStack() as stack:
        for name in ("pull", "cleaned", "load"):
            stack.enter_context(mock.patch.object(f, name, getattr(f, name).fn))
        yield


def ingest(settings: Settings, drops: list[tuple[str, str]], key: bytes = b"test-key",
           as_at: dt.date | None = None) -> list[pipeline.Ingested]:
    """Pull, clean and load each drop as the flow does (workers per settings.workers), nothing after."""
    pipeline.prepare(settings)
    with plain_tasks(), warehouse.held(settings):
        return f.ingest(settings, key, drops, as_at)


def run_drops(settings: Settings, drops: list[tuple[str, str]], key: bytes = b"test-key",
              as_at: dt.date | None = None) -> list[pipeline.Ingested]:
    runs = ingest(settings, drops, key, as_at)
    f.transform.fn(settings, runs, as_at)
    f.checks.fn(settings, runs)
    f.publish.fn(settings, runs)
    return runs
