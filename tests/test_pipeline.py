"""The nightly run end to end on DuckDB (tasks through .fn): load, skip, quarantine, reject, recover."""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest

from permanence import pipeline
from permanence.config import Settings
from permanence.synth import generate_region, write_defective_drop
from tests.pipeline_helpers import ingest, run_drops


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    out = tmp_path_factory.mktemp("region")
    return generate_region(out, las=2, children=60, years=3, seed=7)


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="module")
def published_good(region, tmp_path_factory):
    """A data directory where the first LA's good drop is published (built once, copied per test)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("published-good") / "data")
    run_drops(settings, [(str(region[0].path), region[0].la_code)])
    return settings.data_dir


def run_or_ingest(settings, drop, la_code, full: bool):
    """The whole nightly run for one case of a family, the load steps alone for the others: what the
    family checks (rows rejected, recorded, loaded) is settled by the load; one full run shows the
    rest still builds and publishes."""
    if full:
        return run_drops(settings, [(str(drop), la_code)])
    return ingest(settings, [(str(drop), la_code)])


def q(settings, sql, params=None):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def raw_ids(drop_path) -> set[str]:
    """Every raw child identifier in a drop (read straight from its files)."""
    ids: set[str] = set()
    for p in drop_path.iterdir():
        if p.suffix == ".csv":
            df = pd.read_csv(p, dtype=str, encoding="utf-8-sig")
            for col in ("CHILD", "lacp_person_id", "perm_person_id", "cpro_person_id", "nopr_person_id", "UPN"):
                if col in df.columns:
                    ids |= set(df[col].dropna())
    return ids


def test_region_loads_builds_and_publishes(region, settings):
    runs = run_drops(settings, [(str(d.path), d.la_code) for d in region])
    assert [r.status for r in runs] == ["published", "published"]
    loads = q(settings, "select la_code, status, rows_loaded from audit.loads order by la_code")
    assert [(la, st) for la, st, _ in loads] == sorted((d.la_code, "published") for d in region)
    # every raw row carries its load and the sha256 of the file it came from
    assert q(settings, "select count(*) from raw.episodes where load_id is null or source_sha256 is null")[0][0] == 0
    hashes = {r[0] for r in q(settings, "select sha256 from audit.load_files")}
    assert {r[0] for r in q(settings, "select distinct source_sha256 from raw.episodes")} <= hashes
    # staging reads the current load of each LA
    assert q(settings, "select count(distinct la_code) from staging.stg_ssda903__episodes")[0][0] == 2
    assert_two_tiers(settings)
    for r in runs:
        assert (r.report_dir / "validation.md").exists()


def assert_two_tiers(settings) -> None:
    """Issue 13 point 4 on a real build: the BI copy holds the aggregate marts (small numbers null,
    with a reason) and reference data only; every mart, child-level ones too, is in the restricted copy."""
    import stat

    from permanence.publish.tiers import SUPPRESSED_REASON, mart_tiers

    tiers = mart_tiers()
    published = settings.published_dir / settings.warehouse_path.name
    restricted = settings.restricted_dir / settings.warehouse_path.name
    with duckdb.connect(str(published), read_only=True) as con:
        # readers get aggregate marts and reference data only: no raw, staging or child-level rows
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        assert {s for s, _ in tables} <= {"marts", "reference"}
        marts = {t for s, t in tables if s == "marts"}
        assert marts and all(tiers[t].aggregate for t in marts), marts
        with pytest.raises(duckdb.CatalogException, match="periods_of_care"):
            con.execute("select * from marts.periods_of_care")
        hidden = 0
        for t in marts:
            for col in tiers[t].small_counts:
                small = con.execute(f'select count(*) from marts."{t}" where "{col}" between 1 and ?',
                                    [settings.small_number_threshold]).fetchone()[0]
                assert small == 0, f"marts.{t}.{col}: a count from 1 to the threshold is shown"
            hidden += con.execute(f'select count(*) from marts."{t}" where {SUPPRESSED_REASON} is not null').fetchone()[0]
        assert hidden > 0  # 60 children per LA: some counts are small, and they are null with a reason
    with duckdb.connect(str(restricted), read_only=True) as con:
        assert con.execute("select count(*) from marts.periods_of_care").fetchone()[0] > 0
    assert stat.S_IMODE(settings.restricted_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(restricted.stat().st_mode) & 0o077 == 0


def test_same_drop_twice_is_a_no_op(region, settings):
    drop = region[0]
    run_drops(settings, [(str(drop.path), drop.la_code)])
    before = q(settings, "select count(*) from raw.episodes")[0][0]
    published = settings.published_dir / settings.warehouse_path.name
    mtime = published.stat().st_mtime_ns
    [again] = run_drops(settings, [(str(drop.path), drop.la_code)])
    assert again.status == "skipped"
    assert q(settings, "select count(*) from raw.episodes")[0][0] == before
    assert published.stat().st_mtime_ns == mtime


@pytest.mark.parametrize("defect", ["missing_column", "empty_file", "bad_encoding", "unreadable", "mass_bad_rows"])
def test_broken_drop_is_quarantined_and_last_good_stays_published(region, published_good, settings, tmp_path, defect):
    good = region[0]
    shutil.copytree(published_good, settings.data_dir)
    published = settings.published_dir / settings.warehouse_path.name
    before = published.read_bytes()
    bad = write_defective_drop(good.path, tmp_path / f"{good.path.name}-{defect}", defect)
    [run] = run_drops(settings, [(str(bad), good.la_code)])
    assert run.status == "quarantined"
    expected_file = json.loads((bad / "manifest.json").read_text())["defect"]["file"]
    assert expected_file in run.message
    assert published.read_bytes() == before
    status = q(settings, "select status from audit.loads where load_id = ?", [run.load_id])
    assert status == [("quarantined",)]
    assert q(settings, "select count(*) from raw.episodes where load_id = ?", [run.load_id])[0][0] == 0
    assert q(settings, "select count(*) from audit.validation_results where load_id = ?", [run.load_id])[0][0] >= 1


@pytest.mark.parametrize("defect", ["bad_code", "bad_date", "dec_before_decom", "child_not_in_header", "episode_before_dob", "duplicate_key"])
def test_row_errors_are_excluded_and_recorded_rest_loads(region, settings, tmp_path, defect):
    good = region[0]
    bad = write_defective_drop(good.path, tmp_path / f"{good.path.name}-{defect}", defect)
    info = json.loads((bad / "manifest.json").read_text())["defect"]
    full = defect == "bad_date"
    [run] = run_or_ingest(settings, bad, good.la_code, full)
    assert run.status == ("published" if full else "loaded"), run.message
    fired = q(settings, "select file_name, row_number, severity from audit.validation_results where load_id = ? and severity = 'error'", [run.load_id])
    # an overlap is reported on the later of the two episodes: the manifest's related row
    named = set(info["rows"]) | set(info.get("related_rows", []))
    assert {(info["file"], row) for row in named} & {(f, r) for f, r, _ in fired}
    rejected_rows = {r for f, r, _ in fired if f == info["file"]}
    loaded_rows = {r[0] for r in q(settings, "select source_row from raw.episodes where load_id = ? and source_file = ?", [run.load_id, info["file"]])}
    assert rejected_rows and not (rejected_rows & loaded_rows)


def test_overlap_is_recorded_as_a_repair_and_both_rows_load(region, settings, tmp_path):
    # docs/measures.md#repairs: an overlap is repaired downstream, never resolved by dropping a row.
    good = region[0]
    bad = write_defective_drop(good.path, tmp_path / f"{good.path.name}-overlap", "overlap")
    info = json.loads((bad / "manifest.json").read_text())["defect"]
    [run] = run_drops(settings, [(str(bad), good.la_code)])
    assert run.status == "published", run.message
    fired = q(settings, "select rule_code, row_number, severity from audit.validation_results where load_id = ? and file_name = ?",
              [run.load_id, info["file"]])
    assert ("501", info["related_rows"][0], "repair") in fired
    loaded = {r[0] for r in q(settings, "select source_row from raw.episodes where load_id = ? and source_file = ?", [run.load_id, info["file"]])}
    assert set(info["rows"]) | set(info["related_rows"]) <= loaded and run.rows_rejected == 0


@pytest.mark.parametrize("defect", ["bom", "crlf", "trailing_blank_rows", "lowercase_codes", "extra_column"])
def test_messy_but_valid_exports_load(region, settings, tmp_path, defect):
    good = region[0]
    bad = write_defective_drop(good.path, tmp_path / f"{good.path.name}-{defect}", defect)
    full = defect == "bom"
    [run] = run_or_ingest(settings, bad, good.la_code, full)
    assert run.status == ("published" if full else "loaded"), run.message
    assert run.rows_rejected == 0


def test_no_raw_identifier_reaches_warehouse_reports_or_published_copy(region, settings):
    runs = run_drops(settings, [(str(d.path), d.la_code) for d in region])
    ids = set().union(*(raw_ids(d.path) for d in region))
    assert ids
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        cols = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_schema in ('raw', 'audit', 'staging')"
        ).fetchall()
        con.execute("create temp table ids (v varchar)")
        con.executemany("insert into ids values (?)", [[i] for i in ids])
        for schema, table, col in cols:
            hit = con.execute(f'select count(*) from "{schema}"."{table}" where "{col}" in (select v from ids)').fetchone()[0]
            assert hit == 0, f"{schema}.{table}.{col} holds raw identifiers"
    blobs = [p.read_bytes() for r in runs for p in r.report_dir.iterdir()]
    blobs.append(settings.warehouse_path.read_bytes())
    for blob in blobs:
        for i in list(ids)[:200]:
            assert i.encode() not in blob


def test_killed_run_is_recovered_by_the_next(region, settings):
    good = region[0]
    pipeline.prepare(settings)
    run = pipeline.begin(str(good.path), good.la_code, None)
    run = pipeline.pull_step(settings, run)
    run = pipeline.record_clean(settings, pipeline.clean_drop(run, b"k", settings.bad_row_threshold))
    from permanence.progress import StepTiming
    import datetime as dt
    pipeline.record_step(settings, run, StepTiming("load", dt.datetime.now(), dt.datetime.now(), status="ok"))
    pipeline.load_step(settings, run)  # ... and the process dies here, before dbt and publish
    assert q(settings, "select count(*) from raw.episodes where load_id = ?", [run.load_id])[0][0] > 0
    [after] = run_drops(settings, [(str(good.path), good.la_code)])
    assert after.status == "published"
    assert q(settings, "select count(*) from raw.episodes where load_id = ?", [run.load_id])[0][0] == 0
    assert q(settings, "select status from audit.loads where load_id = ?", [run.load_id]) == [("crashed",)]


def test_xml_drop_loads(tmp_path, settings):
    [drop] = generate_region(tmp_path / "x", las=1, children=30, years=2, seed=3, fmt="xml")
    [run] = run_drops(settings, [(str(drop.path), drop.la_code)])
    assert run.status == "published", run.message
    assert q(settings, "select count(*) from raw.episodes")[0][0] > 0
