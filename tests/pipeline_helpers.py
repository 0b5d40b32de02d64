"""Run the nightly flow's steps without a Prefect server: its own `ingest`, with each task's `.fn`.

One test per flow uses the real Prefect harness (tests/test_flow.py); everything else runs here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from unittest import mock

from prefect.utilities.annotations import quote

from flows import nightly as f
from permanence import pipeline, warehouse
from permanence.config import Settings


class _PlainTask:
    """A task's function, called as the flow calls the task (`with_options` included)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args, **kwargs):
        # the flow hands Prefect its loads quoted (not walked); Prefect unwraps them for the task
        args = [a.unwrap() if isinstance(a, quote) else a for a in args]
        return self.fn(*args, **kwargs)

    def with_options(self, **_options) -> "_PlainTask":
        return self


@contextlib.contextmanager
def plain_tasks() -> Iterator[None]:
    """The flow's per-drop tasks as plain functions, so `nightly.ingest` runs outside a flow."""
    with contextlib.ExitStack() as stack:
        for name in ("pull", "load"):
            stack.enter_context(mock.patch.object(f, name, _PlainTask(getattr(f, name).fn)))
        yield


def ingest(settings: Settings, drops: list[tuple[str, str]], key: bytes = b"test-key",
           as_at: dt.date | None = None) -> list[pipeline.Ingested]:
    """Pull, clean and load each drop as the flow does (workers per settings.workers), nothing after."""
    pipeline.prepare(settings)
    with plain_tasks(), warehouse.held(settings):
        return f.ingest(settings, key, drops, as_at)


def run_drops(settings: Settings, drops: list[tuple[str, str]], key: bytes = b"test-key",
              as_at: dt.date | None = None) -> list[pipeline.Ingested]:
    runs = ingest(settings, drops, key, as_at)
    f.transform.fn(settings, runs, as_at)
    f.checks.fn(settings, runs)
    f.publish.fn(settings, runs)
    return runs


def build(settings: Settings, **kwargs) -> None:
    """The nightly dbt build (data tests, no unit tests) on the settings' warehouse, either target;
    kwargs go to run_dbt (full_refresh=True, vars=...)."""
    from permanence.transform.dbt import run_dbt

    run_dbt("build", warehouse=settings.warehouse_path if settings.target == "duckdb" else None,
            artifacts_dir=settings.dbt_target_dir, exclude="test_type:unit", **pipeline._dbt_target(settings), **kwargs)


BUILD_COLUMNS = ("built_from_load", "build_key")  # per-LA incremental bookkeeping (per_la_incremental.sql)


def model_rows(settings: Settings) -> dict[str, list[tuple]]:
    """Every intermediate and mart table's rows, sorted, without the incremental bookkeeping columns
    (their load ids and build key say how a row was built, not what it says): what two builds of the
    same loads must agree on. Doubles are compared to 12 significant digits: DuckDB sums and averages
    them in whatever order its threads finish, so the last bits differ between two equal builds."""
    out: dict[str, list[tuple]] = {}
    with warehouse.connect(settings) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('intermediate', 'marts') and table_type = 'BASE TABLE' "
            "order by table_schema, table_name"
        ).fetchall()
        for schema, table in tables:
            cols = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, table]).fetchall() if c not in BUILD_COLUMNS]
            rows = [tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in row) for row in
                    con.execute(f"select {', '.join(chr(34) + c + chr(34) for c in cols)} from {schema}.{table}").fetchall()]
            out[f"{schema}.{table}"] = sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r))
    return out


def differing_models(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> list[str]:
    """The models whose rows differ between two `model_rows` results (a readable failure message)."""
    return sorted(t for t in a.keys() | b.keys() if a.get(t) != b.get(t))
