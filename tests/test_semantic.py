"""The semantic layer (issue 15 point 2): dimensions, contract code labels, persisted docs,
MetricFlow semantic models and metrics, exposures.

- fast: the code-label seed is the contract's (stale seed fails), every dimension is an aggregate
  tier, every published count and share of every aggregate mart has a metric, and dbt parses the
  semantic layer (semantic_manifest.json) for DuckDB and PostgreSQL;
- slow: on a small synthetic region built by the nightly steps, the dimensions hold the contract's
  codes and the report's quarters, descriptions reach the warehouse and the BI copy as comments,
  and `mf query` (the CLI docs/bi.md shows) returns the marts' figures.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from permanence.contract import codelists, labels
from permanence.transform.semantic import code_label_rows, seed_path, seed_text
from permanence.publish.tiers import mart_tiers
from permanence.transform.dbt import dbt_project_dir, run_dbt

MARTS_DIR = dbt_project_dir() / "models" / "marts"
DIMENSIONS = {"dim_legal_status": "LS", "dim_placement_type": "PLACE", "dim_placement_provider": "PLACE_PROVIDER",
              "dim_permanence_plan": "PERMANENCE_PLAN", "dim_reason_new_episode": "RNE", "dim_reason_ceased": "REC"}
# Published figures MetricFlow cannot re-aggregate over LAs or years, and why: read them from the mart.
NOT_METRICS = {
    "median": "a median of medians is not the median",
    "max_": "a maximum is kept, but only at the mart's grain",
    "a1_mean": "mean over children with A1, a count the mart does not publish",
    "a2_mean": "as a1_mean", "a10_mean": "as a1_mean", "a3_share": "as a1_mean",
    "estimated_": "null when any child's placement has no unit cost; a sum would drop them silently",
    "_gbp": "as estimated_: a cost is null when any child or route in it is unpriced",
    "longest_": "a maximum is kept, but only at the mart's grain",
    "children_in_": "distinct children over a quarter or a year to date: not additive over quarters",
}
LONG_FORMAT = {"benchmark", "targets"}  # one row per measure already: read as they are


def _semantic_layer() -> dict:
    return yaml.safe_load((MARTS_DIR / "dimensions" / "_semantic_layer.yml").read_text(encoding="utf-8"))


def test_code_labels_seed_is_the_contracts():
    assert seed_path().read_text(encoding="utf-8") == seed_text(), \
        "dbt_project/seeds/code_labels.csv is stale: run `python -m permanence.transform.semantic`"


def test_code_labels_hold_every_code_and_every_label():
    rows = {(r["code_list"], r["code"]): r for r in code_label_rows()}
    for name, codelist in codelists().items():
        assert {c for (n, c) in rows if n == name} == set(codelist.all_codes), name
    for name, named in labels().items():
        for code, text in named.items():
            assert (name, code) in rows, f"labels.yaml labels {name} {code}, a code the contract does not list"
            assert rows[(name, code)]["label"] == text
    assert rows[("PLACE", "H5")]["valid_to"] == "2024-25" and rows[("PLACE", "H5")]["valid_from"] is None
    assert rows[("PLACE", "Z11")]["valid_from"] == "2023-24" and rows[("PLACE", "Z11")]["valid_to"] is None


def test_every_dimension_is_an_aggregate_tier_with_its_sql():
    doc = yaml.safe_load((MARTS_DIR / "dimensions" / "_dimensions.yml").read_text(encoding="utf-8"))
    named = {m["name"] for m in doc["models"]}
    assert {p.stem for p in (MARTS_DIR / "dimensions").glob("*.sql")} == named
    tiers = mart_tiers()
    assert all(tiers[n].aggregate for n in named)
    assert set(DIMENSIONS) | {"dim_la", "dim_period", "metricflow_time_spine"} <= named


def _not_a_metric(column: str) -> bool:
    return any(column.startswith(p) or p in column for p in NOT_METRICS)


def test_every_published_count_and_figure_of_an_aggregate_mart_has_a_metric():
    layer = _semantic_layer()
    models = {m["name"]: m for m in layer["semantic_models"]}
    metrics = {m["name"]: m for m in layer["metrics"]}
    dims = {m["name"] for m in yaml.safe_load((MARTS_DIR / "dimensions" / "_dimensions.yml").read_text())["models"]}
    for mart, spec in mart_tiers().items():
        if not spec.aggregate or mart in dims or mart in LONG_FORMAT:
            continue
        assert mart in models, f"aggregate mart {mart} has no semantic model"
        assert models[mart]["model"] == f"ref('{mart}')"
        for column in (*spec.small_counts, *spec.resting_on):
            if not _not_a_metric(column):
                assert f"{mart}_{column}" in metrics, f"{mart}.{column} has no metric"
    # a share is 100 x numerator / denominator, both metrics of the same mart's counts
    share = metrics["reentry_by_previous_exit_share_reentered"]
    assert share["type"] == "derived"
    assert [m["name"] for m in share["type_params"]["metrics"]] == [
        "reentry_by_previous_exit_reentered_within_12_months", "reentry_by_previous_exit_children_exited"]
    mean = metrics["duration_in_care_mean_days_in_care"]
    assert mean["type"] == "ratio" and mean["type_params"]["denominator"] == "duration_in_care_periods_ended"


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_dbt_parses_the_semantic_layer_and_exposures(tmp_path, target):
    outcome = run_dbt("parse", warehouse=tmp_path / "w.duckdb" if target == "duckdb" else None, target=target,
                      artifacts_dir=tmp_path)
    manifest = json.loads((outcome.target_path / "manifest.json").read_text())
    semantic = json.loads((outcome.target_path / "semantic_manifest.json").read_text())
    assert {m["name"] for m in semantic["metrics"]} == {m["name"] for m in _semantic_layer()["metrics"]}
    assert semantic["project_configuration"]["time_spines"][0]["node_relation"]["alias"] == "metricflow_time_spine"
    assert {e.split(".")[-1] for e in manifest["exposures"]} == {"spg_tracker", "quarterly_report", "bi_copy"}
    for name in ("dim_la", "dim_period", "exits_by_year"):
        assert manifest["nodes"][f"model.permanence.{name}"]["config"]["persist_docs"] == {"relation": True, "columns": True}


# ----------------------------------------------------------------------- on a built demo warehouse

@pytest.fixture(scope="module")
def region(tmp_path_factory):
    from permanence.config import Settings
    from permanence.synth import generate_region
    from tests.pipeline_helpers import run_drops

    tmp = tmp_path_factory.mktemp("semantic_region")
    drops = generate_region(tmp / "drops", las=2, children=120, years=4, seed=11)
    settings = Settings(data_dir=tmp / "data")
    runs = run_drops(settings, [(str(d.path), d.la_code) for d in drops])
    assert all(r.status == "published" for r in runs), [(r.la_code, r.status) for r in runs]
    return settings, tmp


@pytest.mark.slow
def test_dimensions_on_the_built_warehouse(region):
    from permanence.report import parse_quarter

    settings, _ = region
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for model, code_list in DIMENSIONS.items():
            got = dict(con.execute(f"select code, label from marts.{model}").fetchall())
            assert set(got) == set(codelists()[code_list].all_codes), model
            assert {c: t for c, t in got.items() if t is not None} == labels().get(code_list, {}), model
        loaded = dict(con.execute("select la_code, as_at_date from intermediate.int_la__reporting_dates").fetchall())
        las = dict(con.execute("select la_code, as_at_date from marts.dim_la where has_current_load").fetchall())
        assert las == loaded
        earliest = min(loaded.values())
        periods = con.execute("select quarter_start, quarter_end, calendar_quarter, financial_quarter, collection_year, "
                              "collection_year_end, partial, quarter_partial from marts.dim_period").fetchall()
        assert len(periods) == 200
        for start, end, cal, fin, year, year_end, partial, quarter_partial in periods:
            assert (parse_quarter(cal).start, parse_quarter(cal).end) == (start, end)
            assert (parse_quarter(fin).start, parse_quarter(fin).end) == (start, end)
            assert parse_quarter(fin).collection_year == year
            assert partial == (year_end > earliest) and quarter_partial == (end > earliest)


@pytest.mark.slow
def test_descriptions_reach_the_warehouse_and_the_bi_copy(region):
    from permanence.publish.tiers import mart_docs

    settings, _ = region
    about, columns = mart_docs()["exits_by_year"]
    for path in (settings.warehouse_path, settings.published_dir / settings.warehouse_path.name):
        with duckdb.connect(str(path), read_only=True) as con:
            table = con.execute("select comment from duckdb_tables() where schema_name = 'marts' "
                                "and table_name = 'exits_by_year'").fetchone()[0]
            cols = dict(con.execute("select column_name, comment from duckdb_columns() where schema_name = 'marts' "
                                    "and table_name = 'exits_by_year'").fetchall())
        assert " ".join(table.split()) == about, path
        assert " ".join(cols["children"].split()) == columns["children"], path
    with duckdb.connect(str(settings.published_dir / settings.warehouse_path.name), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_la").fetchone()[0] > 0  # dimensions are published
        assert con.execute("select count(*) from reference.code_labels").fetchone()[0] == len(code_label_rows())


def _mf_run(project: Path, warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DBT_PROFILES_DIR": str(project), "PERMANENCE_WAREHOUSE": str(warehouse),
           "PERMANENCE_DBT_TARGET": "duckdb"}
    mf = Path(sys.executable).with_name("mf")
    return subprocess.run([str(mf), *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)


def _mf(project: Path, warehouse: Path, out: Path, metrics: str, group_by: str) -> list[dict]:
    """`mf query` as docs/bi.md shows it, in a copy of the dbt project (mf reads target/ there)."""
    done = _mf_run(project, warehouse, "query", "--metrics", metrics, "--group-by", group_by, "--csv", str(out))
    assert done.returncode == 0 and out.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    with out.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_metricflow_query_returns_the_marts_figures(region):
    settings, tmp = region
    project = tmp / "dbt_project"
    shutil.copytree(dbt_project_dir(), project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    os.environ["PERMANENCE_DBT_PROJECT_DIR"] = str(project)  # restored by conftest's isolated environment
    run_dbt("parse", warehouse=settings.warehouse_path, artifacts_dir=project)
    wh = settings.warehouse_path
    with duckdb.connect(str(wh), read_only=True) as con:
        exits = {(la, y): n for la, y, n in con.execute(
            "select la_code, collection_year, sum(children) from marts.exits_by_year group by 1, 2").fetchall()}
        shares = {(la, y, r): s for la, y, r, s in con.execute(
            "select la_code, collection_year, exit_route, share_reentered from marts.reentry_by_previous_exit").fetchall()}
        means = {(la, y): m for la, y, m in con.execute(
            "select la_code, collection_year, mean_days_in_care from marts.duration_in_care").fetchall()}
        cohorts = {(la, c): n for la, c, n in con.execute(
            "select la_code, cohort_id, children from marts.spg_cohort_summary where is_current").fetchall()}
    got = _mf(project, wh, tmp / "exits.csv", "exits_by_year_children", "la,exits_by_year__collection_year")
    assert exits and {(r["la"], r["exits_by_year__collection_year"]): int(r["exits_by_year_children"]) for r in got} == exits
    got = _mf(project, wh, tmp / "share.csv", "reentry_by_previous_exit_share_reentered",
              "la,reentry_by_previous_exit__collection_year,reentry_by_previous_exit__exit_route")
    mf_shares = {(r["la"], r["reentry_by_previous_exit__collection_year"], r["reentry_by_previous_exit__exit_route"]):
                 r["reentry_by_previous_exit_share_reentered"] for r in got}
    assert mf_shares.keys() == shares.keys()
    for key, value in shares.items():
        assert (mf_shares[key] == "" if value is None else float(mf_shares[key]) == pytest.approx(value)), key
    got = _mf(project, wh, tmp / "mean.csv", "duration_in_care_mean_days_in_care", "la,duration_in_care__collection_year")
    mf_means = {(r["la"], r["duration_in_care__collection_year"]): r["duration_in_care_mean_days_in_care"] for r in got}
    for key, value in means.items():
        assert (mf_means[key] == "" if value is None else float(mf_means[key]) == pytest.approx(value)), key
    # a count on a date: each LA's latest date (D), never the sum of the month ends before it
    got = _mf(project, wh, tmp / "cohorts.csv", "spg_cohort_summary_children", "la,spg_cohort_summary__cohort_id")
    mf_cohorts = {(r["la"], int(r["spg_cohort_summary__cohort_id"])): r["spg_cohort_summary_children"] for r in got}
    assert {k: (int(float(v)) if v != "" else None) for k, v in mf_cohorts.items()} == cohorts
    # every semantic model, dimension, measure and metric runs on the warehouse's tables
    done = _mf_run(project, wh, "validate-configs")
    assert done.returncode == 0 and "ERRORS: 0" in done.stdout and "ERRORS: 1" not in done.stdout, done.stdout[-2000:]
    # on a copy of the BI file (its name kept): the suppressed figures, as the BI copy's mart has them
    bi = tmp / "bi" / wh.name
    bi.parent.mkdir()
    shutil.copy(settings.published_dir / wh.name, bi)
    bi.chmod(0o600)
    with duckdb.connect(str(bi), read_only=True) as con:
        published = {(la, y): n for la, y, n in con.execute(
            "select la_code, collection_year, sum(children) from marts.exits_by_year group by 1, 2").fetchall()}
    got = _mf(project, bi, tmp / "bi.csv", "exits_by_year_children", "la,exits_by_year__collection_year")
    assert {(r["la"], r["exits_by_year__collection_year"]): (int(float(r["exits_by_year_children"]))
            if r["exits_by_year_children"] != "" else None) for r in got} == published
