"""Warehouse backends: the embedded DuckDB file, or a shared PostgreSQL database.

permanence.warehouse is written once against this small interface:

    con.execute(sql, params)      # `?` placeholders on both; returns something with fetchone/fetchall
    con.insert_frame(table, df)   # append a pandas frame or Arrow table (DuckDB: register + insert; PG: COPY ... CSV)
    con.ddl_type("DOUBLE")        # the backend's name for a DuckDB column type
    with con: ...                 # closes the connection on exit (as duckdb's own connection does)

Transactions are explicit (`BEGIN TRANSACTION` / `COMMIT` / `ROLLBACK` through execute): both
backends run in autocommit otherwise, so each statement outside one is its own transaction.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd


class _Fetched:
    """A statement's rows, already read: fetchone / fetchall as on a DB-API cursor."""

    def __init__(self, rows: list[tuple]):
        self._rows = iter(rows)

    def fetchone(self) -> tuple | None:
        return next(self._rows, None)

    def fetchall(self) -> list[tuple]:
        return list(self._rows)


class DuckDBBackend:
    """A thin wrapper over a duckdb connection; anything else is passed through to it."""

    name = "duckdb"

    def __init__(self, path: Path):
        import duckdb

        path.parent.mkdir(parents=True, exist_ok=True)
        self.raw = duckdb.connect(str(path))
        self._many_writes = False  # expect_many_writes: threads to reset before the closing checkpoint

    def execute(self, sql: str, params: Any = None) -> _Fetched:
        # Fetched whole: a result left half-read (fetchone) would block the next statement on a
        # connection held for a whole run (warehouse.held).
        cur = self.raw.execute(sql, params) if params is not None else self.raw.execute(sql)
        return _Fetched(cur.fetchall() if cur.description else [])

    def insert_frame(self, table: str, df: pd.DataFrame, columns: list[str] | None = None) -> None:
        names = columns or (df.column_names if hasattr(df, "column_names") else list(df.columns))
        cols = ", ".join(f'"{c}"' for c in names)
        self.raw.register("_incoming_frame", df)
        try:
            self.raw.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming_frame")
        finally:
            self.raw.unregister("_incoming_frame")

    @staticmethod
    def ddl_type(duckdb_type: str) -> str:
        return duckdb_type

    def expect_many_writes(self) -> None:
        # DuckDB checkpoints the WAL into the file every 16 MB by default: every other drop at
        # national scale, each checkpoint costing more than the drop's insert. 256 MB bounds the
        # WAL (and the memory its rows hold) while checkpointing a few times a run; closing
        # the connection checkpoints the rest.
        self.raw.execute("SET checkpoint_threshold = '256MB'")
        # These writes are small appends made while worker processes clean the next drops on
        # every core: DuckDB's own threads only add scheduling to each insert and commit (a
        # national drop's load took a sixth less CPU on one thread).
        self.raw.execute("SET threads = 1")
        self._many_writes = True

    def close(self) -> None:
        if self._many_writes:
            # Closing checkpoints the WAL: a rewrite of every appended row, on every core.
            self.raw.execute("RESET threads")
        self.raw.close()

    def __getattr__(self, name: str):  # register, sql, ... for callers that want DuckDB itself
        return getattr(self.raw, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_PG_TYPES = {"DOUBLE": "DOUBLE PRECISION"}
_PLACEHOLDER = re.compile(r"\?")


class PostgresBackend:
    """psycopg2 in autocommit, `?` turned into `%s`, frames appended with COPY FROM STDIN (CSV)."""

    name = "postgres"
    NULL = r"\N"

    def __init__(self, **conninfo: Any):
        import psycopg2

        self.raw = psycopg2.connect(**conninfo)
        self.raw.autocommit = True  # BEGIN/COMMIT are explicit, as on DuckDB

    @staticmethod
    def _sql(sql: str, params: Any) -> str:
        if params is None:
            return sql
        return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))

    def execute(self, sql: str, params: Any = None):
        cur = self.raw.cursor()
        cur.execute(self._sql(sql, params), params)
        return cur

    def insert_frame(self, table: str, df: pd.DataFrame, columns: list[str] | None = None) -> None:
        if not isinstance(df, pd.DataFrame):  # an Arrow table: DATEs come back as datetime.date
            df = df.to_pandas()
        cols = columns or list(df.columns)
        if df.empty:
            return
        buf = io.StringIO()
        _csv_frame(df[cols]).to_csv(buf, index=False, header=False, na_rep=self.NULL,
                                    quoting=csv.QUOTE_MINIMAL, date_format="%Y-%m-%d %H:%M:%S.%f")
        buf.seek(0)
        col_list = ", ".join(f'"{c}"' for c in cols)
        with self.raw.cursor() as cur:
            cur.copy_expert(f"COPY {table} ({col_list}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)

    def expect_many_writes(self) -> None:
        pass  # the server manages its own WAL and checkpoints

    @staticmethod
    def ddl_type(duckdb_type: str) -> str:
        return re.sub(r"\b(\w+)\b", lambda m: _PG_TYPES.get(m.group(1).upper(), m.group(1)), duckdb_type)

    @contextlib.contextmanager
    def advisory_lock(self, key: str) -> Iterator[bool]:
        """Session lock on `key` + the database's name, without waiting: True if taken, False if held
        by another session. Released on exit, or by the server when this connection ends."""
        lock = "hashtext(? || current_database())"
        got = self.execute(f"select pg_try_advisory_lock({lock})", [key]).fetchone()[0]
        try:
            yield bool(got)
        finally:
            if got:
                self.execute(f"select pg_advisory_unlock({lock})", [key])

    def close(self) -> None:
        self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Whole-number float columns (ints that met a None in a list of dicts) written as integers."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_float_dtype(s.dtype):
            vals = s.dropna()
            if vals.map(lambda v: math.isfinite(v) and float(v).is_integer()).all():
                out[c] = s.astype("Int64")
    return out
