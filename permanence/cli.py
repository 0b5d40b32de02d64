"""`permanence` command line. Heavy imports (Prefect, dbt, pandera) happen inside each command so
that `--help` stays instant."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Optional

import pydantic
import typer

app = typer.Typer(
    help="Nightly pipeline for children-in-care extracts: validate, pseudonymise, load, build permanence marts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# The project's sample of published DfE/ONS files, beside the checkout (never copied into it).
SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
# `permanence demo` keeps its synthetic region apart from the data/ a real LA's runs use.
DEMO_DATA_DIR = Path("data/demo")

DateOpt = Annotated[Optional[dt.datetime], typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD")]


def _quiet_third_parties() -> None:
    for var, value in {
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "GX_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # The rich progress lines say what each step did; Prefect's own INFO lines would bury them
        # (and its temporary-server shutdown line would follow the one error line). Override to see them.
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # Without `permanence serve`, each run starts Prefect's temporary API server; its default
        # 20 s start limit is missed on a loaded 2-core machine (two runs at once, CI).
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }.items():
        os.environ.setdefault(var, value)
    import logging

    logging.getLogger("great_expectations").setLevel(logging.WARNING)


# Exit codes (docs/operations.md): what the caller (cron, Prefect, a script) should do next differs.
EXIT_FAILED = 1  # the run failed (build, checks, unreadable source): look at the log, try again
EXIT_QUARANTINED = 2  # the drop was refused for what it holds: the LA must send a better one
EXIT_BUSY = 3  # another run holds the warehouse: try again when it ends
EXIT_USAGE = 4  # the command or the setup is wrong (an option, the key, the data directory's mode)


def _fail(message: str, code: int = EXIT_FAILED, hint: str | None = None) -> None:
    from permanence.progress import console

    console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    if hint:
        console.print(f"hint: {hint}", soft_wrap=True)
    raise typer.Exit(code)


def _run_flow(fn, **kwargs):
    """Run a flow and turn every known failure into an `error:` line, a `hint:` line and a non-zero
    exit. Prefect's own log lines (and any traceback) go to the run's log file, named in the hint."""
    from permanence.ops import runlog
    from permanence.config import Settings
    from permanence.contract.frames import StructuralError
    from permanence.pipeline import BuildFailed, DatesRefused, DropQuarantined
    from permanence.ingest.pseudonymise import MissingKeyError
    from permanence.ops.security import UnsafeSetup
    from permanence.warehouse import WarehouseBusy

    data_dir = Path(kwargs.get("data_dir") or Settings().data_dir)
    if "PREFECT_API_URL" not in os.environ:
        from permanence.ops.serve import running_server_env, temporary_server_defaults

        os.environ.update(running_server_env(data_dir))
        temporary_server_defaults()
    with runlog.to_file(data_dir) as log:
        try:
            return fn(**kwargs)
        except DropQuarantined as exc:
            message, code = str(exc), EXIT_QUARANTINED
            hint = ("the drop's validation report (under the data directory's reports/) lists every finding"
                    + "".join(f"; permanence audit --load {lid}{_data_dir_flag(data_dir)}" for lid in exc.load_ids))
        except WarehouseBusy as exc:
            message, code, hint = str(exc), EXIT_BUSY, None
        except (MissingKeyError, DatesRefused, UnsafeSetup) as exc:
            message, code, hint = str(exc), EXIT_USAGE, None
        except (StructuralError, BuildFailed, FileNotFoundError) as exc:
            message, code, hint = str(exc), EXIT_FAILED, None
        except RuntimeError as exc:  # last: the classes above are RuntimeErrors too
            if "ephemeral" not in str(exc).lower() or "prefect" not in str(exc).lower():
                raise
            import traceback

            with open(log, "a", encoding="utf-8") as fh:  # the server's own output is in the message
                traceback.print_exc(file=fh)
            message, code = "Prefect's temporary API server did not start in time (a loaded machine?)", EXIT_FAILED
            hint = ("nothing was loaded; try again, start `permanence serve` once so that runs use its server, "
                    "or raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS (now "
                    f"{os.environ.get('PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS')} s)")
    _fail(message, code, f"{hint + '; ' if hint else ''}full log: {log}")


def _data_dir_flag(data_dir: Path) -> str:
    """` --data-dir DIR` when the other commands would not look there by default."""
    from permanence.config import Settings

    return "" if Path(data_dir).resolve() == Path(Settings().data_dir).resolve() else f" --data-dir {data_dir}"


def _print_outputs(settings, summaries) -> None:
    from rich.table import Table

    from permanence.progress import console

    t = Table(title="Loads", title_justify="left")
    for col in ("LA", "load id", "status", "rows in", "loaded", "rejected"):
        t.add_column(col, no_wrap=True)
    for s in summaries:
        t.add_row(s.la_code, s.load_id, s.status, str(s.rows_in), str(s.rows_loaded), str(s.rows_rejected))
    console.print(t)
    lines = [("warehouse (writer)", settings.warehouse_label)]
    if settings.target == "duckdb":
        pub, restricted = settings.published_dir, settings.restricted_dir
        lines += [
            ("BI copy (aggregate)", pub / settings.warehouse_path.name),
            ("parquet (latest)", pub / "parquet" / "latest"),
            ("restricted copy", restricted / settings.warehouse_path.name),
            ("SPG trackers", restricted / "spg-tracker-<LA>.xlsx"),
        ]
    lines.append(("archive", settings.archive_dir))
    loaded = [s for s in summaries if s.status == "published"]
    if loaded:
        lines.append(("data docs", settings.reports_dir / "data-docs" / loaded[0].load_id / "index.html"))
    lines += [("validation report", f"{s.report}/validation.md  (LA {s.la_code})") for s in summaries if s.report]
    flag = _data_dir_flag(settings.data_dir)
    lines += [("inspect the load", f"permanence audit --load {s.load_id}{flag}  (LA {s.la_code})") for s in summaries]
    lines += [("quarterly report", f"permanence report --quarter YYYY-QN --la {summaries[0].la_code}{flag}")] if summaries else []
    for label, value in lines:
        console.print(f"{label + ':':21}{value}", soft_wrap=True)


@app.command()
def run(
    source: Annotated[list[str], typer.Option(
        help="Drop folder: a path or any fsspec URL (sftp://, s3://, smb://). Repeat it, or give a folder "
             "of yearly return folders, to stitch several yearly 903 returns of the LA into one history")],
    la: Annotated[str, typer.Option(help="LA code (DfE 3-digit), e.g. 894")],
    as_at: Annotated[Optional[dt.datetime], typer.Option(
        formats=["%Y-%m-%d"], help="Reporting date D (YYYY-MM-DD): the day the measures describe; "
                                   "default the extract date")] = None,
    extract_date: Annotated[Optional[dt.datetime], typer.Option(
        formats=["%Y-%m-%d"], help="Extract date E (YYYY-MM-DD): when the CMS extract was taken; default "
                                   "the manifest's, a date ending the folder name, else today")] = None,
    coverage_start: Annotated[Optional[dt.datetime], typer.Option(
        formats=["%Y-%m-%d"], help="Coverage start C (YYYY-MM-DD): care histories before it are not in the "
                                   "extract; default the manifest's, 1 April of a yearly return's year")] = None,
    warehouse: Annotated[Optional[Path], typer.Option(help="DuckDB file to build")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Archive, reports and published copy")] = None,
) -> None:
    """One nightly run against one LA's extract drop (or its yearly returns, stitched)."""
    _quiet_third_parties()
    if extract_date and len(source) > 1:
        _fail(code=EXIT_USAGE, message="--extract-date names one drop's date; stitched returns each keep their own "
              "(their manifest or folder name)")
    from flows.nightly import region
    from permanence.config import Settings
    from permanence.ops.security import UnsafeSetup, check_la_code, register_source

    try:
        check_la_code(la)  # before Prefect or the pipeline writes anything
    except UnsafeSetup as exc:
        _fail(str(exc), EXIT_USAGE)
    settings = Settings(**{k: v for k, v in {"warehouse": warehouse, "data_dir": data_dir}.items() if v})
    summaries = _run_flow(
        region,
        drops=[([register_source(s) for s in source] if len(source) > 1 else register_source(source[0]), la)],
        as_at=as_at.date() if as_at else None,
        extract_date=extract_date.date() if extract_date else None,
        coverage_start=coverage_start.date() if coverage_start else None,
        warehouse=str(settings.warehouse_path),
        data_dir=str(settings.data_dir),
    )
    _print_outputs(settings, summaries)


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Folder to write the drops into")],
    las: Annotated[int, typer.Option(help="LAs in the region (home LA first)")] = 4,
    children: Annotated[int, typer.Option(help="Children looked after per LA, roughly")] = 400,
    years: Annotated[int, typer.Option(help="Collection years of history")] = 5,
    seed: int = 42,
    extract_date: DateOpt = None,
    xml: Annotated[bool, typer.Option(help="Write the 903 tables as the XML export")] = False,
    defects: Annotated[Optional[list[str]], typer.Option(help="Also write a broken copy of the first drop per defect")] = None,
) -> None:
    """Write a synthetic region's case-system extracts (one drop folder per LA)."""
    from permanence.progress import console, step
    from permanence.synth import DEFECTS, generate_region, write_defective_drop

    for d in defects or []:
        if d not in DEFECTS:
            _fail(f"unknown defect '{d}'; choose from: {', '.join(DEFECTS)}", EXIT_USAGE)
    with step("synth", "generate synthetic region"):
        drops = generate_region(out, las=las, children=children, years=years, seed=seed,
                                extract_date=extract_date.date() if extract_date else None,
                                fmt="xml" if xml else "csv")
    for d in drops:
        console.print(f"{d.la_code} {d.la_name}: {d.children} children -> {d.path}")
    for name in defects or []:
        target = write_defective_drop(drops[0].path, out / "defects" / f"{drops[0].path.name}-{name}", name)
        console.print(f"defect {name}: {target}")


@app.command()
def demo(
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps everything")] = DEMO_DATA_DIR,
    las: int = 4,
    children: int = 300,
    years: int = 5,
    seed: int = 42,
    reference: Annotated[Optional[Path], typer.Option(
        help="Published DfE/ONS files to benchmark against; default ../shared/reference when present")] = None,
) -> None:
    """Generate a synthetic region and run the nightly load for every LA in it."""
    _quiet_third_parties()
    from permanence.config import Settings
    from permanence.progress import console, step
    from permanence.ingest.pseudonymise import resolve_key
    from permanence.ops.security import ensure_private_dir
    from permanence.synth import generate_region

    ensure_private_dir(data_dir, fix=True)  # the demo's own folder: tightened, not refused
    key_file = data_dir / "keys" / "hmac.key"
    if not os.environ.get("PERMANENCE_HMAC_KEY"):
        _, where = resolve_key(None, None, key_file, create=True)
        os.environ["PERMANENCE_HMAC_KEY_FILE"] = str(key_file)
        console.print(f"pseudonymisation key: {where} (demo only: a real LA sets PERMANENCE_HMAC_KEY)")
    settings = Settings(data_dir=data_dir)
    with step("synth", "generate synthetic region"):
        drops = generate_region(data_dir / "incoming", las=las, children=children, years=years, seed=seed)
    from flows.nightly import region

    summaries = _run_flow(
        region,
        drops=[(str(d.path), d.la_code) for d in drops],
        warehouse=str(settings.warehouse_path),
        data_dir=str(settings.data_dir),
    )
    reference = reference or SHARED_REFERENCE
    if reference.is_dir():
        from flows.reference import reference_refresh

        console.print(f"benchmarks: loading published reference files from {reference}", soft_wrap=True)
        _run_flow(reference_refresh, sources=[str(reference)], warehouse=str(settings.warehouse_path),
                  data_dir=str(settings.data_dir))
    else:
        console.print(f"benchmarks: no published reference files at {reference}, so the benchmark mart "
                      "holds the region's own figures only (pass --reference DIR)", soft_wrap=True)
    # what the `dfe-rules` deployment does after a nightly run: the DfE's pack on the queued loads
    from flows.dfe_rules import dfe_rules as dfe_flow

    _run_flow(dfe_flow, warehouse=str(settings.warehouse_path), data_dir=str(settings.data_dir))
    _print_outputs(settings, summaries)


reference_app = typer.Typer(help="Published reference data (DfE, ONS) for benchmarking.", no_args_is_help=True)
app.add_typer(reference_app, name="reference")


@reference_app.command("load")
def reference_load(
    sources: Annotated[list[str], typer.Argument(metavar="PATH_OR_URL...", help="Published files or folders: paths or fsspec URLs")],
    warehouse: Annotated[Optional[Path], typer.Option(help="DuckDB file to load into")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Archive, reports and published copy")] = None,
    build: Annotated[bool, typer.Option(help="Rebuild the benchmark and targets marts after loading")] = True,
) -> None:
    """Load published files, recognised by their columns, then rebuild benchmark and targets."""
    _quiet_third_parties()
    from permanence.config import Settings
    from permanence.progress import console
    from permanence.transform.dbt import DbtError

    settings = Settings(**{k: v for k, v in {"warehouse": warehouse, "data_dir": data_dir}.items() if v})
    try:
        if build:
            from flows.reference import reference_refresh

            files = _run_flow(reference_refresh, sources=sources, warehouse=str(settings.warehouse_path),
                              data_dir=str(settings.data_dir))
        else:
            from flows.reference import load_reference
            from permanence.warehouse import exclusive

            with exclusive(settings):
                files = load_reference.fn(sources, str(settings.warehouse_path))
    except DbtError as exc:
        _fail(str(exc))
    for f in files:
        what = f"{f['family']} -> reference.{f['table']}: {f['rows']} rows" if f["family"] else "[yellow]not recognised[/]"
        console.print(f"{f['file']}: {what}", soft_wrap=True)
    console.print(f"warehouse: {settings.warehouse_path}", soft_wrap=True)


def _settings(warehouse: Optional[Path], data_dir: Optional[Path]):
    from permanence.config import Settings

    return Settings(**{k: v for k, v in {"warehouse": warehouse, "data_dir": data_dir}.items() if v})


def _need(path: Path, what: str, settings) -> None:
    """A command reading what a run wrote stops with the directory it looked in and how to point it
    elsewhere (`make demo` writes to data/demo, every other command defaults to data/)."""
    if path.exists():
        return
    hint = ("run the nightly load first (permanence run), or name the data directory that holds it: "
            "--data-dir DIR or PERMANENCE_DATA_DIR")
    demo = DEMO_DATA_DIR / path.relative_to(settings.data_dir) if path.is_relative_to(settings.data_dir) else None
    if demo is not None and settings.data_dir.resolve() != DEMO_DATA_DIR.resolve() and demo.exists():
        hint = f"the demo's is in {DEMO_DATA_DIR}: add --data-dir {DEMO_DATA_DIR}"
    _fail(f"no {what} in data directory {settings.data_dir} (looked for {path})", hint=hint)


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


tracker_app = typer.Typer(help="Write the SPG tracker workbooks, one per LA; `tracker import FILE` keeps the SPG's edits.",
                          no_args_is_help=False, add_completion=False)
app.add_typer(tracker_app, name="tracker")


@tracker_app.callback(invoke_without_command=True)
def tracker(
    ctx: typer.Context,
    out: Annotated[Optional[Path], typer.Option(help="Workbook to write, under data_dir/restricted/ (needs --la when the "
                                                    "warehouse holds several LAs); default restricted/spg-tracker-<LA>-<date>.xlsx "
                                                    "(restricted/reveal/... with --reveal-ids)")] = None,
    la: Annotated[Optional[str], typer.Option(help="Only this LA (default: one workbook for each LA in the warehouse)")] = None,
    reveal_ids: Annotated[bool, typer.Option("--reveal-ids", help="Add the CMS child id (needs --key and --ids-from): personal data")] = False,
    key: Annotated[Optional[str], typer.Option(help="Pseudonymisation key (default: PERMANENCE_HMAC_KEY / key file)")] = None,
    ids_from: Annotated[Optional[Path], typer.Option(help="The drop folder whose CHILD ids are re-hashed to map pseudonyms back")] = None,
    warehouse: Annotated[Optional[Path], typer.Option(help="DuckDB file to read; default the restricted copy")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data directory")] = None,
) -> None:
    """Write the SPG tracker workbook, one per LA (one sheet per cohort and a summary against targets).

    It lists children, so it is written only into the restricted location (data_dir/restricted/, the
    service account's alone); a --reveal-ids workbook goes to restricted/reveal/, mode 0600, is removed
    after PERMANENCE_REVEAL_RETENTION_DAYS days, and each use is recorded in audit.reveal_ids.
    The SPG's latest actions (`permanence tracker import`) fill the editable columns."""
    if ctx.invoked_subcommand:
        return
    from permanence.progress import console
    from permanence.ops.security import ensure_restricted_dir, private_files
    from permanence.publish.tiers import expire_reveals, record_reveal, reveal_dir
    from permanence.tracker.actions import store_path
    from permanence.tracker.workbook import las_in, reveal_map, write_tracker

    settings = _settings(None, data_dir)
    for old in expire_reveals(settings):
        console.print(f"removed expired reveal workbook {old.name}", soft_wrap=True)
    restricted = settings.restricted_dir
    folder = reveal_dir(settings) if reveal_ids else restricted
    if out is not None and not _inside(out, folder):
        what = "a --reveal-ids workbook (CMS ids)" if reveal_ids else "the tracker (child-level)"
        _fail(f"{out}: {what} is written only into the restricted location {folder}", EXIT_USAGE,
              hint=f"leave out --out, or name a file under {folder}/")
    db = warehouse or restricted / settings.warehouse_path.name
    _need(db, "restricted copy (written by the nightly load)", settings)
    reveal = None
    if reveal_ids:
        if not (ids_from and la):
            _fail("--reveal-ids needs --ids-from DROP_FOLDER and --la (the drop's LA)", EXIT_USAGE)
        from permanence.ingest.pseudonymise import resolve_key

        k, _where = resolve_key(key or settings.hmac_key, settings.hmac_key_block, settings.hmac_key_file)
        reveal = reveal_map(k, ids_from, la)
        console.print("[bold yellow]warning:[/] the workbook will hold CMS child identifiers: personal data. "
                      "Keep it on the secure network and share it only with the SPG.", soft_wrap=True)
    import duckdb

    def no_children_mart():
        _fail(f"{db}: no marts.spg_cohort_children in it (the BI copy holds aggregate marts only)", EXIT_USAGE,
              hint="leave out --warehouse to read the restricted copy")

    # one LA per workbook: an SPG chair prints their own LA's children, never a region's mixed together
    try:
        las = [la] if la else las_in(db)
    except duckdb.CatalogException:
        no_children_mart()
    if out is not None and len(las) > 1:
        _fail(f"--out names one workbook, but the warehouse holds {len(las)} LAs ({', '.join(las)})", EXIT_USAGE,
              hint="add --la CODE, or leave out --out for one workbook per LA")
    stamp = dt.datetime.now()
    ensure_restricted_dir(restricted)
    ensure_restricted_dir(folder)
    for one in las or [None]:  # no LA at all: one (empty) workbook, as the warehouse is
        default = (f"spg-tracker-reveal-{one}-{stamp:%Y-%m-%d-%H%M%S}.xlsx" if reveal_ids
                   else f"spg-tracker-{one}-{stamp:%Y-%m-%d}.xlsx" if one else f"spg-tracker-{stamp:%Y-%m-%d}.xlsx")
        counts: dict = {}
        try:
            with private_files():  # the restricted location is the service account's alone
                path = write_tracker(db, out or folder / default, la_code=one, reveal=reveal, run_label=str(db),
                                     counts=counts, actions=store_path(settings), slicers=settings.tracker_slicers)
        except duckdb.CatalogException:
            no_children_mart()
        path.chmod(0o600)
        if reveal_ids:
            try:
                row = record_reveal(settings, la, counts.get("revealed", 0), path)
            except Exception as exc:  # noqa: BLE001 - any failure: the reveal is undone, not left unrecorded
                path.unlink(missing_ok=True)
                _fail(f"could not record the reveal in audit.reveal_ids ({type(exc).__name__}); the workbook was removed",
                      hint="a nightly run may be writing the warehouse: try again when it ends")
            console.print(f"recorded in audit.reveal_ids; removed after {row['expires_on']:%d/%m/%Y}", soft_wrap=True)
        console.print(f"SPG tracker: {path}", soft_wrap=True)


@tracker_app.command("import")
def tracker_import(
    file: Annotated[Path, typer.Argument(help="The edited spg-tracker-<LA>.xlsx workbook")],
    by: Annotated[Optional[str], typer.Option(help="Who made the edits (default: the OS user)")] = None,
    la: Annotated[Optional[str], typer.Option(help="Refuse the workbook unless it is this LA's")] = None,
    force: Annotated[bool, typer.Option("--force", help="Import a workbook older than the LA's last imported one "
                                                        "(only the edits made in it are recorded)")] = False,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data directory")] = None,
) -> None:
    """Keep the SPG's edits (barrier, next action, owner, due date, status, notes) of a tracker workbook.

    Entries are appended to restricted/spg-actions.duckdb (never replaced, never in the BI copy), only
    where a row was edited; the next tracker carries the latest forward. A workbook with a problem
    (a changed or deleted id, a formula, a date typed as text, a renamed sheet, another or unknown LA,
    an older workbook than the last imported) is refused whole, each problem named by sheet, row and column."""
    from permanence.tracker.actions import ImportRefused, import_workbook, store_path
    from permanence.progress import console
    from permanence.ops.security import ensure_restricted_dir
    from permanence.publish.tiers import os_user
    from permanence.tracker.workbook import las_in

    settings = _settings(None, data_dir)
    if not file.is_file():
        _fail(f"{file}: no such workbook", EXIT_USAGE, hint="give the path of the edited spg-tracker-<LA>.xlsx")
    db = settings.restricted_dir / settings.warehouse_path.name
    _need(db, "restricted copy (written by the nightly load)", settings)
    ensure_restricted_dir(settings.restricted_dir)
    who = (by or "").strip() or os_user()
    try:
        job = import_workbook(store_path(settings), file, las_in(db), who, la_code=la, force=force)
    except ImportRefused as exc:
        for problem in exc.problems:
            console.print(f"  {problem}", soft_wrap=True, markup=False, highlight=False)
        _fail(str(exc), hint=exc.hint)
    per = ", ".join(f"cohort {c}: {n}" for c, n in sorted(job.per_cohort.items())) or "none changed"
    console.print(f"imported {file.name} (LA {job.la_code}) as {job.import_id}: {job.rows_read} rows read, "
                  f"{job.appended} entries recorded ({per}) by {who}"
                  + (" [forced: an older workbook]" if job.forced else ""), soft_wrap=True, markup=False)


@app.command()
def report(
    quarter: Annotated[str, typer.Option(help="Calendar quarter 2024-Q4 or financial quarter 2024-25-Q3 "
                                              "(both October-December 2024)")],
    la: Annotated[Optional[str], typer.Option(help="LA code (needed when the warehouse holds several)")] = None,
    out_dir: Annotated[Optional[Path], typer.Option(help="Folder to write into; default data_dir/reports/quarterly")] = None,
    pdf: Annotated[bool, typer.Option(help="Also print to PDF when Chromium is installed")] = True,
    warehouse: Annotated[Optional[Path], typer.Option(help="The writer's DuckDB file (data-quality section, read-only)")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data directory")] = None,
) -> None:
    """Write the quarterly scrutiny report (self-contained HTML, PDF where Chromium is installed)."""
    from permanence.progress import console
    from permanence.report import build_report, parse_quarter

    try:
        parse_quarter(quarter)  # a mistyped quarter is named before any file is looked for
    except ValueError as exc:
        _fail(str(exc))
    settings = _settings(warehouse, data_dir)
    # the restricted copy: the report suppresses small numbers itself, so it reads them as built
    restricted = settings.restricted_dir / settings.warehouse_path.name
    _need(restricted, "restricted copy (written by the nightly load)", settings)
    try:
        html_path, pdf_path = build_report(restricted, quarter, out_dir or settings.reports_dir / "quarterly",
                                           la_code=la, warehouse=settings.warehouse_path, pdf=pdf,
                                           small_number_threshold=settings.small_number_threshold)
    except ValueError as exc:
        _fail(str(exc))
    console.print(f"report: {html_path}", soft_wrap=True)
    console.print(f"pdf:    {pdf_path}" if pdf_path else "pdf:    not written (no Chromium found)", soft_wrap=True)


@app.command()
def audit(
    load: Annotated[str, typer.Option("--load", help="Load id (audit.loads)")],
    html: Annotated[Optional[Path], typer.Option(help="HTML file to write; default data_dir/reports/<load>/audit.html")] = None,
    warehouse: Annotated[Optional[Path], typer.Option(help="The writer's DuckDB file")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data directory")] = None,
) -> None:
    """Print (and write as HTML) the evidence chain of one load: files, rows, rules, expectations, marts."""
    import duckdb

    from permanence.audit.trail import UnknownLoad, audit_trail, print_trail, write_html
    from permanence.progress import console

    settings = _settings(warehouse, data_dir)
    _need(settings.warehouse_path, "warehouse", settings)
    try:
        trail = audit_trail(settings.warehouse_path, load)
    except UnknownLoad as exc:
        _fail(str(exc))
    except duckdb.Error as exc:
        _fail(f"{settings.warehouse_path}: cannot open read-only ({type(exc).__name__}); is a nightly run writing it?")
    print_trail(trail, console)
    path = write_html(trail, html or settings.reports_dir / load / "audit.html")
    console.print(f"audit trail (HTML): {path}", soft_wrap=True)


def _maintenance(label: str, fn, settings, *args):
    """Run erase/rekey/retention as one progress step and turn every known failure into an `error:`
    and a `hint:` line (after the step's own line, so the two end the output)."""
    from permanence.ops.erasure import RebuildFailed, Refused
    from permanence.progress import step
    from permanence.ingest.pseudonymise import MissingKeyError
    from permanence.ops.security import UnsafeSetup, WeakKeyError
    from permanence.warehouse import WarehouseBusy

    try:
        with step(label.split()[0].rstrip(":"), label):
            return fn(settings, *args)
    except Refused as exc:
        _fail(str(exc), hint=exc.hint)
    except (MissingKeyError, WeakKeyError) as exc:
        _fail(str(exc), hint="the current key is the nightly run's (PERMANENCE_HMAC_KEY, _KEY_FILE or _KEY_BLOCK); "
                             "see docs/security.md, Keys")
    except UnsafeSetup as exc:
        _fail(str(exc), hint="nothing was changed; see docs/security.md")
    except WarehouseBusy as exc:
        _fail(str(exc), hint="a nightly run is writing the warehouse; try again when it ends")
    except RebuildFailed as exc:
        _fail(f"{exc}; the raw tables and archive are changed, the published copy is the previous one",
              hint="fix the cause (the dbt log under the data directory's dbt/logs), then run the same command "
                   "again: it finishes the rebuild and publish")


@app.command()
def erase(
    la: Annotated[str, typer.Option(help="LA code (DfE 3-digit) of the drop the child came in")],
    child: Annotated[str, typer.Option(help="The child's CMS id, as in the drop's CHILD column (not the pseudonym)")],
    warehouse: Annotated[Optional[Path], typer.Option(help="DuckDB file")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data directory")] = None,
) -> None:
    """Remove one child from raw, the archive (files rewritten, new hashes in audit) and every mart."""
    _quiet_third_parties()
    from permanence.ops.erasure import erase as do_erase
    from permanence.progress import console

    settings = _settings(warehouse, data_dir)
    job = _maintenance(f"erase one child ({la}), rebuild and publish", do_erase, settings, la, child)
    tables = ", ".join(f"{t} {n}" for t, n in sorted(job.rows_per_table.items())) or "none"
    console.print(f"erasure {job.erasure_id}: raw rows removed: {job.rows_removed} ({tables})", soft_wrap=True)
    console.print(f"archived files rewritten: {len(job.files)}; Parquet snapshot files rewritten: {job.parquet_files}; "
                  f"SPG action entries removed: {job.actions_removed}", soft_wrap=True)
    for path in job.unreadable:
        console.print(f"[bold yellow]warning:[/] {path}: a refused drop's file that cannot be parsed and may hold "
                      "the id; it was not rewritten: delete it (`permanence retention` removes quarantined drops "
                      "in time)", soft_wrap=True)
    if job.resumed:
        console.print("an earlier erasure of this child had stopped before its rebuild: finished now")
    console.print(f"published: {job.published or settings.warehouse_label}", soft_wrap=True)


@app.command()
def rekey(
    new_key_file: Annotated[Path, typer.Option(help="File (0600) holding the new key, e.g. from `openssl rand -hex 32`")],
    warehouse: Annotated[Optional[Path], typer.Option(help="DuckDB file")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data directory")] = None,
) -> None:
    """Re-pseudonymise the whole history under a new key (from the archived CMS ids), rebuild, publish.

    The current key is the nightly run's (PERMANENCE_HMAC_KEY / _KEY_FILE / _KEY_BLOCK); afterwards
    only the new key is accepted: point the nightly run's key setting at it."""
    _quiet_third_parties()
    from permanence.ops.erasure import rekey as do_rekey
    from permanence.progress import console

    settings = _settings(warehouse, data_dir)
    job = _maintenance("rekey: re-pseudonymise under the new key, rebuild and publish", do_rekey, settings, new_key_file)
    if job.resumed:
        console.print(f"rekey {job.rekey_id} to key {job.new_fingerprint} had stopped before its rebuild: finished now",
                      soft_wrap=True)
    else:
        console.print(f"rekey {job.rekey_id}: key {job.old_fingerprint} -> {job.new_fingerprint}; "
                      f"{job.ids_mapped} ids from {job.archive_folders} archived drops, {job.rows_updated} raw values "
                      f"renamed, {job.parquet_files} Parquet snapshot files rewritten", soft_wrap=True)
    console.print(f"published: {job.published or settings.warehouse_label}", soft_wrap=True)
    console.print("[bold yellow]now:[/] give the nightly run the new key (PERMANENCE_HMAC_KEY_FILE); "
                  "the old key is refused from here on", soft_wrap=True)


@app.command("dfe-rules")
def dfe_rules(
    la: Annotated[Optional[str], typer.Option(help="Only this LA's queued loads")] = None,
    load: Annotated[Optional[list[str]], typer.Option(help="Check this load again (repeatable)")] = None,
    warehouse: Annotated[Optional[Path], typer.Option(help="DuckDB file")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data directory")] = None,
) -> None:
    """Run the DfE's own 903 rule pack on the published loads the nightly runs queued (return readiness)."""
    _quiet_third_parties()
    from flows.dfe_rules import dfe_rules as flow
    from permanence.ops.security import UnsafeSetup, check_la_code

    try:
        la = check_la_code(la) if la else None
    except UnsafeSetup as exc:
        _fail(str(exc), EXIT_USAGE)
    settings = _settings(warehouse, data_dir)
    if settings.target == "duckdb":
        _need(settings.warehouse_path, "warehouse (written by the nightly load)", settings)
    _run_flow(flow, warehouse=str(settings.warehouse_path), data_dir=str(settings.data_dir), la_code=la,
              load_ids=load or None)


@app.command()
def retention(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what is due, delete nothing")] = False,
    warehouse: Annotated[Optional[Path], typer.Option(help="DuckDB file")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data directory")] = None,
) -> None:
    """Delete what is past its retention time (PERMANENCE_RETAIN_*_DAYS), each deletion in audit.retention."""
    from permanence.ops import retention as ret
    from permanence.progress import console
    from permanence.warehouse import exclusive

    settings = _settings(warehouse, data_dir)

    def apply(settings, dry_run):
        from permanence.ops.security import ensure_private_dir

        ensure_private_dir(settings.data_dir, settings.bi_group)
        with exclusive(settings):
            return ret.apply(settings, dry_run=dry_run)

    found = _maintenance("retention: find what is due" + ("" if dry_run else " and delete it"), apply, settings, dry_run)
    for d in found:
        size = f"{d.rows} rows" if d.klass == "raw" else f"{d.bytes} bytes"
        console.print(f"{'due' if dry_run else 'deleted'}: {d.klass} {d.item} ({size}): {d.reason}", soft_wrap=True)
    console.print(f"{len(found)} {'due (dry run: nothing deleted)' if dry_run else 'deleted'}")


@app.command()
def serve(
    data_dir: Annotated[Optional[Path], typer.Option(help="Data directory; Prefect's home and database go in DATA_DIR/prefect")] = None,
    port: Annotated[int, typer.Option(help="Loopback port for the Prefect server (ignored with PREFECT_API_URL)")] = 4200,
    run_now: Annotated[bool, typer.Option(help="Also trigger one nightly run now")] = False,
) -> None:
    """Start a Prefect server on loopback, the `permanence` work pool and a worker; deploy prefect.yaml.

    With PREFECT_API_URL set, uses that server instead of starting one. Without PERMANENCE_SOURCE,
    serves a synthetic demo drop (and a demo key) so a fresh clone has something to run."""
    _quiet_third_parties()
    from permanence.ops import serve as ops
    from permanence.config import Settings
    from permanence.progress import console

    data_dir = (data_dir or Settings().data_dir).resolve()
    if not os.environ.get("PERMANENCE_SOURCE"):
        from permanence.ingest.pseudonymise import resolve_key
        from permanence.synth import generate_region

        from permanence.ops.security import ensure_private_dir, is_synthetic_drop

        ensure_private_dir(data_dir)
        incoming = data_dir / "incoming"
        drops = sorted(p for p in incoming.glob("*_*") if p.is_dir()) if incoming.exists() else []
        if not drops:
            drops = [d.path for d in generate_region(incoming, las=1, children=300, years=5, seed=42)]
        os.environ["PERMANENCE_SOURCE"] = str(drops[0])
        os.environ.setdefault("PERMANENCE_LA_CODE", drops[0].name.split("_")[0])
        # A key is made here for the synthetic demo drop only: a real drop needs the LA's own key.
        if not (os.environ.get("PERMANENCE_HMAC_KEY") or os.environ.get("PERMANENCE_HMAC_KEY_BLOCK")) \
                and is_synthetic_drop(drops[0]):
            key_file = Path(os.environ.get("PERMANENCE_HMAC_KEY_FILE") or data_dir / "keys" / "hmac.key")
            resolve_key(None, None, key_file, create=True)
            os.environ["PERMANENCE_HMAC_KEY_FILE"] = str(key_file.resolve())
        console.print(f"no PERMANENCE_SOURCE: serving the synthetic demo drop {drops[0]}", soft_wrap=True)
    if not os.environ.get("PERMANENCE_LA_CODE"):
        _fail("set PERMANENCE_LA_CODE (the LA whose drop PERMANENCE_SOURCE is)")
    from permanence.ops.security import UnsafeSetup

    try:
        stack = ops.serve(data_dir, port=port)
    except (ops.ServeError, UnsafeSetup) as exc:
        _fail(str(exc))
    if stack.server_pid:
        console.print(f"Prefect server: {stack.api_url.removesuffix('/api')}  (pid {stack.server_pid}, log {stack.prefect_dir / 'server.log'})", soft_wrap=True)
    else:
        console.print(f"Prefect server: {stack.api_url} (PREFECT_API_URL; not started here)", soft_wrap=True)
    console.print(f"worker on pool '{ops.POOL}': pid {stack.worker_pid}, log {stack.prefect_dir / 'worker.log'}", soft_wrap=True)
    console.print(f"deployed: {', '.join(stack.deployments)}", soft_wrap=True)
    for name in stack.skipped:
        console.print(f"[yellow]not deployed[/] {name}", soft_wrap=True)
    if run_now:
        p = ops.subprocess.run(ops._prefect("deployment", "run", "nightly-load/nightly"), env=stack.env,
                               capture_output=True, text=True)
        console.print("nightly run triggered" if p.returncode == 0 else f"[red]could not trigger a run:[/] {p.stderr.strip()[-200:]}")
    console.print(f"stop with `permanence stop{' --data-dir ' + str(data_dir) if data_dir != Path('data').resolve() else ''}` or `make stop`", soft_wrap=True)


@app.command()
def stop(
    data_dir: Annotated[Optional[Path], typer.Option(help="The data directory `serve` used")] = None,
) -> None:
    """Stop what `permanence serve` started: the worker first, then the Prefect server."""
    from permanence.ops import serve as ops
    from permanence.config import Settings
    from permanence.progress import console

    info = ops.stop(data_dir or Settings().data_dir)
    if not info:
        console.print("nothing running (no live processes in the pid file)")
        return
    console.print(f"stopped worker {info.get('worker')} and server {info.get('server') or '(external)'}")


def main() -> None:
    """The console script: click's own usage errors (an unknown option, a bad date) become the
    project's `error:` + `hint:` lines with the usage exit code, not click's box and exit 2 (which
    is a quarantine here)."""
    import sys

    # typer carries its own copy of click: its exceptions, found through the public BadParameter
    usage_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    try:
        code = app(standalone_mode=False, prog_name="permanence")
    except usage_error as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `permanence`: typer has printed the help
            code = 0
        else:
            from permanence.progress import console

            console.print(f"[bold red]error:[/] {exc.format_message()}", soft_wrap=True)
            command = exc.ctx.command_path if exc.ctx else "permanence"
            console.print(f"hint: {command} --help", soft_wrap=True)
            code = EXIT_USAGE
    except typer.Abort:
        code = 130
    except pydantic.ValidationError as exc:
        # A PERMANENCE_* setting (or .env line) out of its range. The value is never echoed: it may
        # be the pseudonymisation key.
        from permanence.progress import console

        first = exc.errors()[0]
        name = "PERMANENCE_" + str(first["loc"][0]).upper() if first["loc"] else "a PERMANENCE_ setting"
        console.print(f"[bold red]error:[/] setting {name}: {first['msg']}", soft_wrap=True)
        console.print("hint: the settings and their values are in docs/operations.md", soft_wrap=True)
        code = EXIT_USAGE
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
