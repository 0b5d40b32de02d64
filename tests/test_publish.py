"""Publication for readers: marts + reference only, read-only, atomic; Parquet per day with `latest`."""

from __future__ import annotations

import datetime as dt
import os
import threading

import duckdb
import pytest

from permanence.config import Settings
from permanence.publish import export_parquet, latest_parquet, publish_warehouse
from permanence.synth import generate_region
from tests.pipeline_helpers import run_drops


def _toy_warehouse(path, marker: int):
    with duckdb.connect(str(path)) as con:
        for schema in ("raw", "staging", "intermediate", "audit", "marts", "reference"):
            con.execute(f"create schema if not exists {schema}")
        con.execute("create or replace table raw.episodes as select 'CHILD-1' as child")
        con.execute("create or replace view staging.v as select * from raw.episodes")
        con.execute("create or replace table audit.loads as select 1 as x")
        con.execute(f"create or replace table marts.m as select range as i, {marker} as marker from range(1000)")
        con.execute("create or replace table reference.unit_costs as select 'K2' as place, 4000 as cost")


def test_published_copy_holds_only_marts_and_reference(tmp_path):
    wh = tmp_path / "w" / "permanence.duckdb"
    wh.parent.mkdir()
    _toy_warehouse(wh, 1)
    pub = publish_warehouse(wh, tmp_path / "pub")
    assert pub.path == tmp_path / "pub" / "permanence.duckdb"
    assert pub.tables == {"marts.m": 1000, "reference.unit_costs": 1}
    assert not os.access(pub.path, os.W_OK) or os.geteuid() == 0
    assert oct(pub.path.stat().st_mode & 0o777) == "0o400"  # the BI group's bit comes with PERMANENCE_BI_GROUP
    with duckdb.connect(str(pub.path), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
        assert schemas == {"marts", "reference"}
        with pytest.raises(duckdb.Error):
            con.execute("create table marts.x as select 1")
    assert not list((tmp_path / "pub").glob(".*tmp*"))  # no leftovers


def test_replace_is_atomic_for_a_reader_holding_the_old_copy(tmp_path):
    wh = tmp_path / "permanence.duckdb"
    _toy_warehouse(wh, 1)
    pub = publish_warehouse(wh, tmp_path / "pub").path
    reader = duckdb.connect(str(pub), read_only=True)
    inode = pub.stat().st_ino
    _toy_warehouse(wh, 2)
    publish_warehouse(wh, tmp_path / "pub")
    assert pub.stat().st_ino != inode  # a new file renamed over the old name
    assert reader.execute("select min(marker), max(marker), count(*) from marts.m").fetchone() == (1, 1, 1000)
    reader.close()
    with duckdb.connect(str(pub), read_only=True) as con:
        assert con.execute("select min(marker), max(marker), count(*) from marts.m").fetchone() == (2, 2, 1000)


def test_parquet_per_day_with_latest_pointer(tmp_path):
    wh = tmp_path / "permanence.duckdb"
    _toy_warehouse(wh, 1)
    pub = publish_warehouse(wh, tmp_path / "pub").path
    out = tmp_path / "pub" / "parquet"
    d1 = export_parquet(pub, out, dt.date(2025, 3, 1))
    d2 = export_parquet(pub, out, dt.date(2025, 3, 2))
    again = export_parquet(pub, out, dt.date(2025, 3, 2))  # same day twice: replaced whole
    assert d1.name == "2025-03-01" and d2 == again
    assert (d1 / "m.parquet").exists() and not (d1 / "unit_costs.parquet").exists()
    assert (out / "LATEST").read_text().strip() == "2025-03-02"
    assert (out / "latest").is_symlink() and os.readlink(out / "latest") == "2025-03-02"
    assert latest_parquet(out) == d2
    assert duckdb.sql(f"select count(*) from '{out / 'latest' / 'm.parquet'}'").fetchall() == [(1000,)]
    assert sorted(p.name for p in out.iterdir()) == ["2025-03-01", "2025-03-02", "LATEST", "latest"]


@pytest.mark.slow
def test_reader_holds_published_copy_while_a_full_run_completes(tmp_path):
    """A BI reader keeps a connection on the published copy across a whole nightly run: the run is not
    blocked, the reader keeps a consistent old snapshot, and a new connection sees the new build."""
    drops = generate_region(tmp_path / "region", las=2, children=40, years=2, seed=11)
    settings = Settings(data_dir=tmp_path / "data")
    first = run_drops(settings, [(str(drops[0].path), drops[0].la_code)])
    assert [r.status for r in first] == ["published"]
    published = settings.published_dir / settings.warehouse_path.name

    reader = duckdb.connect(str(published), read_only=True)
    sql = "select count(distinct la_code), count(*) from marts.periods_of_care"
    before = reader.execute(sql).fetchone()
    assert before[0] == 1
    stop, seen, errors = threading.Event(), set(), []

    def keep_reading():
        cur = reader.cursor()
        while not stop.is_set():
            try:
                seen.add(cur.execute(sql).fetchone())
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
                return

    t = threading.Thread(target=keep_reading)
    t.start()
    try:
        second = run_drops(settings, [(str(drops[1].path), drops[1].la_code)])
    finally:
        stop.set()
        t.join()
    assert [r.status for r in second] == ["published"]
    assert not errors
    assert seen == {before}  # the reader only ever saw the old snapshot, whole
    reader.close()
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute(sql).fetchone()[0] == 2
        schemas = {r[0] for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
    assert schemas <= {"marts", "reference"} and "marts" in schemas
    day = latest_parquet(settings.published_dir / "parquet")
    assert (day / "spg_cohort_children.parquet").exists()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        marts = {r[0] for r in con.execute(
            "select table_name from audit.published_marts where load_id = ?", [second[0].load_id]).fetchall()}
    assert "marts.spg_cohort_summary" in marts
