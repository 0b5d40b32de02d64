"""Benchmark and targets marts (docs/benchmarking.md).

- dbt unit tests (ranks and quartiles with ties, a neighbour with no data, target statuses) on an
  empty warehouse;
- the nightly build needs no reference data (staging falls back to empty relations);
- from published data alone (the files in ../shared/reference) for 894 Telford and Wrekin and 332
  Dudley, through the reference flow's tasks (.fn, no Prefect server);
- the demo region (slow): computed rows for every synthetic LA beside the published ones.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from permanence.transform.dbt import run_dbt
from permanence.warehouse import connect, create_schema

REF = Path(__file__).resolve().parents[2] / "shared" / "reference"
needs_ref = pytest.mark.skipif(not REF.is_dir(), reason=f"published reference files not found at {REF}")

BENCHMARK_MEASURES = {"cla_rate_per_10k", "exit_share_adopted", "exit_share_sgo", "exit_share_cao",
                      "exit_share_returned_home", "stability_three_plus", "stability_long_term"}


def _empty_warehouse(path: Path) -> Path:
    con = connect(path)
    create_schema(con)
    con.close()
    return path


def test_benchmark_and_targets_unit_tests(tmp_path):
    wh = _empty_warehouse(tmp_path / "wh.duckdb")
    outcome = run_dbt("test", warehouse=wh, select="test_type:unit,benchmark test_type:unit,targets",
                      artifacts_dir=tmp_path / "dbt")
    assert outcome.success and outcome.counts.get("pass") == 4


def test_reference_staging_builds_on_a_warehouse_never_given_reference_data(tmp_path):
    wh = _empty_warehouse(tmp_path / "wh.duckdb")  # create_schema makes the reference tables, empty
    outcome = run_dbt("build", warehouse=wh, select="path:models/staging/reference int_benchmark__measures "
                      "int_benchmark__las", artifacts_dir=tmp_path / "dbt")
    assert outcome.success
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select count(*) from staging.stg_reference__published_measures").fetchone()[0] == 0
    con.close()


@pytest.fixture(scope="module")
def published_only(tmp_path_factory):
    if not REF.is_dir():
        pytest.skip(f"published reference files not found at {REF}")
    from flows.reference import build_benchmarks, load_reference

    tmp = tmp_path_factory.mktemp("published_only")
    wh = tmp / "wh.duckdb"
    files = load_reference.fn([str(REF)], str(wh))
    summary = build_benchmarks.fn(str(wh), str(tmp / "dbt"))
    con = duckdb.connect(str(wh), read_only=True)
    yield con, files, summary
    con.close()


@needs_ref
def test_flow_tasks_load_and_build(published_only):
    _, files, summary = published_only
    assert sum(1 for f in files if f["family"]) == 11
    assert "ok" in summary


@needs_ref
def test_reference_flow_builds_adoption_pipeline_with_the_stage_timings(published_only):
    """The reference flow rebuilds adoption_pipeline (its national columns) beside benchmark and targets."""
    con, _, _ = published_only
    assert con.execute("select count(*) from staging.stg_reference__adoption_stage_timings").fetchone()[0] == 315
    assert con.execute("select number_as_printed, value from staging.stg_reference__adoption_stage_timings "
                       "where time_period = 2025 and age_group = 'Total' and stage = 'entry_to_adopted'"
                       ).fetchone() == ("02:03", 27.0)
    # no extracts loaded here: the mart exists, with no rows
    assert con.execute("select count(*) from marts.adoption_pipeline").fetchone()[0] == 0


@needs_ref
@pytest.mark.parametrize("la", ["894", "332"])
def test_benchmark_from_published_data_alone(published_only, la):
    con, _, _ = published_only
    rows = con.execute(
        "select measure, period, source, value, neighbours_listed, neighbours_with_data, neighbour_mean, "
        "neighbour_median, region_value, england_value, rank_in_group, group_size, quartile_all_las "
        "from marts.benchmark where la_code = ?", [la]).fetchall()
    assert {r[0] for r in rows} == BENCHMARK_MEASURES
    assert {r[2] for r in rows} == {"published"}
    assert {"2024-25", "2023-24", "2019-20"} <= {r[1] for r in rows}
    for (measure, period, _, value, listed, with_data, mean, median, region, england, rank, size, quartile) in rows:
        assert listed == 10
        assert 0 <= with_data <= 10
        if value is not None and with_data:
            if measure == "cla_rate_per_10k" or measure.startswith("exit_share_"):  # a mix: never ranked
                assert rank is None and size is None and quartile is None
            else:
                assert 1 <= rank <= size == with_data + 1
                assert 1 <= quartile <= 4
            assert mean is not None and median is not None
        if value is None:
            assert rank is None and quartile is None
        assert region is not None and england is not None, (measure, period)
    name, region_code = con.execute("select distinct la_name, region_code from marts.benchmark where la_code = ?",
                                    [la]).fetchone()
    assert region_code == "E12000005" and name in ("Telford and Wrekin", "Dudley")


@needs_ref
def test_neighbour_without_data_is_left_out_and_counted(published_only):
    con, _, _ = published_only
    # suppressed neighbours (c) drop out of the stats: fewer with data than listed
    n = con.execute("select count(*) from marts.benchmark where neighbours_with_data < neighbours_listed "
                    "and neighbour_mean is not null").fetchone()[0]
    assert n > 0
    # 2025 neighbour lists name only codes; every LA with data ranks within its group size
    assert con.execute("select count(*) from marts.benchmark where rank_in_group > group_size").fetchone()[0] == 0


@needs_ref
def test_quartiles_cover_all_las(published_only):
    con, _, _ = published_only
    got = dict(con.execute("select quartile_all_las, count(*) from marts.benchmark where measure = "
                           "'stability_three_plus' and period = '2024-25' group by 1").fetchall())
    assert {1, 2, 3, 4} <= set(got)
    # lower is better: the quartile-1 LAs have fewer moves than the quartile-4 LAs
    q1, q4 = con.execute("select max(case when quartile_all_las = 1 then value end), "
                         "min(case when quartile_all_las = 4 then value end) from marts.benchmark "
                         "where measure = 'stability_three_plus' and period = '2024-25'").fetchone()
    assert q1 <= q4
    # every quartile says over which LAs it was taken
    bases = con.execute("select distinct las_with_data, quartile_basis from marts.benchmark where measure = "
                        "'stability_three_plus' and period = '2024-25' and quartile_all_las is not null").fetchall()
    assert len(bases) == 1 and bases[0][1] == f"among the {bases[0][0]} LAs with a published 2024-25 figure"
    assert con.execute("select count(*) from marts.benchmark where (quartile_all_las is null) <> "
                       "(quartile_basis is null)").fetchone()[0] == 0


@needs_ref
def test_a_mix_is_shown_beside_neighbours_but_never_ranked(published_only):
    """Exit shares and the CLA rate describe a mix, not a performance (docs/measures.md#benchmarks-and-direction)."""
    con, _, _ = published_only
    rows = con.execute("select measure, count(*), count(neighbour_mean), count(rank_in_group), count(group_size), "
                       "count(quartile_all_las), min(polarity), max(polarity) from marts.benchmark "
                       "where measure = 'cla_rate_per_10k' or measure like 'exit_share_%' group by 1").fetchall()
    assert {r[0] for r in rows} >= {"cla_rate_per_10k", "exit_share_adopted", "exit_share_returned_home"}
    for measure, n, means, ranks, sizes, quartiles, lo, hi in rows:
        assert n and means, measure
        assert (ranks, sizes, quartiles) == (0, 0, 0), measure
        assert lo == hi == "no direction", measure


@needs_ref
def test_targets_mart_from_published_data(published_only):
    con, _, _ = published_only
    rows = con.execute("select la_code, measure, status, actual_source from marts.targets").fetchall()
    assert rows and {r[2] for r in rows} <= {"green", "amber", "red", "no data"}
    assert any(r[3] == "published" and r[2] != "no data" for r in rows)


@pytest.mark.slow
@needs_ref
def test_demo_region_computed_beside_published(tmp_path):
    from flows.reference import build_benchmarks, load_reference
    from permanence.config import Settings
    from permanence.synth import generate_region
    from tests.pipeline_helpers import run_drops

    drops = generate_region(tmp_path / "drops", las=2, children=120, years=3, seed=7)
    settings = Settings(data_dir=tmp_path / "data")
    runs = run_drops(settings, [(str(d.path), d.la_code) for d in drops])  # nightly: no reference data
    assert all(r.status == "published" for r in runs)
    las = sorted(d.la_code for d in drops)
    wh = settings.warehouse_path
    con = duckdb.connect(str(wh), read_only=True)
    computed_only = con.execute("select count(*), count(neighbour_mean) from marts.benchmark "
                                "where source = 'computed'").fetchone()
    con.close()
    assert computed_only[0] > 0 and computed_only[1] == 0

    load_reference.fn([str(REF)], str(wh))
    build_benchmarks.fn(str(wh), str(tmp_path / "dbt"))
    con = duckdb.connect(str(wh), read_only=True)
    try:
        for la in las:
            rows = con.execute("select measure, period, value, published_value, difference, neighbours_with_data "
                               "from marts.benchmark where la_code = ? and source = 'computed'", [la]).fetchall()
            measures = {r[0] for r in rows}
            assert {"exit_share_adopted", "stability_three_plus", "cla_rate_per_10k"} <= measures, (la, measures)
            both = [r for r in rows if r[2] is not None and r[3] is not None]
            assert both and all(abs(r[4] - (r[2] - r[3])) < 1e-9 for r in both)
            assert any(r[5] > 0 for r in rows)
            assert con.execute("select count(*) from marts.benchmark where la_code = ? and source = 'published'",
                               [la]).fetchone()[0] > 0
        assert con.execute("select count(*) from marts.targets where actual_source = 'computed'").fetchone()[0] > 0
    finally:
        con.close()

    # the refresh republishes, so readers of the published copy see the reference data too
    from flows.reference import publish

    published = publish.fn(settings)
    with duckdb.connect(str(published), read_only=True) as pub:
        assert pub.execute("select count(*) from marts.benchmark where neighbour_mean is not null").fetchone()[0] > 0
        assert pub.execute("select count(*) from information_schema.tables where table_schema = 'reference'").fetchone()[0] > 0
