"""Publication for readers: marts + reference only, read-only, atomic; Parquet per day with `latest`."""

from __future__ import annotations

import datetime as dt
import os
import threading

import duckdb
import pytest

from permanence.config import Settings
from permanence.publish.copies import TIERED_MARK, export_parquet, latest_parquet, publish_warehouse, purge_untiered
from permanence.publish.tiers import AGGREGATE, CHILD, SUPPRESSED_REASON, MartTier, bi_select, mart_tiers
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
    pub = publish_warehouse(wh, tmp_path / "pub", tier="restricted")
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
    pub = publish_warehouse(wh, tmp_path / "pub", tier="restricted").path
    reader = duckdb.connect(str(pub), read_only=True)
    inode = pub.stat().st_ino
    _toy_warehouse(wh, 2)
    publish_warehouse(wh, tmp_path / "pub", tier="restricted")
    assert pub.stat().st_ino != inode  # a new file renamed over the old name
    assert reader.execute("select min(marker), max(marker), count(*) from marts.m").fetchone() == (1, 1, 1000)
    reader.close()
    with duckdb.connect(str(pub), read_only=True) as con:
        assert con.execute("select min(marker), max(marker), count(*) from marts.m").fetchone() == (2, 2, 1000)


def test_parquet_per_day_with_latest_pointer(tmp_path):
    wh = tmp_path / "permanence.duckdb"
    _toy_warehouse(wh, 1)
    pub = publish_warehouse(wh, tmp_path / "pub", tier="restricted").path
    out = tmp_path / "pub" / "parquet"
    d1 = export_parquet(pub, out, dt.date(2025, 3, 1))
    d2 = export_parquet(pub, out, dt.date(2025, 3, 2))
    again = export_parquet(pub, out, dt.date(2025, 3, 2))  # same day twice: replaced whole
    assert d1.name == "2025-03-01" and d2 == again
    assert (d1 / "m" / "m.parquet").exists() and not list(d1.rglob("unit_costs.parquet"))
    assert (out / "LATEST").read_text().strip() == "2025-03-02"
    assert (out / "latest").is_symlink() and os.readlink(out / "latest") == "2025-03-02"
    assert latest_parquet(out) == d2
    assert duckdb.sql(f"select count(*) from '{out / 'latest' / 'm' / '*.parquet'}'").fetchall() == [(1000,)]
    assert sorted(p.name for p in out.iterdir()) == ["2025-03-01", "2025-03-02", "LATEST", "latest"]


TOY_TIERS = {
    "children_list": MartTier("children_list", CHILD),
    "counts": MartTier("counts", AGGREGATE, ("children", "adopted"), {"share": ("children", "adopted")}),
}


def _tiered_warehouse(path):
    with duckdb.connect(str(path)) as con:
        for schema in ("audit", "marts", "reference"):
            con.execute(f"create schema if not exists {schema}")
        con.execute("create table marts.children_list as select 'p1' as child_id, date '2024-05-01' as period_start")
        con.execute("create table marts.unclassified as select 1 as children")  # a new mart nobody classified
        con.execute("""create table marts.counts as select * from (values
            ('A', 0::bigint, 0::bigint, null::double), ('B', 1, 1, 100.0), ('C', 5, 6, 83.3),
            ('D', 6, 6, 100.0), ('E', null, 40, null)) t(la_code, adopted, children, share)""")
        con.execute("create table reference.las as select 'A' as la_code")


def test_bi_copy_holds_aggregate_marts_only_with_small_numbers_suppressed(tmp_path):
    """The attack: a BI reader opens the published copy for child-level rows or small counts."""
    wh = tmp_path / "permanence.duckdb"
    _tiered_warehouse(wh)
    pub = publish_warehouse(wh, tmp_path / "pub", threshold=5, tiers=TOY_TIERS)  # tier "bi" is the default
    assert set(pub.tables) == {"marts.counts", "reference.las"}
    with duckdb.connect(str(pub.path), read_only=True) as con:
        with pytest.raises(duckdb.CatalogException, match="children_list"):
            con.execute("select * from marts.children_list")
        rows = con.execute(f"select la_code, adopted, children, share, {SUPPRESSED_REASON} from marts.counts "
                           "order by la_code").fetchall()
        types = dict(con.execute("select column_name, data_type from information_schema.columns "
                                 "where table_name = 'counts'").fetchall())
    assert rows == [
        ("A", 0, 0, None, None),  # zero discloses no child: shown
        ("B", None, None, None, "c (1 to 5): adopted, children, share"),
        ("C", None, 6, None, "c (1 to 5): adopted, share"),  # the share rests on the small count
        ("D", 6, 6, 100.0, None),
        ("E", None, 40, None, None),  # null already: nothing hidden, no reason
    ]
    assert types["children"] == "BIGINT" and types["share"] == "DOUBLE"  # BI tools keep their column types


def test_bi_select_refuses_child_level_marts_and_unknown_columns():
    with pytest.raises(ValueError, match="child-level"):
        bi_select("marts.children_list", ["child_id"], TOY_TIERS["children_list"], 5)
    with pytest.raises(ValueError, match="lacks"):  # a renamed count must not go out unsuppressed
        bi_select("marts.counts", ["la_code", "children", "share"], TOY_TIERS["counts"], 5)


def test_every_mart_has_a_tier_and_every_count_of_an_aggregate_mart_is_suppressed():
    import yaml

    from permanence.transform.dbt import dbt_project_dir

    marts = dbt_project_dir() / "models" / "marts"
    tiers = mart_tiers()
    sql = {p.stem for p in marts.rglob("*.sql")}  # a folder per domain
    assert len(sql) > 30 and sql <= set(tiers)
    for yml in marts.rglob("_*.yml"):
        for model in yaml.safe_load(yml.read_text()).get("models", []):  # unit-test files have none
            spec = tiers[model["name"]]
            assert model["config"]["meta"]["tier"] in (CHILD, AGGREGATE), model["name"]
            cols = {c["name"]: c.get("data_type") for c in model["columns"]}
            if spec.aggregate:  # every count column is a small count; every named column exists
                assert {c for c, t in cols.items() if t == "bigint"} <= set(spec.small_counts), model["name"]
                bi_select(f"marts.{model['name']}", list(cols), spec, 5)
    assert not tiers["periods_of_care"].aggregate and tiers["exits_by_year"].aggregate


def test_parquet_from_before_the_tiers_is_removed(tmp_path):
    wh = tmp_path / "permanence.duckdb"
    _tiered_warehouse(wh)
    pub = publish_warehouse(wh, tmp_path / "pub", tiers=TOY_TIERS)
    out = tmp_path / "pub" / "parquet"
    legacy = out / "2025-01-01"
    legacy.mkdir(parents=True)
    (legacy / "periods_of_care.parquet").write_text("x")  # an old export: child-level, unsuppressed
    day = export_parquet(pub.path, out, dt.date(2025, 3, 2))
    assert purge_untiered(out) == [legacy]
    assert (day / TIERED_MARK).exists() and sorted(p.name for p in day.rglob("*.parquet")) == ["counts.parquet"]
    # one folder per mart, documented in the file's metadata as in the marts yml


def test_parquet_one_folder_per_mart_documented_in_its_metadata(tmp_path):
    import pyarrow.parquet as pq

    from permanence.publish.tiers import mart_docs

    wh = tmp_path / "permanence.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.exits_by_year as select '894' as la_code, '2024-25' as collection_year, "
                    "'Adopted' as exit_route, 7::bigint as children")
        con.execute("create table marts.reentry as select '894' as la_code, 3::bigint as children_started")
    pub = publish_warehouse(wh, tmp_path / "pub", tier="restricted")
    day = export_parquet(pub.path, tmp_path / "pub" / "parquet", dt.date(2025, 3, 2))
    assert sorted(p.relative_to(day).as_posix() for p in day.rglob("*.parquet")) == [
        "exits_by_year/exits_by_year.parquet", "reentry/reentry.parquet"]
    meta = {k.decode(): v.decode() for k, v in pq.read_metadata(day / "exits_by_year" / "exits_by_year.parquet").metadata.items()}
    about, columns = mart_docs()["exits_by_year"]
    assert meta["mart"] == "exits_by_year" and meta["description"] == about and about
    assert meta["column:children"] == columns["children"] and columns["children"]
    # the folder of one mart reads as that mart alone
    assert duckdb.sql(f"select count(*) from read_parquet('{day / 'reentry'}/*.parquet')").fetchall() == [(1,)]


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
    sql = "select count(distinct la_code), count(*) from marts.exits_by_year"  # BI copy: aggregate marts
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
    assert (day / "exits_by_year" / "exits_by_year.parquet").exists() and not list(day.rglob("spg_cohort_children*"))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        marts = {r[0] for r in con.execute(
            "select table_name from audit.published_marts where load_id = ?", [second[0].load_id]).fetchall()}
    assert "marts.spg_cohort_summary" in marts
