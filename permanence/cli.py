"""`permanence` command line. Heavy imports (Prefect, dbt, pandera) happen inside each command so
that `--help` stays instant."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    help="Nightly pipeline for children-in-care extracts: validate, pseudonymise, load, build permanence marts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

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
    }.items():
        os.environ.setdefault(var, value)


def _fail(message: str, code: int = 1) -> None:
    from permanence.progress import console

    console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)


def _run_flow(fn, **kwargs):
    """Run a flow and turn every known failure into one clear line and a non-zero exit."""
    from permanence.extract import StructuralError
    from permanence.pipeline import BuildFailed, DropQuarantined
    from permanence.pseudonymise import MissingKeyError
    from permanence.warehouse import WarehouseBusy

    try:
        return fn(**kwargs)
    except DropQuarantined as exc:
        _fail(str(exc), 2)
    except (StructuralError, BuildFailed, WarehouseBusy, MissingKeyError, FileNotFoundError) as exc:
        _fail(str(exc))


def _print_outputs(settings, summaries) -> None:
    from rich.table import Table

    from permanence.progress import console

    t = Table(title="Loads", title_justify="left")
    for col in ("LA", "status", "rows in", "loaded", "rejected"):
        t.add_column(col, no_wrap=True)
    for s in summaries:
        t.add_row(s.la_code, s.status, str(s.rows_in), str(s.rows_loaded), str(s.rows_rejected))
    console.print(t)
    console.print(f"warehouse (writer):  {settings.warehouse_path}", soft_wrap=True)
    console.print(f"published (readers): {settings.published_dir / settings.warehouse_path.name}", soft_wrap=True)
    console.print(f"archive:             {settings.archive_dir}", soft_wrap=True)
    for s in summaries:
        if s.report:
            console.print(f"validation report:   {s.report}/validation.md  (LA {s.la_code}, load {s.load_id})", soft_wrap=True)


@app.command()
def run(
    source: Annotated[str, typer.Option(help="Drop folder: a path or any fsspec URL (sftp://, s3://, smb://)")],
    la: Annotated[str, typer.Option(help="LA code (DfE 3-digit), e.g. 894")],
    as_at: DateOpt = None,
    warehouse: Annotated[Optional[Path], typer.Option(help="DuckDB file to build")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Archive, reports and published copy")] = None,
) -> None:
    """One nightly run against one LA's extract drop."""
    _quiet_third_parties()
    from flows.nightly import region
    from permanence.config import Settings

    settings = Settings(**{k: v for k, v in {"warehouse": warehouse, "data_dir": data_dir}.items() if v})
    summaries = _run_flow(
        region,
        drops=[(source, la)],
        as_at=as_at.date() if as_at else None,
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
            _fail(f"unknown defect '{d}'; choose from: {', '.join(DEFECTS)}")
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
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps everything")] = Path("data/demo"),
    las: int = 4,
    children: int = 300,
    years: int = 5,
    seed: int = 42,
) -> None:
    """Generate a synthetic region and run the nightly load for every LA in it."""
    _quiet_third_parties()
    from permanence.config import Settings
    from permanence.progress import console, step
    from permanence.pseudonymise import resolve_key
    from permanence.synth import generate_region

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
    _print_outputs(settings, summaries)


if __name__ == "__main__":
    app()
