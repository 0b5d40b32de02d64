"""Clean several drops at once, each in a worker process, and hand them back in the order given.

Reading, validating and pseudonymising a drop is pandas and pandera work that holds the GIL, and
a consortium or national run has tens to hundreds of drops: on 2 cores, two processes clean two
drops in the time one took. The run's own process keeps the warehouse (DuckDB allows one writer)
and loads each drop as it comes back, in order, so a backfill's drops still land oldest first.

Workers are spawned, not forked: the parent runs Prefect's threads, and a fork would copy their
locks mid-use. A run of one drop (an LA's nightly load) cleans it in its own process: starting a
worker would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from permanence.pipeline import Ingested, clean_drop
from permanence.progress import step


def worker_count(setting: int, drops: int) -> int:
    """Processes for `drops` drops: the setting (0 = one per core), never more than the drops."""
    wanted = setting or len(os.sched_getaffinity(0))
    return max(1, min(wanted, drops))


def _quiet_worker() -> None:
    # Progress lines come from the run's process when it records each step; a spinner per worker
    # would draw over the others.
    from permanence import progress

    progress.console.quiet = True


class Cleaner:
    """`with Cleaner(key, threshold, workers) as c: for run in c.clean(runs): ...`

    At most `WINDOW_PER_WORKER x workers` drops are in flight (being cleaned, or cleaned and waiting
    their turn to load), so memory follows the window, not the number of drops. A drop pulled as
    'skipped' (already published) passes through without being cleaned.
    """

    # Deep enough that the workers keep cleaning while this process loads a batch of drops
    # (nightly.LOAD_BATCH) and waits for its commit; a national drop in flight is ~10 MB of Arrow.
    WINDOW_PER_WORKER = 4

    def __init__(self, key: bytes, bad_row_threshold: float, workers: int = 1):
        self.key = key
        self.threshold = bad_row_threshold
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._window: deque[Ingested | Future] = deque()  # in flight, in the order given

    def __enter__(self) -> Cleaner:
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet_worker
            )
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            # On an error, drops not yet started are dropped; those running finish, then the pool ends.
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def ready(self) -> bool:
        """Whether the next drop `clean` yields is there without waiting for a worker. Without workers
        the next drop is cleaned in this process when asked for, so it is never there yet."""
        if self._pool is None:
            return False
        head = self._window[0] if self._window else None
        return not isinstance(head, Future) or head.done()

    def clean(self, runs: Iterable[Ingested]) -> Iterator[Ingested]:
        if self._pool is None:
            for run in runs:
                yield run if run.status == "skipped" else clean_drop(run, self.key, self.threshold)
            return
        todo = iter(runs)
        window = self._window

        def top_up() -> None:
            while len(window) < self.WINDOW_PER_WORKER * self.workers:
                run = next(todo, None)
                if run is None:
                    return
                window.append(run if run.status == "skipped" else self._pool.submit(clean_drop, run, self.key, self.threshold))

        top_up()
        while window:
            item = window.popleft()
            top_up()
            if not isinstance(item, Future):
                yield item
                continue
            # The run's process waits here while the workers clean: a step of its own, so the run's
            # timeline shows the wait rather than an unexplained gap before the drop is recorded.
            with step("clean_wait", "waiting for a worker's cleaned drop", quiet=True) as timing:
                run = item.result()
            run.timings.insert(0, timing)
            yield run
