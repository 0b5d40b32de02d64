"""The nightly load as Prefect flows. Read top to bottom, it is the pipeline diagram:

    pull -> clean (read, validate, pseudonymise) -> load      (each drop)
                             -> transform -> checks -> publish   (once, for everything loaded;
                                             the copies written aside during the checks)
                             -> DfE rule pack (return readiness, after the publish)

`nightly` takes one LA's drop; `region` takes several (a consortium's warehouse, or the demo).
Several drops are cleaned at once in worker processes (permanence.ingest.workers); each is recorded and
loaded here, in order, over one warehouse connection. The steps themselves live in
permanence.pipeline so they can be tested without Prefect.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from permanence import pipeline, progress

from permanence.ops import notify
from permanence.config import Settings
from permanence.pipeline import DropQuarantined, Ingested
from permanence.progress import step
from permanence.ingest.pseudonymise import resolve_key
from permanence.ops.security import check_la_code, ensure_private_dir, key_fingerprint, private_files, register_source
from permanence.warehouse import FINAL_STATUSES, check_key, connect, exclusive, held, mark_rebuilt, pending_rebuilds
from permanence.ingest.workers import Cleaner, worker_count

# Frames are large and hold personal data: never hash them into cache keys or persist them.
TASK = dict(cache_policy=NO_CACHE, persist_result=False)


def _opaque(value):
    """A load (or the run's loads) as a task argument Prefect does not walk. Prefect visits every
    element of a task's arguments looking for futures, twice per call; a load carries its findings
    (21,770 on a 72,010-row drop) and rejected rows, so each call cost seconds that grew with the
    rows (issue 18; docs/performance.md). The tasks take plain values; nothing here is a future."""
    return quote(value)


@dataclass
class RunSummary:
    load_id: str
    la_code: str
    status: str
    message: str
    report: str | None
    rows_in: int
    rows_loaded: int
    rows_rejected: int


def _timed(settings: Settings, run: Ingested, name: str, label: str, fn, *args):
    with step(name, f"{label} ({run.la_code})") as timing:
        result = fn(*args)
    pipeline.record_step(settings, run, timing)
    return result


REACH_DELAYS = (5, 30)  # seconds between the tries of a source that does not answer (three tries)


def wait_for_sources(drops: list[tuple["Sources", str]], delays: tuple[int, ...] = REACH_DELAYS, sleep=time.sleep) -> None:
    """Before the warehouse lock is taken: try each source until it answers (network trouble: three
    tries, 5 s then 30 s apart), so a run never holds the lock while it waits on a network. A source
    refused for what it is (no such folder, a bad manifest) is not tried again; the pull, under the
    lock, then records the failure once, as it does for a source still silent after the last try."""
    from permanence.contract.frames import StructuralError
    from permanence.ops.security import strip_credentials
    from permanence.ingest.pull import reach

    for source, _la in drops:
        for one in [source] if isinstance(source, str) else source:
            for attempt in range(len(delays) + 1):
                try:
                    reach(one)
                    break
                except StructuralError:
                    break
                except Exception as exc:  # noqa: BLE001  (anything else may be the network)
                    if attempt == len(delays):
                        break
                    _logger().warning("source %s did not answer (%s); trying again in %d s",
                                      strip_credentials(one), type(exc).__name__, delays[attempt])
                    sleep(delays[attempt])


@task(**TASK)
def pull(settings: Settings, run: Ingested) -> Ingested:
    """Copy the drop from its source, sha256 every file, archive it read-only. Not retried here: the
    run waited for its sources to answer before it took the warehouse lock (`wait_for_sources`)."""
    return _timed(settings, run, "pull", "pull and archive", pipeline.pull_step, settings, run)


# Cleaned drops loaded in one transaction, at most: a commit waits for the disk, so while the workers
# are ahead the run's process takes the drops already cleaned together (permanence.pipeline.load_rows_step).
LOAD_BATCH = 8


@task(retries=1, retry_delay_seconds=10, **TASK)
def load(settings: Settings, runs: list[Ingested]) -> list[Ingested]:
    """Cleaned drops (one, or several already waiting) into raw with their validation results."""
    with step("load", f"load into raw ({', '.join(r.la_code for r in runs)})") as timing:
        runs = pipeline.load_rows_step(settings, runs)
    pipeline.record_steps(settings, runs, timing)
    return runs


def _nothing_loaded(runs: list[Ingested]) -> str | None:
    """Why the run-wide steps have nothing to do, or None when some drop was loaded."""
    if any(r.status == "loaded" for r in runs):
        return None
    return "nothing loaded (" + ", ".join(sorted({r.status for r in runs})) + ")" if runs else "nothing loaded"


@task(**TASK)
def transform(settings: Settings, runs: list[Ingested], as_at: dt.date | None, full_refresh: bool = False) -> None:
    with step("transform", "dbt build" + (" (full refresh)" if full_refresh else "")) as timing:
        if reason := _nothing_loaded(runs):
            timing.skip(reason)
        else:
            pipeline.transform_step(settings, runs, as_at, full_refresh)
    pipeline.record_steps(settings, [r for r in runs if r.status == "loaded"], timing)


@task(**TASK)
def checks(settings: Settings, runs: list[Ingested]) -> Path | None:
    """Great Expectations suites on the marts; a failure fails the loads and stops the publish."""
    loaded = [r for r in runs if r.status == "loaded"]
    try:
        with step("checks", "mart checks (Great Expectations)") as timing:
            if reason := _nothing_loaded(runs):
                timing.skip(reason)
                return None
            return pipeline.checks_step(settings, runs)
    finally:
        # recorded once the step has closed, so its CPU time and memory are measured
        pipeline.record_steps(settings, loaded, timing)


@task(**TASK)
def stage_copies(settings: Settings, runs: list[Ingested]) -> pipeline.StagedCopies | None:
    """The published copies written aside, in a thread beside the checks: swapped in by `publish`
    only once the checks passed, removed if they failed."""
    loaded = [r for r in runs if r.status == "loaded"]
    try:
        with step("stage_copies", "write the published copies aside", quiet=True) as timing:
            if reason := _nothing_loaded(runs):
                timing.skip(reason)
            return pipeline.stage_copies_step(settings, runs)
    finally:
        pipeline.record_steps(settings, loaded, timing)


def _staged(future) -> pipeline.StagedCopies | None:
    """What `stage_copies` wrote; None when it failed (Prefect logs why), and `publish` writes the
    copies itself, under its own retries."""
    result = future.result(raise_on_failure=False)
    return result if isinstance(result, pipeline.StagedCopies) else None


@task(retries=2, retry_delay_seconds=5, **TASK)
def publish(settings: Settings, runs: list[Ingested], staged: pipeline.StagedCopies | None = None) -> Path | None:
    loaded = [r for r in runs if r.status == "loaded"]
    with step("publish", "publish") as timing:
        if reason := _nothing_loaded(runs):
            timing.skip(reason)
        published = pipeline.publish_step(settings, runs, staged)
    pipeline.record_steps(settings, loaded, timing)
    return published


@task(**TASK)
def tracker(settings: Settings, published: Path | None, runs: list[Ingested] | None = None) -> Path | None:
    """The SPG tracker workbook (pseudonyms only) in the restricted location, after each publish: it
    lists children, so it is never in the BI share. Expired --reveal-ids workbooks go first.
    Its step is recorded against the loads of `runs` (the run's)."""
    from permanence.publish.tiers import expire_reveals
    from permanence.tracker.workbook import write_la_trackers

    try:
        with step("tracker", "SPG tracker workbook per LA") as timing:
            expire_reveals(settings)
            if published is None:
                timing.skip("nothing published")
                return None
            restricted = settings.restricted_dir / settings.warehouse_path.name
            return write_la_trackers(restricted, settings.restricted_dir, run_label=str(restricted),
                                     slicers=settings.tracker_slicers,
                                     workers=settings.workers)
    finally:
        pipeline.record_steps(settings, runs or [], timing)


def _logger():
    """The flow run's logger; a plain one when a task's function is called outside a run (tests)."""
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        import logging

        return logging.getLogger("permanence.flows")


@task(**TASK)
def queue_dfe_rules(settings: Settings, runs: list[Ingested]) -> None:
    """Queue the published loads for the DfE's own rule pack, which the dfe-rules flow runs after
    this run (flows/dfe_rules.py): it takes minutes where the load takes seconds."""
    published = [r for r in runs if r.status == "published"]
    with step("dfe_queue", "queue the DfE rule pack", quiet=True) as timing:
        if published:
            timing.detail["queued"] = pipeline.queue_dfe_rules(settings, published)
    pipeline.record_steps(settings, runs, timing)


@task(**TASK)
def retention(settings: Settings, runs: list[Ingested] | None = None) -> int:
    """Delete what is past its retention time (permanence.ops.retention), after the publish. A failure
    here is logged and left for the next night (or `permanence retention`): it never undoes a publish.
    Its step is recorded against the loads of `runs` (the run's)."""
    from permanence.ops import retention as ret

    try:
        with step("retention", "retention") as timing:
            deleted = ret.apply(settings)
    except Exception as exc:  # noqa: BLE001  (anything: the publish stands)
        _logger().warning("retention failed (%s: %s); nothing published is undone; `permanence retention` "
                           "retries it", type(exc).__name__, exc)
        deleted = []
    finally:
        pipeline.record_steps(settings, runs or [], timing)
    return len(deleted)


Sources = str | list[str]  # one drop, or several yearly returns of one LA (or a folder of them)


def _registered(source: Sources) -> Sources:
    """The source(s) without credentials (kept in this process for pull): Prefect stores parameters."""
    return register_source(source) if isinstance(source, str) else [register_source(s) for s in source]


def ingest(
    settings: Settings,
    key: bytes,
    drops: list[tuple[Sources, str]],
    as_at: dt.date | None,
    extract_date: dt.date | None = None,
    coverage_start: dt.date | None = None,
) -> list[Ingested]:
    """Pull each drop; clean them, several at once in worker processes; record and load each in turn."""
    # Pulled as the cleaner asks for them, so the workers start on the first drops while the rest
    # are still being pulled (153 pulls take seconds, and cleaning cannot start until one is done).
    begun: dict[str, Ingested] = {}

    def pulled() -> Iterator[Ingested]:
        for source, la in drops:
            run = pipeline.begin(source, la, as_at, extract_date, coverage_start)
            run.key_fingerprint = fingerprint
            begun[run.load_id] = run
            yield timed_pull(settings, _opaque(run))

    # A time limit: a network mount that hangs mid-copy must not hold the run's warehouse lock for good.
    timed_pull = pull.with_options(timeout_seconds=settings.pull_timeout_seconds)
    fingerprint = key_fingerprint(key)
    with connect(settings) as con:
        check_key(con, fingerprint)
    runs: list[Ingested] = []
    waiting: list[int] = []  # places in `runs` of cleaned drops not yet loaded

    def load_waiting() -> None:
        for place, run in zip(waiting, load(settings, _opaque([runs[i] for i in waiting]))):
            runs[place] = begun[run.load_id] = run
        waiting.clear()

    try:
        with pipeline.steps_held_back(settings), \
                Cleaner(key, settings.bad_row_threshold, worker_count(settings.workers, len(drops))) as cleaner:
            for run in cleaner.clean(pulled()):
                begun[run.load_id] = run  # a worker hands back its own copy
                if run.status != "skipped":
                    # not a Prefect task: writing a few step rows (and a quarantine's report) is
                    # cheaper than a task run, which costs the run's process and Prefect's server
                    # ~0.1 CPU s each, 153 of them at national scale (docs/performance.md)
                    run = pipeline.record_clean(settings, run)
                begun[run.load_id] = run
                runs.append(run)
                if run.status == "cleaned":
                    waiting.append(len(runs) - 1)
                # Loaded as soon as the next drop would keep this process waiting on a worker:
                # several together only while the workers are ahead of the loads.
                if waiting and (len(waiting) >= LOAD_BATCH or not cleaner.ready()):
                    load_waiting()
            if waiting:
                load_waiting()
    except Exception as exc:
        # A run that stops part way (a drop that cannot be pulled or loaded) builds and publishes
        # nothing: its loads without a final status are discarded now and recorded as failed, with
        # the reason, rather than found unfinished ('crashed') by the next run.
        unfinished = [r for r in begun.values() if r.status not in FINAL_STATUSES]
        if unfinished:
            pipeline.fail(settings, unfinished,
                          f"the run stopped before the build ({type(exc).__name__}); nothing of this load was published")
        raise
    return runs


def _settings(warehouse: str | None, data_dir: str | None) -> Settings:
    overrides = {k: v for k, v in {"warehouse": warehouse, "data_dir": data_dir}.items() if v}
    return Settings(**overrides)


def _key(settings: Settings) -> bytes:
    key, where = resolve_key(settings.hmac_key, settings.hmac_key_block, settings.hmac_key_file)
    get_run_logger().info("pseudonymisation key from %s", where)
    return key


def _summaries(runs: list[Ingested]) -> list[RunSummary]:
    return [
        RunSummary(r.load_id, r.la_code, r.status, r.message, str(r.report_dir) if r.report_dir else None,
                   r.rows_in, r.rows_loaded, r.rows_rejected)
        for r in runs
    ]


@flow(name="region-load", log_prints=False, on_failure=[notify.on_failure], on_crashed=[notify.on_crashed])
def region(
    drops: list[tuple[Sources, str]],
    as_at: dt.date | None = None,
    warehouse: str | None = None,
    data_dir: str | None = None,
    extract_date: dt.date | None = None,
    coverage_start: dt.date | None = None,
) -> list[RunSummary]:
    """Load several LAs' drops [(source, la_code), ...] into one warehouse, then build and publish once.

    as_at is each load's reporting date D (default: its extract date E); extract_date and
    coverage_start override what the drops say of E and C. A source may be a list of yearly
    returns of one LA (or a folder of return folders), stitched into one history.

    Checked before anything is written: every LA code, the data directory (not open to other users),
    the key (strong, from a private file); a source's credentials are kept out of everything stored."""
    # Every second of the run is some recorded step's (permanence.progress.timeline): from the
    # process's start (imports, Prefect) to the last step.
    with progress.timeline():
        with step("prepare", "check the key and the sources", quiet=True) as timing:
            drops = [(_registered(source), check_la_code(la)) for source, la in drops]
            settings = _settings(warehouse, data_dir)
            ensure_private_dir(settings.data_dir, settings.bi_group)
            key = _key(settings)
            wait_for_sources(drops)
        progress.keep_pending(timing)
        with private_files():
            return _region(settings, key, drops, as_at, extract_date, coverage_start)


def _region(settings: Settings, key: bytes, drops: list[tuple[Sources, str]], as_at: dt.date | None,
            extract_date: dt.date | None, coverage_start: dt.date | None) -> list[RunSummary]:
    logger = get_run_logger()
    with exclusive(settings):
        with step("recover", "prepare the warehouse, clear up killed runs", quiet=True) as timing:
            for load_id in pipeline.prepare(settings):
                logger.warning("load %s had been killed part way: its rows were discarded", load_id)
        progress.keep_pending(timing)
        with held(settings):
            runs = ingest(settings, key, drops, as_at, extract_date, coverage_start)
        # An erasure or rekey whose own rebuild failed changed raw under unchanged load ids: the
        # per-LA incremental build would not see it, so everything is rebuilt once.
        with connect(settings) as con:
            pending = pending_rebuilds(con)
        # D is each load's own (raw.current_load): building at one date for all would re-date the
        # other LAs of the warehouse.
        transform(settings, _opaque(runs), None, bool(pending))
        # The copies are written aside while the checks run (two cores: DuckDB's work beside Great
        # Expectations' Python), and swapped in only once the checks passed.
        staged = stage_copies.submit(settings, _opaque(runs))
        try:
            checks(settings, _opaque(runs))
        except BaseException:
            pipeline.discard_copies(_staged(staged))
            raise
        published = publish(settings, _opaque(runs), _opaque(_staged(staged)))
        if pending and any(r.status == "published" for r in runs):
            with connect(settings) as con:
                mark_rebuilt(con, "marts rebuilt and published by the nightly load")
        tracker(settings, published, _opaque(runs))
        queue_dfe_rules(settings, _opaque(runs))
        retention(settings, _opaque(runs))
        with step("summary", "the run's log lines and Prefect artifact", quiet=True) as timing:
            for r in runs:
                logger.info("load %s (LA %s): %s. %s", r.load_id, r.la_code, r.status, r.message)
            if published:
                logger.info("published warehouse: %s", published)
            _outcome_artifact(settings, runs, published)
        pipeline.record_steps(settings, runs, timing)
    quarantined = [r for r in runs if r.status == "quarantined"]
    if quarantined:
        raise DropQuarantined("; ".join(r.message for r in quarantined), [r.load_id for r in quarantined])
    return _summaries(runs)


def _outcome_artifact(settings: Settings, runs: list[Ingested], published) -> None:
    """The run's loads as a markdown artifact on the flow run, so the Prefect UI shows the outcome
    and where the evidence is. Statuses, counts and our own messages only: no value from a drop."""
    from prefect.artifacts import create_markdown_artifact

    from permanence.audit.validation_report import _md

    lines = ["| LA | load | status | rows in | loaded | rejected | message |", "|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {_md(r.la_code)} | `{_md(r.load_id)}` | **{_md(r.status)}** | {r.rows_in or 0} | "
                     f"{r.rows_loaded or 0} | {r.rows_rejected or 0} | {_md(r.message or '')} |")
    lines += ["", f"Published BI copy: `{published}`" if published
              else "Nothing new published: the last good copy stays published.", "",
              f"Evidence of a load: `permanence audit --load <load id>`; validation reports and Data Docs "
              f"under `{settings.reports_dir}`."]
    try:
        create_markdown_artifact(key="nightly-loads", markdown="\n".join(lines),
                                 description="Loads of this run: status, rows and where the evidence is")
    except Exception as exc:  # noqa: BLE001 - the UI summary must never fail a run that loaded
        get_run_logger().warning("run summary artifact not written: %s", type(exc).__name__)


@flow(name="nightly-load", log_prints=False, on_failure=[notify.on_failure], on_crashed=[notify.on_crashed])
def nightly(
    source: Sources,
    la_code: str,
    as_at: dt.date | None = None,
    warehouse: str | None = None,
    data_dir: str | None = None,
    extract_date: dt.date | None = None,
    coverage_start: dt.date | None = None,
) -> RunSummary:
    """One LA's nightly run against its extract drop (any fsspec URL), or its yearly returns."""
    return region([(source, la_code)], as_at=as_at, warehouse=warehouse, data_dir=data_dir,
                  extract_date=extract_date, coverage_start=coverage_start)[0]
