"""Backfill: a range of historical drops under one root, loaded oldest first, built once."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from flows.backfill import list_drops

D1, D2, D3 = dt.date(2023, 3, 31), dt.date(2024, 3, 31), dt.date(2025, 3, 31)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """Three drops of one LA, written newest first; a folder that is not a drop; a stray file."""
    from permanence.synth import generate_region

    root = tmp_path_factory.mktemp("drops")
    for seed, date in ((3, D3), (1, D1), (2, D2)):
        generate_region(root, las=1, children=40, years=2, seed=seed, extract_date=date)
    (root / "notes").mkdir()
    (root / "README.txt").write_text("not a drop")
    return root


def test_list_drops_in_date_order_within_range(root):
    assert [d for d, _ in list_drops(str(root))] == [D1, D2, D3]
    assert [d for d, _ in list_drops(str(root), start=D2)] == [D2, D3]
    assert [d for d, _ in list_drops(str(root), end=D2)] == [D1, D2]
    assert list_drops(str(root), start=D3 + dt.timedelta(days=1)) == []
    assert all(url.startswith(str(root)) for _, url in list_drops(str(root)))


def test_list_drops_reads_the_manifest_date_first(tmp_path):
    drop = tmp_path / "root" / "latest"  # no date in the name: the manifest says
    drop.mkdir(parents=True)
    (drop / "manifest.json").write_text(json.dumps({"extract_date": "2024-09-30"}))
    assert list_drops(f"file://{tmp_path / 'root'}") == [(dt.date(2024, 9, 30), str(drop))]


@pytest.mark.slow
def test_backfill_flow_loads_oldest_first_and_builds_once(root, tmp_path, monkeypatch):
    from prefect.testing.utilities import prefect_test_harness

    from flows.backfill import backfill

    monkeypatch.setenv("PERMANENCE_HMAC_KEY", "dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98")
    warehouse = tmp_path / "data" / "warehouse" / "permanence.duckdb"
    with prefect_test_harness(server_startup_timeout=120):
        summaries = backfill(source_root=str(root), la_code="894", start=D2, end=None,
                             warehouse=str(warehouse), data_dir=str(tmp_path / "data"))
    assert [s.status for s in summaries] == ["published", "published"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loads = con.execute("""select extract_date from audit.loads where status = 'published'
                               order by started_at""").fetchall()
        assert [r[0] for r in loads] == [D2, D3]  # oldest first
        assert con.execute("select extract_date from raw.current_load").fetchall() == [(D3,)]
        # dbt built once, for both loads
        assert con.execute("select count(*), count(distinct started_at) from audit.load_steps where step = 'transform'").fetchone() == (2, 1)
        assert con.execute("select distinct extract_date from staging.stg_ssda903__episodes").fetchall() == [(D3,)]

    again = None
    with prefect_test_harness(server_startup_timeout=120):
        again = backfill(source_root=str(root), la_code="894", warehouse=str(warehouse), data_dir=str(tmp_path / "data"))
    # D1 is new (loaded, but older: D3 stays current); D2 and D3 were published already: skipped
    assert [s.status for s in again] == ["published", "skipped", "skipped"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select extract_date from raw.current_load").fetchall() == [(D3,)]
