"""Publish the built warehouse for readers: a separate, read-only DuckDB file plus Parquet exports.

DuckDB allows one writer or many readers, never both: a BI tool holding the writer's file open
would block the nightly build, and the build would block it. So readers never open the writer's
file. After every successful build and checks, `publish_warehouse`:

1. writes a fresh DuckDB file beside the published one (`.permanence.duckdb.<pid>.tmp`) holding only
   the `marts` and `reference` schemas (no raw, staging, intermediate or audit data), by ATTACHing it
   from the writer's connection and copying table by table. Two copies (permanence.publish.tiers): the BI
   copy in `published/` holds the aggregate marts only, small numbers suppressed; the restricted copy
   in `restricted/` (the service account's alone) holds every mart as built;
2. fsyncs it, makes it read-only (0400; 0440 for the BI group, permanence.ops.security) and `os.replace`s it over the published path, then fsyncs
   the folder. A reader sees the old copy or the new one, never half of one; a reader holding the
   old file open keeps reading the old inode, undisturbed, until it reconnects.

The two halves are `stage_warehouse` (step 1 and the fsync: a `Staged` copy) and `put_in_place`
(the rename): a nightly run stages its copies while the mart checks run, and puts them in place only
once the checks passed (`discard` otherwise; permanence.pipeline.stage_copies_step).

`export_parquet` then writes each mart as Parquet into `parquet/<YYYY-MM-DD>/` (for Power BI,
Tableau, Excel) and points `parquet/latest` at it: `latest` is a symlink to the dated folder,
replaced atomically, and `parquet/LATEST` is a one-line text file with the same date for tools and
file shares that do not follow symlinks (Windows SMB clients). See docs/bi.md.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from permanence.warehouse import transaction

PUBLISHED_SCHEMAS = ("marts", "reference")
# In each dated Parquet folder the tiered export writes; a folder without it predates the two tiers.
TIERED_MARK = ".bi-tier"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Publication:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)  # "marts.x" -> rows
    parquet_dir: Path | None = None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# The published copies are written in the oldest storage format their readers may have: the
# warehouse's own DuckDB writes its newest by default, which DuckDB 1.x clients (DBeaver, ODBC,
# duckdb-engine, Power BI's connector as shipped) refuse to open. docs/bi.md names the versions.
STORAGE_VERSION = "v1.1.0"


def published_path(warehouse: Path, published_dir: Path) -> Path:
    return published_dir / warehouse.name


@dataclass
class Staged:
    """A copy written aside, complete and read-only, not yet in place: `put_in_place` makes it the
    published one, `discard` removes it."""

    tmp: Path
    target: Path
    tables: dict[str, int] = field(default_factory=dict)


def publish_warehouse(warehouse: Path, published_dir: Path, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
                      con: duckdb.DuckDBPyConnection | None = None, *, tier: str = "bi",
                      threshold: int = 5, tiers: dict | None = None) -> Publication:
    """Write a read-only copy (marts and reference only) and replace the previous one atomically.

    tier "bi" (the default: the safe one): only the aggregate marts (permanence.publish.tiers), small numbers
    suppressed with `threshold`, and reference data. tier "restricted": every mart as built, for the
    restricted location (the tracker, the report, the service account's own checks).
    """
    return put_in_place(stage_warehouse(warehouse, published_dir, schemas, con, tier=tier, threshold=threshold,
                                        tiers=tiers))


def stage_warehouse(warehouse: Path, published_dir: Path, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
                    con: duckdb.DuckDBPyConnection | None = None, *, tier: str = "bi",
                    threshold: int = 5, tiers: dict | None = None) -> Staged:
    """`publish_warehouse` up to the replace: the copy written beside the published one, fsynced, 0400."""
    from permanence.publish.tiers import mart_tiers

    if tier not in ("bi", "restricted"):
        raise ValueError(f"unknown tier {tier!r}")
    tiers = mart_tiers() if tiers is None and tier == "bi" else tiers
    published_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = published_path(warehouse, published_dir)
    tmp = published_dir / f".{warehouse.name}.{os.getpid()}.tmp"
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    own = con is None
    con = con or duckdb.connect(str(warehouse))
    try:
        con.execute(f"ATTACH '{tmp}' AS pub (STORAGE_VERSION '{STORAGE_VERSION}')")
        try:
            # One transaction for the copy's tables and their ~1,300 comments: each statement on its
            # own was a commit to the new file.
            with transaction(con):
                tables = _copy_tables(con, schemas, tier, tiers, threshold)
            con.execute("CHECKPOINT pub")
        finally:
            con.execute("DETACH pub")
    finally:
        if own:
            con.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    tmp.chmod(0o400)  # the BI group's read bit is added by permanence.ops.security.share_with_group
    return Staged(tmp, target, tables)


def put_in_place(staged: Staged) -> Publication:
    """The staged copy replaces the published one in one rename: a reader sees the old or the new."""
    os.replace(staged.tmp, staged.target)
    _fsync_dir(staged.target.parent)
    return Publication(staged.target, staged.tables)


def discard(staged: Staged | None) -> None:
    """A staged copy that will not be published (its checks failed), and its WAL if any."""
    if staged is not None:
        for path in (staged.tmp, staged.tmp.with_name(staged.tmp.name + ".wal")):
            path.unlink(missing_ok=True)


def _copy_tables(con, schemas: tuple[str, ...], tier: str, tiers: dict | None, threshold: int) -> dict[str, int]:
    """The tables of `schemas` into the attached copy `pub`: for the BI tier the aggregate marts
    only, small numbers suppressed. Returns "schema.table" -> rows."""
    from permanence.publish.tiers import bi_select

    tables: dict[str, int] = {}
    found = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema in (select unnest(?)) "
        "order by 1, 2",
        [list(schemas)],
    ).fetchall()
    for schema in schemas:
        con.execute(f'CREATE SCHEMA IF NOT EXISTS pub."{schema}"')
    for schema, table in found:
        source = f'"{schema}"."{table}"'
        if tier == "bi" and schema == "marts":
            spec = tiers.get(table)
            if spec is None or not spec.aggregate:
                continue  # child-level, or not classified: restricted only
            columns = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_catalog = current_database() "
                "and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()]
            select = bi_select(source, columns, spec, threshold)
        else:
            select = f"SELECT * FROM {source}"
        con.execute(f'CREATE TABLE pub."{schema}"."{table}" AS {select}')
        _copy_comments(con, schema, table)
        tables[f"{schema}.{table}"] = con.execute(
            f'select count(*) from pub."{schema}"."{table}"').fetchone()[0]
    return tables


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy_comments(con, schema: str, table: str) -> None:
    """The table and column descriptions dbt wrote as comments (persist_docs) onto the copy, so a
    BI tool browsing the published file shows them; CREATE TABLE AS carries none."""
    found = con.execute("select comment from duckdb_tables() where database_name = current_database() "
                        "and schema_name = ? and table_name = ?", [schema, table]).fetchone()
    if found and found[0]:
        con.execute(f'COMMENT ON TABLE pub."{schema}"."{table}" IS {_sql_text(found[0])}')
    columns = con.execute("select column_name, comment from duckdb_columns() where database_name = 'pub' "
                          "and schema_name = ? and table_name = ?", [schema, table]).fetchall()
    described = dict(con.execute("select column_name, comment from duckdb_columns() where database_name = "
                                 "current_database() and schema_name = ? and table_name = ? and comment is not null",
                                 [schema, table]).fetchall())
    described.setdefault("suppressed_reason", "Null, or the columns hidden on this row as small numbers and what "
                                              "rests on them: 'c (1 to N): col, ...' (docs/bi.md).")
    for column, _ in columns:
        if described.get(column):
            con.execute(f'COMMENT ON COLUMN pub."{schema}"."{table}"."{column}" IS {_sql_text(described[column])}')


def parquet_file(day: Path, mart: str) -> Path:
    """A mart's Parquet in a day's snapshot: a folder of its own, so a tool that reads a folder as
    one dataset never merges two marts."""
    return day / mart / f"{mart}.parquet"


def copy_parquet(con, select: str, path: Path, mart: str) -> None:
    """Write `select` as Parquet with the mart's documentation in the file's key-value metadata:
    `description` (the mart) and `column:<name>` (each documented column), as in docs/marts.md."""
    from permanence.publish.tiers import mart_docs

    about, columns = mart_docs().get(mart, ("", {}))
    pairs = {"mart": mart, "description": about, **{f"column:{c}": d for c, d in columns.items() if d}}
    kv = ", ".join('"{}": {}'.format(k.replace('"', '""'), "'" + v.replace("'", "''") + "'")
                   for k, v in pairs.items() if v)
    con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet, KV_METADATA {{{kv}}})")


def export_parquet(published: Path, out_dir: Path, run_date: dt.date | None = None,
                   schemas: tuple[str, ...] = ("marts",)) -> Path:
    """Each mart of the published copy as <out_dir>/<run date>/<mart>/<mart>.parquet, documented in
    its file metadata; `latest` points at the day.

    A second run on the same day replaces that day's folder whole (written aside, then swapped).
    """
    run_date = run_date or dt.date.today()
    return parquet_in_place(stage_parquet(published, out_dir, run_date, schemas), out_dir, run_date)


def stage_parquet(published: Path, out_dir: Path, run_date: dt.date | None = None,
                  schemas: tuple[str, ...] = ("marts",)) -> Path:
    """`export_parquet`'s folder for the day, written aside (`.<day>.<pid>.tmp`); returns it."""
    run_date = run_date or dt.date.today()
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".{run_date.isoformat()}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    (staging / TIERED_MARK).write_text("aggregate marts only, small numbers suppressed (permanence.publish.tiers)\n",
                                       encoding="utf-8")
    with duckdb.connect(str(published), read_only=True) as con:
        found = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (select unnest(?)) order by 1, 2", [list(schemas)]).fetchall()
        for schema, table in found:
            name = table if schema == "marts" else f"{schema}.{table}"
            target = parquet_file(staging, name)
            target.parent.mkdir()
            copy_parquet(con, f'SELECT * FROM "{schema}"."{table}"', target, table)
    return staging


def parquet_in_place(staging: Path, out_dir: Path, run_date: dt.date | None = None) -> Path:
    """The staged folder becomes the day's (the day's earlier one swapped out whole); `latest` points at it."""
    run_date = run_date or dt.date.today()
    day = out_dir / run_date.isoformat()
    if day.exists():
        old = out_dir / f".{run_date.isoformat()}.{os.getpid()}.old"
        day.rename(old)
        staging.rename(day)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(day)
    _point_latest(out_dir, run_date.isoformat())
    return day


def purge_untiered(out_dir: Path) -> list[Path]:
    """Remove dated Parquet folders written before the two tiers (no TIERED_MARK): they hold
    child-level marts and unsuppressed counts, and the BI group can read them."""
    removed = []
    if not out_dir.is_dir():
        return removed
    for day in out_dir.iterdir():
        if day.is_dir() and not day.is_symlink() and _DAY.fullmatch(day.name) and not (day / TIERED_MARK).exists():
            shutil.rmtree(day)
            removed.append(day)
    return removed


def _point_latest(out_dir: Path, name: str) -> None:
    link_tmp = out_dir / f".latest.{os.getpid()}.tmp"
    link_tmp.unlink(missing_ok=True)
    try:
        link_tmp.symlink_to(name, target_is_directory=True)
        os.replace(link_tmp, out_dir / "latest")
    except OSError:  # file systems without symlinks: the LATEST file is the pointer
        link_tmp.unlink(missing_ok=True)
    text_tmp = out_dir / f".LATEST.{os.getpid()}.tmp"
    text_tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(text_tmp, out_dir / "LATEST")
    _fsync_dir(out_dir)


def latest_parquet(out_dir: Path) -> Path:
    """The dated folder `latest` points at (through the LATEST file, which works everywhere)."""
    return out_dir / (out_dir / "LATEST").read_text(encoding="utf-8").strip()


def record_publication(con, load_ids: list[str], pub: Publication) -> None:
    """audit.published_marts: which tables (and how many rows) each load published, and where."""
    import pandas as pd

    from permanence.audit.schema import create_audit_schema

    create_audit_schema(con)
    now = dt.datetime.now()
    df = pd.DataFrame([
        {"load_id": lid, "published_at": now, "published_path": str(pub.path), "table_name": t, "rows": n,
         "parquet_dir": str(pub.parquet_dir) if pub.parquet_dir else None}
        for lid in load_ids for t, n in pub.tables.items()
    ], columns=["load_id", "published_at", "published_path", "table_name", "rows", "parquet_dir"])
    if df.empty:
        return
    con.insert_frame("audit.published_marts", df)

