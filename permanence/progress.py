"""Progress for long steps: a rich spinner on a terminal, one line per finished step in logs.

Each step's wall time, CPU time and peak memory are measured here once, for the progress line, the
audit table `audit.load_steps` and the benchmark harness.

Inside `timeline()` (a run's own process) every second is some step's: each top-level step notes
where the previous one ended, and the time in between (Prefect's task calls, recording the step
figures) is recorded as an `orchestration` step that ends exactly where the next step starts, so
a run's steps are contiguous and a cost that grows there shows up in the audit table, not nowhere.
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
    # In a timeline: the time since the previous step ended, which the step's record covers as an
    # `orchestration` step (gap_from is that end, the same datetime object, so the two abut exactly).
    gap_from: dt.datetime | None = None
    gap_cpu_seconds: float = 0.0

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


@dataclass
class _Timeline:
    last_end: dt.datetime
    last_cpu: float
    depth: int = 0  # steps open now: only a top-level step takes its place in the timeline
    pending: list[StepTiming] = field(default_factory=list)  # measured before any load existed


_timeline: _Timeline | None = None
_last_run_end: dt.datetime | None = None


def process_started_at() -> dt.datetime:
    """When this process started (Linux /proc; else the first import of this module)."""
    try:
        import os

        ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
        uptime = float(open("/proc/uptime").read().split()[0])
        age = uptime - ticks / os.sysconf("SC_CLK_TCK")
        return dt.datetime.now() - dt.timedelta(seconds=max(age, 0.0))
    except (OSError, ValueError, IndexError):
        return _IMPORTED_AT


_IMPORTED_AT = dt.datetime.now()


@contextlib.contextmanager
def timeline(name: str = "startup", label: str = "process start to the run (imports, Prefect)") -> Iterator[StepTiming]:
    """A run in this process: from here, every top-level step's record also covers the time since
    the previous step. Opens with a `name` step for the time before it: since the process started
    (imports, Prefect's start), or since the last run in this process ended. Yields that step, for
    the caller to record once the run has a load (`take_pending` hands it over)."""
    global _timeline, _last_run_end
    now, cpu = dt.datetime.now(), _cpu()
    since = max(process_started_at(), _last_run_end or dt.datetime.min)
    first = StepTiming(step=name, started_at=min(since, now), finished_at=now, label=label, status="ok",
                       wall_seconds=max((now - since).total_seconds(), 0.0), cpu_seconds=cpu if _last_run_end is None else 0.0,
                       peak_rss_mb=_peak_rss_mb(), shown=True)
    _timeline = _Timeline(last_end=now, last_cpu=cpu, pending=[first])
    try:
        yield first
    finally:
        _last_run_end = _timeline.last_end
        _timeline = None


def take_pending() -> list[StepTiming]:
    """Steps measured before the run had a load to record them against (startup, prepare)."""
    if _timeline is None:
        return []
    pending, _timeline.pending = _timeline.pending, []
    return pending


def keep_pending(timing: StepTiming) -> None:
    """A step of the run measured before it had a load: recorded with the first step that has one."""
    if _timeline is not None:
        _timeline.pending.append(timing)


@contextlib.contextmanager
def step(name: str, label: str | None = None, quiet: bool = False) -> Iterator[StepTiming]:
    """quiet: measured and recorded, but no spinner or progress line (bookkeeping between the
    steps a user waits on)."""
    timing = StepTiming(step=name, started_at=dt.datetime.now(), label=label or name, shown=quiet)
    t0, c0 = time.perf_counter(), _cpu()
    line = _timeline
    top = line is not None and line.depth == 0
    if top:
        timing.gap_from, timing.gap_cpu_seconds = line.last_end, c0 - line.last_cpu
    if line is not None:
        line.depth += 1
    try:
        with contextlib.nullcontext() if quiet else console.status(f"[bold]{label or name}[/]…", spinner="dots"):
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
        if line is not None:
            line.depth -= 1
            if top:
                line.last_end, line.last_cpu = timing.finished_at, c0 + timing.cpu_seconds
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
