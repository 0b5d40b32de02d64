"""Progress for long steps: a rich spinner on a terminal, one line per finished step in logs.

Each step's wall time, CPU time and peak memory are measured here once, for the progress line, the
audit table `audit.load_steps` and the benchmark harness.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from rich.console import Console

console = Console(stderr=True, highlight=False)


@dataclass
class StepTiming:
    step: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    status: str = "running"
    detail: dict = field(default_factory=dict)
    label: str = ""
    shown: bool = False  # printed where it was measured (not in a quiet worker process)

    def skip(self, reason: str) -> None:
        """The step had nothing to do (every drop quarantined or already published): shown and
        recorded as skipped with the reason, never as a green tick for work that did not happen."""
        self.status = "skipped"
        self.detail["reason"] = reason


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def step(name: str, label: str | None = None) -> Iterator[StepTiming]:
    timing = StepTiming(step=name, started_at=dt.datetime.now(), label=label or name)
    t0, c0 = time.perf_counter(), _cpu()
    try:
        with console.status(f"[bold]{label or name}[/]…", spinner="dots"):
            yield timing
        if timing.status == "running":
            timing.status = "ok"
    except BaseException:
        timing.status = "failed"
        raise
    finally:
        timing.finished_at = dt.datetime.now()
        timing.wall_seconds = time.perf_counter() - t0
        timing.cpu_seconds = _cpu() - c0
        timing.peak_rss_mb = _peak_rss_mb()
        show(timing)


def show(timing: StepTiming) -> None:
    """The one progress line of a finished step (once, wherever it was measured)."""
    if console.quiet or timing.shown:
        return
    if timing.status == "skipped":
        console.print(f"[yellow]-[/] {timing.label} [dim]skipped: {timing.detail.get('reason', '')}[/]", soft_wrap=True)
    else:
        mark = "[green]✓[/]" if timing.status == "ok" else "[red]✗[/]"
        console.print(f"{mark} {timing.label} [dim]{timing.wall_seconds:.1f}s[/]")
    timing.shown = True
