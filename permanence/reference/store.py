"""The `reference` schema in the warehouse: tables created empty up front, rows replaced per family.

Every table carries source_file, source_sha256 and loaded_at so a figure traces to the published
file it came from; audit.reference_loads keeps one row per file loaded (append-only).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from permanence.audit.schema import create_audit_schema

SOURCE_COLUMNS = "source_file VARCHAR, source_sha256 VARCHAR, loaded_at TIMESTAMP"

REFERENCE_DDL: dict[str, str] = {
    "statistical_neighbours": "la_code VARCHAR, la_name VARCHAR, model VARCHAR, rank INTEGER, "
                              "neighbour_la_code VARCHAR, closeness VARCHAR",
    "las": "la_code VARCHAR, ons_code VARCHAR, la_name VARCHAR, region_code VARCHAR, status VARCHAR, "
           "date_of_operation DATE, date_of_termination DATE, entity_code VARCHAR",
    "la_regions": "la_code VARCHAR, ons_code VARCHAR, la_name VARCHAR, region_code VARCHAR, region_name VARCHAR",
    "regions": "region_code VARCHAR, region_name VARCHAR",
    "population_0_17": "la_code VARCHAR, geographic_level VARCHAR, region_code VARCHAR, year INTEGER, "
                       "population DOUBLE, suppression VARCHAR",
    "published_measures": "la_code VARCHAR, la_name VARCHAR, geographic_level VARCHAR, region_code VARCHAR, "
                          "time_period INTEGER, period VARCHAR, measure VARCHAR, value DOUBLE, "
                          "suppression VARCHAR, family VARCHAR",
    # number_as_printed is the published cell ('01:07' = 1 year 7 months); value is in `unit`.
    "adoption_stage_timings": "geographic_level VARCHAR, time_period INTEGER, period VARCHAR, cla_group VARCHAR, "
                              "stage_number INTEGER, stage VARCHAR, stage_label VARCHAR, age_group VARCHAR, "
                              "number_as_printed VARCHAR, value DOUBLE, unit VARCHAR, suppression VARCHAR",
}


def create_reference_schema(con) -> None:
    """Every reference table exists, empty until loaded, so dbt sources never meet a missing table.

    `con` is a warehouse backend (which maps the DuckDB types for PostgreSQL) or a DuckDB connection.
    """
    ddl_type = getattr(con, "ddl_type", lambda ddl: ddl)
    con.execute("CREATE SCHEMA IF NOT EXISTS reference")
    for name, ddl in REFERENCE_DDL.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS reference.{name} ({ddl_type(ddl)}, {ddl_type(SOURCE_COLUMNS)})")
    create_audit_schema(con)  # audit.reference_loads


def _columns(table: str) -> list[str]:
    ddl = f"{REFERENCE_DDL[table]}, {SOURCE_COLUMNS}"
    return [part.strip().split()[0] for part in ddl.split(",")]


def replace_rows(con, table: str, rows: list[dict], replace_on: tuple[str, ...], meta: dict) -> None:
    """Delete the rows this load supersedes, then insert the new ones (caller holds the transaction)."""
    cols = _columns(table)
    df = pd.DataFrame([{**r, **meta} for r in rows], columns=cols)
    for c, ty in zip(cols, f"{REFERENCE_DDL[table]}, {SOURCE_COLUMNS}".split(",")):
        if "VARCHAR" in ty:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    con.register("incoming_reference", df)
    try:
        if replace_on:
            keys = ", ".join(replace_on)
            con.execute(
                f"DELETE FROM reference.{table} WHERE ({keys}) IN (SELECT DISTINCT {keys} FROM incoming_reference)"
            )
        else:
            con.execute(f"DELETE FROM reference.{table}")
        col_list = ", ".join(cols)
        con.execute(f"INSERT INTO reference.{table} ({col_list}) SELECT {col_list} FROM incoming_reference")
    finally:
        con.unregister("incoming_reference")


def record_load(con, *, file: str, sha256: str | None, family: str | None, table: str | None, rows: int,
                skipped: int, message: str, loaded_at: dt.datetime) -> None:
    con.execute(
        "INSERT INTO audit.reference_loads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [file, sha256, family, table, rows, skipped, loaded_at, message],
    )
