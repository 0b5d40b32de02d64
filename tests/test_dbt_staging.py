"""dbt staging layer: builds on a raw/audit DuckDB laid out as the load step writes it.

The raw layout is created here with plain DDL from permanence.contract (not the load module),
so these tests pin the contract between the load step and dbt; the audit tables come from their
one definition, permanence.audit.schema.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import yaml

from permanence.audit import schema as audit_schema
from permanence.contract import dbt_sources, tables
from permanence.warehouse import CURRENT_LOAD_DDL
from permanence.transform.dbt import DbtError, dbt_project_dir, run_dbt

STAGING = dbt_project_dir() / "models" / "staging"
_TYPES = {"child_id": "VARCHAR", "staff_id": "VARCHAR", "date": "DATE", "dob": "DATE", "int": "INTEGER"}
META = ("load_id VARCHAR, la_code VARCHAR, extract_date DATE, source_file VARCHAR, "
        "source_sha256 VARCHAR, source_row INTEGER")
C1, C2 = "a" * 64, "b" * 64  # pseudonyms look like 64-hex HMACs


def make_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    for name, t in tables().items():
        cols = ", ".join(f"{c.warehouse_name} {_TYPES.get(c.kind, 'VARCHAR')}" for c in t.columns if c.loaded)
        con.execute(f"create table raw.{name} ({cols}, {META})")
    con.execute(f"create table raw.current_load ({CURRENT_LOAD_DDL})")
    audit_schema.create_audit_schema(con)
    return con


def episode(con, load_id: str, extract: dt.date, row: int, child: str, decom: dt.date, dec=None, rec=None):
    con.execute(
        "insert into raw.episodes (child, decom, rne, ls, cin, place, place_provider, dec, rec,"
        " reason_place_change, home_post, pl_post, urn, load_id, la_code, extract_date, source_file,"
        " source_sha256, source_row) values (?, ?, 'S', 'C2', 'N1', 'U4', 'PR1', ?, ?, null, 'AB1', 'AB2',"
        " null, ?, '999', ?, 'episodes.csv', ?, ?)",
        [child, decom, dec, rec, load_id, extract, "0" * 64, row],
    )


def header(con, load_id: str, extract: dt.date, row: int, child: str):
    con.execute(
        "insert into raw.header (child, sex, dob, ethnic, mother, mc_dob, load_id, la_code, extract_date,"
        " source_file, source_sha256, source_row) values (?, 'M', DATE '2012-05-01', 'WBRI', null, null,"
        " ?, '999', ?, 'header.csv', ?, ?)",
        [child, load_id, extract, "0" * 64, row],
    )


def two_loads(path: Path, duplicate_in_current: bool = False) -> None:
    """Load L1 (old extract) and L2 (current) for LA 999; raw keeps both."""
    con = make_warehouse(path)
    d1, d2 = dt.date(2025, 3, 31), dt.date(2025, 6, 30)
    episode(con, "L1", d1, 1, C1, dt.date(2024, 1, 10))
    episode(con, "L1", d1, 2, C2, dt.date(2024, 2, 1))
    header(con, "L1", d1, 1, C1)
    header(con, "L1", d1, 2, C2)
    episode(con, "L2", d2, 1, C1, dt.date(2024, 1, 10), dt.date(2025, 5, 1), "E11")
    header(con, "L2", d2, 1, C1)
    if duplicate_in_current:
        episode(con, "L2", d2, 2, C1, dt.date(2024, 1, 10))
    con.execute("insert into raw.current_load (la_code, load_id, extract_date) values ('999', 'L2', ?)", [d2])
    con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dbt_ok")
    wh = tmp / "warehouse.duckdb"
    two_loads(wh)
    # the extract's staging models; published reference data has staging models of its own
    outcome = run_dbt("build", warehouse=wh, select="staging", exclude="path:models/staging/reference",
                      artifacts_dir=tmp / "dbt")
    return wh, outcome, tmp


def test_build_succeeds_with_every_staging_model(built):
    wh, outcome, tmp = built
    assert outcome.success and not outcome.failed_nodes  # C1's episode is in L1 and L2: history, not a duplicate
    assert outcome.counts.get("success", 0) == len(tables())  # one view per contract table
    assert outcome.counts.get("pass", 0) > len(tables())
    assert (tmp / "dbt" / "target" / "manifest.json").exists()
    assert (tmp / "dbt" / "logs" / "dbt.log").exists()
    # keep_open: false -> the file is free again for another process or a fresh connection
    con = duckdb.connect(str(wh))
    views = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'staging' and table_type = 'VIEW'"
        ).fetchall()
    }
    con.close()
    assert views == {f"stg_{t.family}__{n}" for n, t in tables().items()}


def test_staging_reads_only_current_load_with_readable_names(built):
    wh, _, _ = built
    con = duckdb.connect(str(wh), read_only=True)
    try:
        rows = con.execute(
            "select child_id, episode_start_date, episode_end_date, reason_episode_ceased, legal_status,"
            " placement_type, placement_provider, reason_new_episode, la_code, load_id, extract_date, source_row"
            " from staging.stg_ssda903__episodes"
        ).fetchall()
        assert rows == [(C1, dt.date(2024, 1, 10), dt.date(2025, 5, 1), "E11", "C2", "U4", "PR1", "S", "999", "L2",
                         dt.date(2025, 6, 30), 1)]
        assert con.execute("select child_id, birth_month, load_id from staging.stg_ssda903__header").fetchall() == [
            (C1, dt.date(2012, 5, 1), "L2")
        ]
        assert con.execute("select count(*) from raw.episodes").fetchone()[0] == 3  # raw keeps history
        cols = [r[0] for r in con.execute("describe staging.stg_extras__cla_care_plan").fetchall()]
        assert cols[:4] == ["child_id", "care_plan_start_date", "care_plan_end_date", "permanence_plan"]
        assert "lacp_person_id" not in cols and "source_file" not in cols
    finally:
        con.close()


def test_duplicate_key_in_current_load_raises_one_line_error(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    two_loads(wh, duplicate_in_current=True)
    with pytest.raises(DbtError) as err:
        run_dbt("build", warehouse=wh, select="stg_ssda903__episodes", artifacts_dir=tmp_path / "dbt")
    msg = str(err.value)
    assert "\n" not in msg
    assert "stg_ssda903__episodes_primary_key" in msg
    assert C1 not in msg and "2024-01-10" not in msg  # no row values
    assert err.value.outcome.failed_nodes == ["test stg_ssda903__episodes_primary_key"]


def test_parse_with_postgres_target_needs_no_server(tmp_path, monkeypatch):
    monkeypatch.setenv("PERMANENCE_PG_HOST", "host.invalid")  # would fail if parse connected
    outcome = run_dbt("parse", target="postgres", artifacts_dir=tmp_path / "dbt")
    assert outcome.success
    assert (tmp_path / "dbt" / "target" / "manifest.json").exists()


def test_docs_generate(built):
    wh, _, tmp = built
    outcome = run_dbt("docs generate", warehouse=wh, artifacts_dir=tmp / "dbt")
    assert outcome.success
    assert (tmp / "dbt" / "target" / "catalog.json").exists()


def test_checked_in_sources_are_what_the_contract_generates():
    # _sources.yml is generated from tables.yaml: edit the YAML, then `make sources`.
    assert (STAGING / "_sources.yml").read_text(encoding="utf-8") == dbt_sources.render(), (
        "dbt_project/models/staging/_sources.yml is stale: run `make sources`")


def test_audit_sources_name_only_columns_the_audit_ddl_creates():
    pipeline = yaml.safe_load((STAGING / "_pipeline_sources.yml").read_text())["sources"]
    audit = next(s for s in pipeline if s["name"] == "audit")
    for t in audit["tables"]:
        assert {c["name"] for c in t["columns"]} <= set(audit_schema.columns(t["name"])), t["name"]


def test_staging_yaml_covers_the_contract():
    sources = [s for f in ("_sources.yml", "_pipeline_sources.yml")
               for s in yaml.safe_load((STAGING / f).read_text())["sources"]]
    by_source = {s["name"]: {t["name"]: t for t in s["tables"]} for s in sources}
    assert set(by_source) == {"ssda903", "extras", "pipeline", "audit"}
    models = {m["name"]: m for m in yaml.safe_load((STAGING / "_staging.yml").read_text())["models"]}
    for name, t in tables().items():
        src = by_source[t.family][name]
        assert [c["name"] for c in src["columns"]][: len([c for c in t.columns if c.loaded])] == [
            c.warehouse_name for c in t.columns if c.loaded
        ]
        assert all(c.get("description") for c in src["columns"]), name
        model = models[f"stg_{t.family}__{name}"]
        assert all(c.get("description") for c in model["columns"]), name
        assert (STAGING / f"stg_{t.family}__{name}.sql").exists()
        names = {c["name"] for c in model["columns"]}
        assert {"child_id", "la_code", "load_id", "extract_date", "source_row"} <= names
        key_test = model["data_tests"][0]["primary_key"]
        assert key_test["arguments"]["columns"][0] == "la_code"
        # la_code + the table's key, and for the 903 the return's extract date (a stitched load
        # holds one row per key per yearly return; the later return wins downstream)
        per_return = 1 if t.family == "ssda903" else 0
        assert len(key_test["arguments"]["columns"]) == len(t.key) + 1 + per_return

