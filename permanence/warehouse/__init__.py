"""The warehouse: raw and audit schemas, the typed load, and one writer at a time.

Raw tables are append-only and keep every extract (load_id and source file hash on every row) so
an auditor can trace a figure to its extract; `raw.current_load` says which load per LA the models
read. Audit tables are append-only too: a load's status is its latest row in `audit.loads`.

The warehouse is a DuckDB file (default) or a PostgreSQL database (Settings.target == "postgres");
the functions here are written once against permanence.warehouse.backends (`?` parameters on both).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from permanence import contract
from permanence.audit.schema import create_audit_schema
from permanence.warehouse.backends import DuckDBBackend, PostgresBackend
from permanence.contract.frames import ISSUE_COLUMNS, ROW, ExtractFrame, arrow_text

if TYPE_CHECKING:
    import pyarrow as pa

    from permanence.config import Settings

RAW_TYPES = {
    "child_id": "VARCHAR",
    "staff_id": "VARCHAR",
    "date": "DATE",
    "dob": "DATE",
    "int": "INTEGER",
    "code": "VARCHAR",
    "text": "VARCHAR",
    "postcode": "VARCHAR",
}
META_COLUMNS = {
    "load_id": "VARCHAR",
    "la_code": "VARCHAR",
    "extract_date": "DATE",
    "source_file": "VARCHAR",
    "source_sha256": "VARCHAR",
    "source_row": "INTEGER",
}
# Per LA, the load the models read, with its extract date E, its reporting date D (the day the
# measures describe, D <= E) and its coverage start C (histories before C are not in the extract;
# null: the extract holds the whole history).
CURRENT_LOAD_DDL = "la_code VARCHAR, load_id VARCHAR, extract_date DATE, as_at_date DATE, coverage_start DATE"
FINAL_STATUSES = ("published", "quarantined", "failed", "skipped", "crashed")


class WarehouseBusy(RuntimeError):
    pass


Backend = DuckDBBackend | PostgresBackend


def _is_postgres(target) -> bool:
    return getattr(target, "target", "duckdb") == "postgres"


@contextlib.contextmanager
def exclusive(target: Settings | Path) -> Iterator[None]:
    """One run at a time per warehouse, released if the process dies.

    target: Settings (dispatches on .target) or the DuckDB file's Path. DuckDB: an OS lock beside
    the file. PostgreSQL: a session advisory lock keyed on the database, tried without waiting.
    """
    if _is_postgres(target):
        with connect(target) as con, con.advisory_lock("permanence.warehouse:") as got:
            if not got:
                raise WarehouseBusy(
                    f"postgres database {target.pg_dbname} on {target.pg_host}: another run holds this "
                    "warehouse; try again when it ends"
                )
            yield
        return
    warehouse = getattr(target, "warehouse_path", target)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse.with_name(warehouse.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseBusy(f"{warehouse}: another run holds this warehouse; try again when it ends") from None
        yield
    finally:
        os.close(fd)


def _identity(target: Settings | Path) -> tuple:
    if _is_postgres(target):
        return ("postgres", target.pg_host, target.pg_port, target.pg_dbname, target.pg_user)
    return ("duckdb", str(Path(getattr(target, "warehouse_path", target)).resolve()))


_HELD: dict[tuple, Backend] = {}


class _Borrowed:
    """The held connection, lent to a `with connect(...)` block that must not close it."""

    def __init__(self, con: Backend):
        self._con = con

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def close(self) -> None:
        pass


def connect(target: Settings | Path) -> Backend:
    """Settings (dispatches on .target) or the DuckDB file's Path -> a backend connection.

    Inside `held(target)` this is the held connection, and closing it is left to `held`."""
    con = _HELD.get(_identity(target))
    if con is not None:
        return _Borrowed(con)  # type: ignore[return-value]
    if _is_postgres(target):
        return PostgresBackend(**target.pg_conninfo())
    return DuckDBBackend(getattr(target, "warehouse_path", target))


@contextlib.contextmanager
def held(target: Settings | Path) -> Iterator[Backend]:
    """One connection for a stretch of many small writes (the per-drop steps of a run).

    Opening a DuckDB file and checkpointing it on close cost more than recording a step or loading
    a small drop: at national scale a connection per write spent a minute doing only that.
    Release it before anything else opens the file (dbt, the publish copy)."""
    key = _identity(target)
    if key in _HELD:
        yield _HELD[key]
        return
    con = connect(target)
    con.expect_many_writes()
    _HELD[key] = con
    try:
        yield con
    finally:
        del _HELD[key]
        con.close()


def raw_columns(t: contract.Table) -> dict[str, str]:
    cols = {c.warehouse_name: RAW_TYPES[c.kind] for c in t.columns if c.loaded}
    return {**cols, **META_COLUMNS}


def create_schema(con: Backend) -> None:
    """Every raw, audit and reference table exists, empty if never loaded, so dbt sources never
    meet a missing table."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for t in contract.tables().values():
        cols = ", ".join(f'"{n}" {con.ddl_type(ty)}' for n, ty in raw_columns(t).items())
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{t.name} ({cols})")
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.current_load ({CURRENT_LOAD_DDL})")
    # Warehouses made before the two dates (reporting date D, coverage start C) were per load.
    for column in ("as_at_date", "coverage_start"):
        con.execute(f"ALTER TABLE raw.current_load ADD COLUMN IF NOT EXISTS {column} DATE")
    create_audit_schema(con)
    from permanence.reference.store import create_reference_schema

    create_reference_schema(con)


def check_key(con, fingerprint: str) -> None:
    """Refuse a key other than the one the warehouse's loads were pseudonymised with: under a new key
    every child would get a new pseudonym and their history would split silently."""
    row = warehouse_key(con)
    if row and row[0] != fingerprint:
        from permanence.ops.security import KeyMismatch

        raise KeyMismatch(
            f"pseudonymisation key (fingerprint {fingerprint}) is not the key of this warehouse's earlier loads "
            f"(fingerprint {row[0]}): use the same key, or re-pseudonymise the history first")


def warehouse_key(con) -> tuple[str] | None:
    """The fingerprint of the key the raw tables are pseudonymised under: the latest loaded or
    published load's, or a later `permanence rekey`'s new key."""
    return con.execute(
        """select fingerprint from (
             select key_fingerprint as fingerprint, finished_at from audit.loads
              where key_fingerprint is not null and status in ('loaded', 'published')
             union all
             select new_fingerprint, finished_at from audit.rekeys where status = 'done'
           ) keys order by finished_at desc limit 1""").fetchone()


def pending_rebuilds(con) -> list[str]:
    """Erasures and rekeys that changed raw but whose full rebuild and publish has not finished (the
    dbt build or checks failed): until one does, the marts may still hold what raw no longer does,
    and the per-LA incremental build cannot see it (the load ids are unchanged)."""
    return [r[0] for r in con.execute(
        """select erasure_id from (
             select erasure_id, status, row_number() over (partition by erasure_id order by erased_at desc) as rn
             from audit.erasures) e where rn = 1 and status = 'erased'
           union all
           select rekey_id from (
             select rekey_id, status, row_number() over (partition by rekey_id order by finished_at desc) as rn
             from audit.rekeys) r where rn = 1 and status = 'done'""").fetchall()]


def mark_rebuilt(con, message: str) -> None:
    """Every pending erasure and rekey is published now: a 'published' row after each one's last."""
    pending = pending_rebuilds(con)
    if not pending:
        return
    marks = ", ".join("?" * len(pending))
    con.execute(
        f"""insert into audit.erasures select erasure_id, la_code, pseudonym_sha256, 'published', rows_removed,
              rows_per_table, files_rewritten, parquet_files_rewritten, key_fingerprint, current_timestamp, ?
            from audit.erasures where status = 'erased' and erasure_id in ({marks})""", [message, *pending])
    con.execute(
        f"""insert into audit.rekeys select rekey_id, old_fingerprint, new_fingerprint, 'published', rows_updated,
              ids_mapped, archive_folders, started_at, current_timestamp, ?
            from audit.rekeys where status = 'done' and rekey_id in ({marks})""", [message, *pending])


def published_load(con, la_code: str, drop_sha256: str) -> str | None:
    """The load that already published this exact drop for this LA, if any."""
    row = con.execute(
        """select load_id from audit.loads where la_code = ? and drop_sha256 = ? and status = 'published'
           order by finished_at desc limit 1""",
        [la_code, drop_sha256],
    ).fetchone()
    return row[0] if row else None


_ARROW_TYPES = {"VARCHAR": "string", "DATE": "date32", "INTEGER": "int64"}


@dataclass
class RawRows:
    """One file's valid rows, typed for its raw table (meta columns included), ready to append.

    Built where the drop was validated (a worker process, for a run of several drops) as an Arrow
    table: it crosses the process boundary as buffers, and DuckDB appends it without a copy.
    """

    table: str
    file_name: str
    rows: pa.Table

    @property
    def count(self) -> int:
        return self.rows.num_rows


def raw_rows(ef: ExtractFrame, rejected: set[int], meta: dict) -> RawRows:
    """The rows of `ef` not in `rejected` (line numbers), typed for raw.<table>, with `meta` on each."""
    import pyarrow as pa

    keep = ~ef.frame[ROW].isin(rejected).to_numpy() if rejected else np.ones(ef.rows, dtype=bool)
    n = int(keep.sum())
    columns: dict[str, pa.Array] = {}
    for col in ef.table.columns:
        if not col.loaded:
            continue
        arrow_type = getattr(pa, _ARROW_TYPES[RAW_TYPES[col.kind]])()
        if col.name not in ef.frame.columns:
            arr = pa.nulls(n, arrow_type)
        elif col.kind in ("date", "dob"):
            arr = pa.array(ef.dates(col.name)[keep], from_pandas=True).cast(arrow_type)
        elif col.kind == "int":
            values = ef.frame[col.name][keep]
            arr = pa.array(pd.to_numeric(values, errors="coerce").astype("Int64"), type=arrow_type)
        else:
            arr = _kept_text(ef.frame[col.name], keep, arrow_type)
        columns[col.warehouse_name] = arr
    for name, value in meta.items():
        arrow_type = getattr(pa, _ARROW_TYPES[META_COLUMNS[name]])()
        columns[name] = pa.repeat(pa.scalar(value, arrow_type), n)
    columns["source_row"] = pa.array(ef.frame[ROW].to_numpy(dtype="int64")[keep])
    return RawRows(ef.table.name, ef.file_name, pa.table(columns))


def _kept_text(values: pd.Series, keep: np.ndarray, arrow_type):
    """A text column's kept rows. One the reader left in Arrow is filtered there: a copy to Python
    objects and back was most of the typing of a national run's 8.5 M rows."""
    import pyarrow as pa

    arr = arrow_text(values)
    if arr is not None:
        return arr.filter(pa.array(keep)).cast(arrow_type)
    return pa.array(values.to_numpy(dtype=object)[keep], type=arrow_type, from_pandas=True)


@contextlib.contextmanager
def transaction(con: Backend) -> Iterator[Backend]:
    """BEGIN ... COMMIT, rolled back on any error: the statements inside land together or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):  # a failed COMMIT has already ended the transaction
            con.execute("ROLLBACK")
        raise


def load_rows(con: Backend, tables: list[RawRows], **load) -> dict[str, int]:
    """Append every file's typed rows to raw, in one transaction, and make this load current
    (`load`: register_load's keywords).

    Returns rows loaded per file. A crash mid-way rolls back: raw never holds half a load.
    """
    with transaction(con):
        insert_raw(con, tables)
        return register_load(con, tables, **load)


def insert_raw(con: Backend, tables: list[RawRows]) -> None:
    """Append typed rows to their raw tables: one insert per table, however many loads they come from.

    A batch of drops loaded in one transaction holds each raw table's rows several times over;
    Arrow joins them without copying, and each INSERT has a fixed cost (plan, scan set-up) that
    a national run would otherwise pay 13 times a drop."""
    import pyarrow as pa

    parts: dict[str, list[pa.Table]] = {}
    for t in tables:
        parts.setdefault(t.table, []).append(t.rows)
    for table, rows in parts.items():
        joined = rows[0] if len(rows) == 1 else pa.concat_tables(rows, promote_options="permissive")
        con.insert_frame(f"raw.{table}", joined, joined.column_names)


def register_load(
    con: Backend,
    tables: list[RawRows],
    *,
    load_id: str,
    la_code: str,
    extract_date: dt.date,
    as_at_date: dt.date | None = None,
    coverage_start: dt.date | None = None,
) -> dict[str, int]:
    """Rows loaded per file of a load whose rows `insert_raw` appended; make it its LA's current load."""
    loaded: dict[str, int] = {}
    for t in tables:
        loaded[t.file_name] = loaded.get(t.file_name, 0) + t.count
    set_current_load(con, la_code, load_id, extract_date, as_at_date, coverage_start)
    return loaded


def set_current_load(
    con,
    la_code: str,
    load_id: str,
    extract_date: dt.date,
    as_at_date: dt.date | None = None,
    coverage_start: dt.date | None = None,
) -> None:
    """A backfilled older drop is kept in raw but does not displace a newer current extract.

    as_at_date is the load's reporting date D (default: its extract date E)."""
    row = con.execute("select extract_date from raw.current_load where la_code = ?", [la_code]).fetchone()
    if row and row[0] > extract_date:
        return
    con.execute("delete from raw.current_load where la_code = ?", [la_code])
    con.execute(
        "insert into raw.current_load (la_code, load_id, extract_date, as_at_date, coverage_start) values (?, ?, ?, ?, ?)",
        [la_code, load_id, extract_date, as_at_date or extract_date, coverage_start],
    )


def discard_load(con, load_id: str) -> None:
    """Remove an unpublished load's raw rows and point its LA back at its last published load."""
    for t in contract.tables():
        con.execute(f"delete from raw.{t} where load_id = ?", [load_id])
    con.execute("delete from raw.current_load where load_id = ?", [load_id])
    con.execute(
        """insert into raw.current_load (la_code, load_id, extract_date, as_at_date, coverage_start)
           select la_code, load_id, extract_date, coalesce(as_at_date, extract_date), coverage_start from (
             select la_code, load_id, extract_date, as_at_date, coverage_start,
                    row_number() over (partition by la_code order by extract_date desc, finished_at desc) as rn
             from audit.loads where status = 'published'
               and la_code not in (select la_code from raw.current_load)
           ) latest where rn = 1""",
    )


def drop_orphan_relations(con, manifest: dict) -> list[str]:
    """Drop the tables and views in dbt's schemas that the project no longer builds (a model renamed
    or removed): they would keep child-level rows no erasure or retention reaches, and show BI tools
    figures nothing refreshes. Only schemas that hold models and no sources are swept; returns
    'schema.name' of each relation dropped (names only)."""
    nodes = [n for n in manifest.get("nodes", {}).values() if n.get("resource_type") in ("model", "seed", "snapshot")]
    sources = manifest.get("sources", {}).values()
    known = {(n["schema"].lower(), (n.get("alias") or n["name"]).lower()) for n in nodes}
    swept = ({n["schema"].lower() for n in nodes if n["resource_type"] == "model"}
             - {s["schema"].lower() for s in sources})
    if not swept:
        return []
    marks = ", ".join("?" for _ in swept)
    found = con.execute(
        f"""select table_schema, table_name, table_type from information_schema.tables
            where table_catalog = current_database() and lower(table_schema) in ({marks})
            order by 1, 2""", sorted(swept)).fetchall()
    cascade = " cascade" if getattr(con, "name", "duckdb") == "postgres" else ""
    dropped = []
    for schema, name, kind in found:
        if (schema.lower(), name.lower()) in known:
            continue
        what = "view" if "VIEW" in str(kind).upper() else "table"
        con.execute(f'drop {what} if exists "{schema}"."{name}"{cascade}')
        dropped.append(f"{schema}.{name}")
    return dropped


def recover_unfinished(con) -> list[str]:
    """Loads that started but never reached a final status (killed): discard and record them."""
    ids = [
        r[0]
        for r in con.execute(
            """select distinct load_id from audit.load_steps
               where load_id not in (select load_id from audit.loads)"""
        ).fetchall()
    ]
    for load_id in ids:
        discard_load(con, load_id)
        con.execute(
            """insert into audit.loads (load_id, status, finished_at, message)
               values (?, 'crashed', current_timestamp, 'run ended without a final status; its rows were discarded')""",
            [load_id],
        )
    return ids


def record_issues(con, load_id: str, issues: pd.DataFrame) -> None:
    if issues.empty:
        return
    df = issues[ISSUE_COLUMNS].copy()
    df.insert(0, "load_id", load_id)
    df["row_number"] = df["row_number"].astype("Int64")
    con.insert_frame("audit.validation_results", df)


def record_rows(con, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    con.insert_frame(f"audit.{table}", pd.DataFrame(rows))
