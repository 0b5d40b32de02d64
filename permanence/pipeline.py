"""The nightly run's steps as plain functions; flows/nightly.py wires them into Prefect tasks.

pull -> clean (read, validate, pseudonymise) -> load, one drop at a time, then transform ->
checks -> publish once for everything loaded. `clean_drop` is pure (no warehouse, no files
written) so that several drops can be cleaned at once in worker processes (permanence.ingest.workers);
the run's own process records each outcome and loads, one drop at a time, in the order given.
A drop that fails structurally, or has too many bad rows, is quarantined: recorded in the audit
tables and the report, nothing of it loaded, the published warehouse kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from permanence import progress, warehouse

from permanence.audit import validation_report as reports
from permanence.config import Settings
from permanence.contract.frames import ExtractFrame, Issue, StructuralError, issues_frame
from permanence.progress import StepTiming, show, step
from permanence.ingest.pseudonymise import pseudonymise_frame
from permanence.ingest.read import read_drop
from permanence.ops.security import share_with_group, strip_credentials
from permanence.ingest.load import Ingested
from permanence.ingest.pull import ArchivedDrop, ArchivedFile, pull

if TYPE_CHECKING:
    from permanence.publish.copies import Staged


MIN_ROWS_FOR_FILE_SHARE = 50


class DropQuarantined(RuntimeError):
    """Raised after a quarantine is recorded; its message is the one line a user needs, and it names
    the quarantined loads (for `permanence audit --load`). Both are args, so it survives pickling."""

    def __init__(self, message: str, load_ids: list[str] | None = None):
        super().__init__(message, list(load_ids or []))

    def __str__(self) -> str:
        return self.args[0]

    @property
    def load_ids(self) -> list[str]:
        return self.args[1] if len(self.args) > 1 else []


class BuildFailed(RuntimeError):
    pass


class DatesRefused(RuntimeError):
    """The reporting date is after the extract date: no measure can describe a day the extract has
    not seen. A usage error: nothing is loaded."""


class ChecksFailed(BuildFailed):
    """Great Expectations checks on the built marts failed: the loads are failed, nothing published."""


def new_load_id(la_code: str) -> str:
    return f"{dt.datetime.now():%Y%m%dT%H%M%S}-{la_code}-{secrets.token_hex(3)}"


def prepare(settings: Settings) -> list[str]:
    """Once per run, holding the warehouse lock: create what is missing, clear up killed runs (their
    rows in the warehouse, their temporaries on disk). Returns the killed loads' ids."""
    import logging

    from permanence.warehouse.recovery import refresh_stale_exports, remove_stale_temporaries

    log = logging.getLogger("permanence.warehouse.recovery")
    for path in remove_stale_temporaries(settings):
        log.warning("removed %s, left by a run that was killed", path)
    for what in refresh_stale_exports(settings):
        log.warning("%s was older than the published copy (a run killed after its publish): regenerated", what)
    with warehouse.connect(settings) as con:
        warehouse.create_schema(con)
        return warehouse.recover_unfinished(con)


def begin(
    source: str | list[str],
    la_code: str,
    as_at: dt.date | None,
    extract_date: dt.date | None = None,
    coverage_start: dt.date | None = None,
) -> Ingested:
    """A new load of one drop, or of several yearly returns (a list of sources, or one folder of
    return folders) to stitch into one history."""
    from permanence.ops.security import register_source, source_with_credentials
    from permanence.ingest.pull import is_returns_folder, returns_in

    sources = [source] if isinstance(source, str) else list(source)
    if len(sources) == 1 and is_returns_folder(source_with_credentials(sources[0])):
        sources = [register_source(s) for s in returns_in(source_with_credentials(sources[0]))]
    # The run keeps (and so records) its sources without credentials; pull finds them again
    # (permanence.ops.security.source_with_credentials).
    sources = [strip_credentials(s) for s in sources]
    return Ingested(new_load_id(la_code), la_code, " + ".join(sources), dt.datetime.now(), as_at,
                    sources=sources, extract_date=extract_date, coverage_start=coverage_start)


def stitch(returns: list[ArchivedDrop]) -> ArchivedDrop:
    """Several archived yearly returns as one drop: E of the latest, C of the earliest, every file
    named '<return>/<file>' (two returns both hold Episodes.csv), one fingerprint for them all."""
    returns = sorted(returns, key=lambda r: (r.extract_date, r.label))
    files = [ArchivedFile(f"{r.label}/{f.name}", f.sha256, f.bytes) for r in returns for f in r.files]
    latest = returns[-1]
    covered = [r.coverage_start for r in returns]
    return ArchivedDrop(
        source=" + ".join(r.source for r in returns),
        la_code=latest.la_code,
        extract_date=latest.extract_date,
        folder=latest.folder,
        # From the returns' own fingerprints, not the labelled names: a label can change once a
        # return's own dates tell its year, and the same returns must be recognised next night.
        drop_sha256=hashlib.sha256("\n".join(sorted(r.drop_sha256 for r in returns)).encode()).hexdigest(),
        files=files,
        already_archived=all(r.already_archived for r in returns),
        extract_date_from=f"the latest return ({latest.label}): {latest.extract_date_from}",
        coverage_start=None if None in covered else min(covered),
    )


def record_step(settings: Settings, run: Ingested, timing: StepTiming) -> None:
    record_steps(settings, [run], timing)


def record_steps(settings: Settings, runs: list[Ingested], timing: StepTiming) -> None:
    """One step's figures against each load it served (dbt, checks and publish serve every load).

    In a run's timeline (permanence.progress.timeline) also the time since the previous step, as an
    `orchestration` step, and the steps measured before the run had a load (startup, prepare)."""
    if not runs:
        return
    timings = []
    for t in progress.take_pending() + [timing]:
        if t.gap_from is not None and t.gap_from < t.started_at:
            timings.append(StepTiming("orchestration", t.gap_from, t.started_at, status="ok",
                                      cpu_seconds=t.gap_cpu_seconds, peak_rss_mb=t.peak_rss_mb))
        timings.append(t)
    rows = [
        {
            "load_id": run.load_id,
            "step": t.step,
            "started_at": t.started_at,
            "finished_at": t.finished_at or dt.datetime.now(),
            "status": t.status,
            "cpu_seconds": t.cpu_seconds,
            "peak_rss_mb": t.peak_rss_mb,
        }
        for t in timings
        for run in runs
    ]
    if _held_back is not None:
        _held_back.extend(rows)
    else:
        _write_steps(settings, rows)


# Step rows held back while a run ingests its drops (`steps_held_back`), else None: written at once.
_held_back: list[dict] | None = None


def _write_steps(settings: Settings, rows: list[dict]) -> None:
    if rows:
        with warehouse.connect(settings) as con:
            warehouse.record_rows(con, "load_steps", rows)


@contextlib.contextmanager
def steps_held_back(settings: Settings) -> Iterator[None]:
    """While drops are ingested, their step rows are written in one insert per drop, just before the
    drop's rows are loaded (`flush_steps`), not one insert per step: on a warehouse taking a national
    run's raw rows each small commit cost ~30 ms, six to eight a drop, in the process every load
    waits on. A load's steps are still in audit.load_steps before any of its raw rows, so a run
    killed mid-load is found and cleared by the next (warehouse.recover_unfinished)."""
    global _held_back
    _held_back = []
    try:
        yield
    finally:
        rows, _held_back = _held_back, None
        _write_steps(settings, rows)


def flush_steps(settings: Settings) -> None:
    """Write the step rows held back so far (a no-op when none are)."""
    if _held_back:
        rows = list(_held_back)
        _held_back.clear()
        _write_steps(settings, rows)


def pull_step(settings: Settings, run: Ingested) -> Ingested:
    sources = run.sources or [run.source]
    if len(sources) == 1:
        run.drop = pull(sources[0], run.la_code, settings.archive_dir, run.extract_date, run.coverage_start,
                        max_file_bytes=settings.max_file_mb * 2**20)
    else:
        # Each return keeps its own extract date (the later return wins a duplicate); C is the
        # earliest return's, unless --coverage-start says otherwise.
        run.returns = sorted(
            (pull(s, run.la_code, settings.archive_dir, None, None, max_file_bytes=settings.max_file_mb * 2**20)
             for s in sources),
            key=lambda r: (r.extract_date, r.label),
        )
        run.drop = stitch(run.returns)
        run.drop.coverage_start = run.coverage_start or run.drop.coverage_start
    if run.as_at and run.as_at > run.drop.extract_date:
        raise DatesRefused(
            f"reporting date {run.as_at} is after the extract date {run.drop.extract_date} "
            f"({run.drop.extract_date_from}): choose --as-at on or before it, or give the real --extract-date"
        )
    with warehouse.connect(settings) as con:
        earlier = warehouse.published_load(con, run.la_code, run.drop.drop_sha256)
    if earlier:
        run.status = "skipped"
        run.message = f"same drop already published by load {earlier}: nothing to do"
        finish(settings, run)
    return run


def clean_drop(run: Ingested, key: bytes, bad_row_threshold: float) -> Ingested:
    """Read, validate and pseudonymise a pulled drop, and type its valid rows for raw.

    Pure: it reads the archived files and returns the run, writing nothing, so it can run in a
    worker process. Status becomes 'cleaned', or 'quarantined' with its one-line message;
    `record_clean` then writes what happened to the audit tables.
    """
    with step("validate", f"read and validate ({run.la_code})") as timing:
        _validate(run, bad_row_threshold)
    run.timings.append(timing)
    if run.status == "quarantined":
        run.frames = []
        return run
    assert run.drop is not None
    hashes = {f.name: f.sha256 for f in run.drop.files}
    extract_dates = _extract_date_per_file(run)
    with step("pseudonymise", f"pseudonymise and type ({run.la_code})") as timing:
        frames, run.frames = run.frames, []
        known: dict[str, str] = {}  # a child's pseudonym, made once for all the drop's files
        for ef in frames:
            ef = pseudonymise_frame(ef, key, run.la_code, known)
            # Each row keeps its own return's extract date: the stitched history's "later return wins".
            meta = {"load_id": run.load_id, "la_code": run.la_code, "extract_date": extract_dates[ef.file_name],
                    "source_file": ef.file_name, "source_sha256": hashes.get(ef.file_name)}
            run.tables.append(warehouse.raw_rows(ef, run.rejected_rows.get(ef.file_name, set()), meta))
    run.timings.append(timing)
    run.status = "cleaned"
    return run


def _extract_date_per_file(run: Ingested) -> dict[str, dt.date]:
    assert run.drop is not None
    if not run.returns:
        return {f.name: run.drop.extract_date for f in run.drop.files}
    return {f"{r.label}/{f.name}": r.extract_date for r in run.returns for f in r.files}


def _read_return(ret: ArchivedDrop, stitched: bool) -> tuple[list[ExtractFrame], list[Issue]]:
    """A drop's frames; for one return of several, its files named '<return>/<file>' and, when
    neither its manifest nor its folder gave its year, the year (and so E and C) its own dates say."""
    from permanence.contract import collection_year, collection_year_start
    from permanence.ingest.pull import year_end

    frames, issues = read_drop(ret.folder)
    if not stitched:
        return frames, issues
    if ret.collection_year is None:
        latest = _latest_episode_date(frames)
        if latest is not None:
            ret.collection_year = collection_year(latest)
            if ret.extract_date_from == "day of the pull":
                ret.extract_date = min(year_end(ret.collection_year), ret.extract_date)
                ret.extract_date_from = "end of its collection year (from its own dates)"
            ret.coverage_start = ret.coverage_start or collection_year_start(ret.collection_year)
    prefix = f"{ret.label}/"
    for ef in frames:
        ef.file_name = prefix + ef.file_name
    return frames, [_renamed(i, prefix) for i in issues]


def _latest_episode_date(frames: list[ExtractFrame]) -> dt.date | None:
    import pandas as pd

    latest = None
    for ef in frames:
        if ef.table.name != "episodes":
            continue
        for col in ("DECOM", "DEC"):
            if col in ef.frame.columns:
                d = pd.Series(ef.dates(col)).max()
                if pd.notna(d) and (latest is None or d.date() > latest):
                    latest = d.date()
    return latest


def _merged(outcomes: list):
    """The validation outcomes of several returns as one (their file names are already distinct)."""
    from validations.extract import ValidationOutcome

    return ValidationOutcome(
        issues=[i for o in outcomes for i in o.issues],
        rejected_rows={f: rows for o in outcomes for f, rows in o.rejected_rows.items()},
        rows_checked=sum(o.rows_checked for o in outcomes),
    )


def _renamed(issue: Issue, prefix: str) -> Issue:
    return Issue(prefix + issue.file_name, *list(issue.__dict__.values())[1:])


def _validate(run: Ingested, bad_row_threshold: float) -> None:
    from validations.extract import validate_drop  # imported here: pandera is slow to import and not always needed

    assert run.drop is not None
    frames, reader_issues, outcomes = [], [], []
    try:
        for ret in run.returns or [run.drop]:
            got, found = _read_return(ret, stitched=bool(run.returns))
            # Each return is judged against its own extract date (what it could have known).
            # The DfE's year-bound rules (602) judge a yearly return's own year.
            outcomes.append(validate_drop(got, ret.extract_date, ret.collection_year))
            frames += got
            reader_issues += found
    except StructuralError as exc:
        issue = exc.issue
        if run.returns:
            issue = _renamed(issue, f"{ret.label}/")
        return _quarantined(run, [issue], issue.line())
    if run.returns:  # years (and so E and C) some returns only told when read
        run.returns.sort(key=lambda r: (r.extract_date, r.label))
        run.drop = stitch(run.returns)
        run.drop.coverage_start = run.coverage_start or run.drop.coverage_start
    outcome = outcomes[0] if len(outcomes) == 1 else _merged(outcomes)
    run.frames = frames
    run.issues = reader_issues + list(outcome.issues)
    run.rejected_rows = outcome.rejected_rows
    run.rows_in = sum(f.rows for f in frames)
    for f in frames:
        run.rows_per_file[f.file_name] = run.rows_per_file.get(f.file_name, 0) + f.rows
        names = run.tables_per_file.get(f.file_name)
        run.tables_per_file[f.file_name] = f"{names},{f.table.name}" if names else f.table.name
    structural = [i for i in run.issues if i.severity == "structural"]
    if structural:
        return _quarantined(run, run.issues, structural[0].line())
    # Judged per file as well as overall: a tenth of the episodes bad is serious even when the
    # reviews dwarf them; files too small for a share to mean much count only towards the whole.
    shares = {
        f: len(rows) / run.rows_per_file[f]
        for f, rows in run.rejected_rows.items()
        if run.rows_per_file.get(f, 0) >= MIN_ROWS_FOR_FILE_SHARE
    }
    shares["the drop"] = outcome.bad_row_share()
    worst = max(shares, key=shares.get)
    if shares[worst] > bad_row_threshold:
        first = next(i for i in run.issues if i.severity == "error" and worst in (i.file_name, "the drop"))
        _quarantined(
            run,
            run.issues,
            f"{shares[worst]:.1%} of the rows of {worst} rejected, above the "
            f"{bad_row_threshold:.0%} threshold; first: {first.line()}",
        )


def _quarantined(run: Ingested, issues: list[Issue], line: str) -> None:
    run.issues = issues
    run.status = "quarantined"
    run.message = f"drop quarantined: {line}"


def record_clean(settings: Settings, run: Ingested) -> Ingested:
    """Write a cleaned drop's step timings, and for a quarantined drop its issues, final status and
    report; itself the step `record`."""
    with step("record", f"record validation ({run.la_code})", quiet=True) as timing:
        for t in run.timings:
            show(t)
            record_step(settings, run, t)
        run.timings = []
        if run.status == "quarantined":
            record_issues_step(settings, run)
            finish(settings, run)
    record_step(settings, run, timing)
    return run


def load_step(settings: Settings, run: Ingested) -> Ingested:
    """The drop's valid rows into raw, with its validation results into the audit tables."""
    return load_rows_step(settings, [run])[0]


def load_rows_step(settings: Settings, runs: list[Ingested]) -> list[Ingested]:
    """Cleaned drops' valid rows into raw and their findings into audit.validation_results, in one
    transaction: all of them land, or none does. Several drops a commit, because each commit waits
    for the disk (~90 ms a drop on a national run) in the process every load waits on."""
    flush_steps(settings)  # a load's steps are recorded before its rows (see steps_held_back)
    with warehouse.connect(settings) as con, warehouse.transaction(con):
        warehouse.insert_raw(con, [t for run in runs for t in run.tables])
        for run in runs:
            assert run.drop is not None
            run.loaded_per_file = warehouse.register_load(
                con, run.tables, load_id=run.load_id, la_code=run.la_code, extract_date=run.drop.extract_date,
                as_at_date=run.as_at or run.drop.extract_date, coverage_start=run.drop.coverage_start,
            )
            warehouse.record_issues(con, run.load_id, issues_frame(run.issues))
    for run in runs:
        run.rows_loaded = sum(run.loaded_per_file.values())
        run.tables = []  # the rows are in the warehouse now; free the memory before dbt runs
        run.status = "loaded"
    return runs


def record_issues_step(settings: Settings, run: Ingested) -> Ingested:
    """Every finding of the drop (rules fired, rejected rows) into audit.validation_results."""
    with warehouse.connect(settings) as con:
        warehouse.record_issues(con, run.load_id, issues_frame(run.issues))
    return run


def finish(settings: Settings, run: Ingested, status: str | None = None) -> None:
    """Write the load's final audit rows and its report. Called once per final status."""
    finish_all(settings, [run], status)


def finish_all(settings: Settings, runs: list[Ingested], status: str | None = None) -> None:
    """`finish` for several loads at once: one insert per audit table for all of them (on a national
    warehouse each insert is a commit of ~30 ms, and a run finishes 153 loads at its publish)."""
    flush_steps(settings)
    loads, files, returns = [], [], []
    for run in runs:
        final, drop = status or run.status, run.drop
        loads.append({
            "load_id": run.load_id,
            "la_code": run.la_code,
            "source": run.source,
            "extract_date": drop.extract_date if drop else None,
            "as_at_date": run.as_at or (drop.extract_date if drop else None),
            "coverage_start": drop.coverage_start if drop else None,
            "drop_sha256": drop.drop_sha256 if drop else None,
            "status": final,
            "started_at": run.started_at,
            "finished_at": dt.datetime.now(),
            "files": len(drop.files) if drop else 0,
            "rows_in": run.rows_in,
            "rows_loaded": run.rows_loaded,
            "rows_rejected": run.rows_rejected,
            "message": run.message,
            "key_fingerprint": run.key_fingerprint,
            "archive_path": str(drop.folder) if drop else None,
            "code_version": code_version(),
        })
        if drop and final != "skipped":
            files += [
                {
                    "load_id": run.load_id,
                    "file_name": f.name,
                    "table_name": run.tables_per_file.get(f.name),
                    "sha256": f.sha256,
                    "bytes": f.bytes,
                    "rows_in": run.rows_per_file.get(f.name, 0),
                    "rows_loaded": run.loaded_per_file.get(f.name, 0),
                    "rows_rejected": len(run.rejected_rows.get(f.name, ())),
                }
                for f in drop.files
            ]
        if run.returns and final != "skipped":
            returns += [_return_row(run, r) for r in run.returns]
    with warehouse.connect(settings) as con:
        warehouse.record_rows(con, "loads", loads)
        warehouse.record_rows(con, "load_files", files)
        warehouse.record_rows(con, "load_returns", returns)
    for run in runs:
        run.report_dir = reports.write_validation_report(settings.reports_dir, run.load_id, run, status or run.status)


def _return_row(run: Ingested, ret: ArchivedDrop) -> dict:
    names = [f"{ret.label}/{f.name}" for f in ret.files]
    return {
        "load_id": run.load_id,
        "collection_year": ret.collection_year,
        "source": ret.source,
        "extract_date": ret.extract_date,
        "extract_date_from": ret.extract_date_from,
        "coverage_start": ret.coverage_start,
        "drop_sha256": ret.drop_sha256,
        "files": len(ret.files),
        "rows_in": sum(run.rows_per_file.get(n, 0) for n in names),
        "rows_loaded": sum(run.loaded_per_file.get(n, 0) for n in names),
        "rows_rejected": sum(len(run.rejected_rows.get(n, ())) for n in names),
    }


def transform_step(settings: Settings, runs: list[Ingested], as_at: dt.date | None = None,
                   full_refresh: bool = False) -> None:
    """dbt build. Each LA's reporting date D is its own load's (raw.current_load), so one LA's run
    never re-dates the others; `as_at` builds the whole warehouse at one date instead.
    full_refresh: every model rebuilt (an erasure or rekey whose own rebuild failed is pending)."""
    from permanence.transform.dbt import DbtError, run_dbt

    loaded = [r for r in runs if r.status == "loaded"]
    if not loaded:
        return
    vars_ = {"as_at_date": as_at.isoformat()} if as_at else None
    try:
        # dbt unit tests check the SQL's logic on hand-made rows, not the data: CI runs them, and
        # repeating them every night would only add time. Data tests (keys, invariants) do run.
        outcome = run_dbt("build", warehouse=settings.warehouse_path, vars=vars_,
                          artifacts_dir=settings.dbt_target_dir, exclude="test_type:unit",
                          full_refresh=full_refresh, **_dbt_target(settings))
    except DbtError as exc:
        record_dbt_results(settings, loaded, exc.outcome)
        fail(settings, loaded, f"dbt build failed: {exc}")
        raise BuildFailed(f"dbt build failed: {exc}") from None
    record_dbt_results(settings, loaded, outcome)
    drop_orphans(settings, outcome)
    if settings.target == "duckdb":  # the build's writes into the file, before the copies read it
        with warehouse.connect(settings) as con:
            con.execute("CHECKPOINT")


def save_dbt_parse(settings: Settings) -> None:
    """Parse the dbt project into the installation's saved parse (Settings.dbt_parse_cache), which a
    fresh data directory's first build then starts from (permanence.transform.saved_parse)."""
    from permanence.transform.dbt import run_dbt

    if settings.target == "duckdb":  # named in its folder, as a build names it
        settings.warehouse_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    run_dbt("parse", warehouse=settings.warehouse_path, artifacts_dir=settings.dbt_target_dir, **_dbt_target(settings))


def drop_orphans(settings: Settings, outcome) -> None:
    """After a good build: relations of models the project no longer has are dropped
    (warehouse.drop_orphan_relations), and named in the log."""
    path = outcome.target_path / "manifest.json" if outcome and outcome.target_path else None
    if path is None or not path.is_file():
        return
    import json
    import logging

    with warehouse.connect(settings) as con:
        dropped = warehouse.drop_orphan_relations(con, json.loads(path.read_text(encoding="utf-8")))
    if dropped:
        logging.getLogger("permanence.transform").warning("dropped %d relation(s) the dbt project no longer builds: %s", len(dropped), ", ".join(dropped))


def record_dbt_results(settings: Settings, runs: list[Ingested], outcome) -> None:
    """The build's data tests into audit.dbt_results, once per load it carried (the auditor's
    `audit --load` shows them). Statuses and counts only: dbt's messages may quote values."""
    path = outcome.target_path / "run_results.json" if outcome and outcome.target_path else None
    if path is None or not path.is_file():
        return
    import json

    import pandas as pd

    results = [r for r in json.loads(path.read_text(encoding="utf-8")).get("results", [])
               if str(r.get("unique_id", "")).startswith("test.")]
    if not results:
        return
    built_at = dt.datetime.now()
    rows = pd.DataFrame({
        "unique_id": [r["unique_id"] for r in results],
        "status": [str(r.get("status")) for r in results],
        "failures": pd.array([r.get("failures") for r in results], dtype="Int64"),
        "execution_seconds": [float(r.get("execution_time") or 0.0) for r in results],
    })
    with warehouse.connect(settings) as con:
        for run in runs:
            con.insert_frame("audit.dbt_results", rows.assign(load_id=run.load_id, built_at=built_at),
                             ["load_id", "built_at", "unique_id", "status", "failures", "execution_seconds"])


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """What code made a load: the package version and the fingerprint of the dbt project's models,
    macros and seeds (permanence.transform.dbt.build_key), so an auditor can tell two builds apart."""
    from importlib.metadata import PackageNotFoundError, version

    from permanence.transform.dbt import build_key

    try:
        package = version("permanence")
    except PackageNotFoundError:
        package = "unknown"
    return f"permanence {package}, dbt project {build_key()}"


def _dbt_target(settings: Settings) -> dict:
    if settings.target == "postgres":
        return {"target": "postgres", "extra_env": settings.pg_env(), "parse_cache": settings.dbt_parse_cache}
    return {"extra_env": {"PERMANENCE_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit},
            "parse_cache": settings.dbt_parse_cache}


def fail(settings: Settings, runs: list[Ingested], message: str) -> None:
    with warehouse.held(settings) as con:
        for r in runs:
            warehouse.discard_load(con, r.load_id)
        for r in runs:
            r.status = "failed"
            r.message = message
        finish_all(settings, runs)


def checks_step(settings: Settings, runs: list[Ingested]) -> Path | None:
    """Great Expectations' cross-mart reconciliations after dbt: results in audit.expectation_results,
    Data Docs (offline, no values; the build's dbt data tests counted beside) in reports/data-docs/<load id>/. A failed expectation fails the loads: nothing
    is published and the last good published copy stays."""
    from validations.marts.expectations import record_results, run_mart_checks

    loaded = [r for r in runs if r.status == "loaded"]
    if not loaded:
        return None
    docs = settings.reports_dir / "data-docs" / loaded[0].load_id
    # One build checks the marts of every LA it loaded: the title names them all, so the page an
    # auditor opens from any of those loads says which loads it covers.
    title = "Mart checks of the build with loads " + ", ".join(f"{r.la_code} ({r.load_id})" for r in loaded)
    outcome = run_mart_checks(settings, docs, run_name=loaded[0].load_id, title=title,
                              dbt_target=settings.dbt_target_dir / "target")
    with warehouse.connect(settings) as con:
        record_results(con, [r.load_id for r in loaded], outcome)
    if not outcome.success:
        message = f"mart checks failed: {outcome.summary()} (Data Docs: {outcome.docs_index})"
        fail(settings, loaded, message)
        raise ChecksFailed(message)
    return outcome.docs_index


def queue_dfe_rules(settings: Settings, runs: list[Ingested]) -> int:
    """Queue each published load for the DfE's rule pack (audit.dfe_queue), which the dfe-rules flow
    runs after the nightly run, outside its lock. Returns how many were queued."""
    from validations.dfe.readiness import Queued

    published = [r for r in runs if r.status == "published"]
    if not published:
        return 0
    # the Data Docs of the build are named after its first load (checks_step)
    docs = settings.reports_dir / "data-docs" / published[0].load_id
    now = dt.datetime.now()
    with warehouse.connect(settings) as con:
        warehouse.record_rows(con, "dfe_queue", [Queued.of(r, docs).row(now) for r in published])
    return len(published)


def dfe_queued(settings: Settings, la_code: str | None = None, load_ids: list[str] | None = None) -> list:
    """The loads the dfe-rules flow is to check (validations.dfe.readiness.queued)."""
    from permanence.audit.schema import create_audit_schema
    from validations.dfe.readiness import queued

    with warehouse.exclusive(settings), warehouse.connect(settings) as con:
        create_audit_schema(con)  # a warehouse from before the queue
        return queued(con, la_code, load_ids)


def dfe_readiness_step(settings: Settings, loads: list) -> list:
    """The DfE's rule pack on each queued load's archived drop (validations/dfe/readiness.py):
    findings in audit.validation_results (source 'dfe'), the load's validation report and the Data
    Docs of its build. The validator runs without the warehouse lock; the lock is taken only to write.
    Raises DfeUnavailable when the validator's env is missing or the validator fails."""
    from validations.dfe.validator import DfeUnavailable, available, python
    from validations.dfe.readiness import add_to_data_docs, append_to_report, check_load

    if not available():
        raise DfeUnavailable(f"the DfE validator is not installed ({python()}; make .venv-dfe)")
    # Each drop's pack runs in a validator process of its own and takes seconds per thousand rows:
    # one per core at once (threads only wait on those processes); written back in the queue's order.
    at_once = max(1, min(settings.workers or len(os.sched_getaffinity(0)), len(loads)))
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        results = list(pool.map(check_load, loads))
    with warehouse.exclusive(settings), warehouse.connect(settings) as con:
        for result in results:
            con.insert_frame("audit.validation_results", result.findings)
    for load, result in zip(loads, results):
        append_to_report(load.report_dir, result)
        if load.docs_dir:
            add_to_data_docs(load.docs_dir, result, load.la_code)
    return results


@dataclass
class StagedCopies:
    """The published copies written aside (permanence.publish.copies.Staged) and the day's Parquet
    folder, complete but not yet what readers see: `copies_in_place` swaps them in."""

    restricted: Staged
    bi: Staged
    parquet: Path
    day: dt.date

    def complete(self) -> bool:
        """Every part still there (a publish that swapped in part of them, then failed, has not)."""
        return self.restricted.tmp.is_file() and self.bi.tmp.is_file() and self.parquet.is_dir()


def stage_copies(settings: Settings, con=None) -> StagedCopies:
    """The two tiers (permanence.publish.tiers) written aside from the DuckDB warehouse: the restricted
    copy (every mart, for `restricted/`, never shared) and the BI copy (aggregate marts, small numbers
    suppressed, and reference data, for `published/`) with its Parquet. Nothing a reader sees changes."""
    from permanence.publish.copies import stage_parquet, stage_warehouse
    from permanence.ops.security import ensure_restricted_dir

    restricted = stage_warehouse(settings.warehouse_path, ensure_restricted_dir(settings.restricted_dir), con=con,
                                 tier="restricted")
    staged = [restricted]
    try:
        bi = stage_warehouse(settings.warehouse_path, settings.published_dir, con=con, tier="bi",
                             threshold=settings.small_number_threshold)
        staged.append(bi)
        day = dt.date.today()
        parquet = stage_parquet(bi.tmp, settings.published_dir / "parquet", day)
    except BaseException:
        from permanence.publish.copies import discard

        for one in staged:
            discard(one)
        raise
    return StagedCopies(restricted, bi, parquet, day)


def discard_copies(staged: StagedCopies | None) -> None:
    """Staged copies that will not be published (the checks failed)."""
    import shutil

    from permanence.publish.copies import discard

    if staged is not None:
        discard(staged.restricted)
        discard(staged.bi)
        shutil.rmtree(staged.parquet, ignore_errors=True)


def copies_in_place(settings: Settings, staged: StagedCopies):
    """The staged copies become the published ones, each in one rename; the BI share's permissions set.
    Returns (bi, restricted) as permanence.publish.copies.Publication."""
    from permanence.publish.copies import parquet_in_place, purge_untiered, put_in_place

    restricted = put_in_place(staged.restricted)
    pub = put_in_place(staged.bi)
    pub.parquet_dir = parquet_in_place(staged.parquet, settings.published_dir / "parquet", staged.day)
    purge_untiered(settings.published_dir / "parquet")
    # workbooks an earlier version wrote into the BI share: child-level, so they go (now in restricted/)
    for old in settings.published_dir.glob("spg-tracker*.xlsx"):
        old.unlink(missing_ok=True)
    # What BI reads, by name: the BI copy and its Parquet, nothing else in published/
    share_with_group(settings.published_dir, settings.bi_group, recursive=False)
    share_with_group(pub.path, settings.bi_group)
    share_with_group(pub.parquet_dir.parent, settings.bi_group)
    return pub, restricted


def publish_copies(settings: Settings, con=None):
    """`stage_copies` then `copies_in_place`: the two tiers written and swapped in. Returns (bi, restricted)."""
    return copies_in_place(settings, stage_copies(settings, con))


def stage_copies_step(settings: Settings, runs: list[Ingested]) -> StagedCopies | None:
    """The published copies written aside while the checks run (flows/nightly.py): the checks read
    the marts and Great Expectations works in Python, the copies are DuckDB's work, so on two cores
    the two overlap. Nothing is published unless the checks pass (publish_step). DuckDB only: on
    PostgreSQL readers query the database itself."""
    if settings.target != "duckdb" or not any(r.status == "loaded" for r in runs):
        return None
    with warehouse.connect(settings) as con:
        return stage_copies(settings, con=con)


def publish_step(settings: Settings, runs: list[Ingested], staged: StagedCopies | None = None) -> Path | None:
    """The two copies (restricted and BI, atomic replace), Parquet per run date, then the loads' final
    status. Written before the loads are marked published, so a failed copy can be retried.
    `staged`: the copies `stage_copies_step` wrote aside while the checks ran (else written here).
    On PostgreSQL: the bi schema and the roles' grants and row security (permanence.publish.tiers)."""
    from permanence.publish.copies import record_publication

    loaded = [r for r in runs if r.status == "loaded"]
    if not loaded:
        discard_copies(staged)
        return None
    pub = None
    if settings.target == "duckdb":  # PostgreSQL: readers query the database itself
        with warehouse.connect(settings) as con:
            if staged is None or not staged.complete():
                discard_copies(staged)
                staged = stage_copies(settings, con=con)
            pub, restricted = copies_in_place(settings, staged)
            record_publication(con, [r.load_id for r in loaded], restricted)
            record_publication(con, [r.load_id for r in loaded], pub)
    else:
        from permanence.publish.tiers import secure_postgres

        secure_postgres(settings)
    for r in loaded:
        r.status = "published"
        r.message = r.message or "loaded, built, checked and published"
    finish_all(settings, loaded)
    return pub.path if pub else None
