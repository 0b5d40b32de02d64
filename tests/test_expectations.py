"""Great Expectations on the marts: results in the audit schema, a broken mart blocks the publish,
Data Docs work offline and hold no raw identifier; GX repeats no dbt test."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest

from flows import nightly as f
from permanence import pipeline
from permanence.config import Settings
from permanence.synth import generate_region
from tests.pipeline_helpers import ingest, run_drops
from tests.test_pipeline import raw_ids
from validations.marts.datadocs import external_references, offline_html
from validations.marts.expectations import RECONCILIATIONS, DbtTestCount, dbt_test_counts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gx")
    drops = generate_region(tmp / "region", las=2, children=50, years=2, seed=5)
    settings = Settings(data_dir=tmp / "data")
    runs = run_drops(settings, [(str(drops[0].path), drops[0].la_code)])
    return settings, drops, runs


def q(settings, sql, params=None):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_results_stored_per_load(built):
    settings, _drops, [run] = built
    assert run.status == "published"
    rows = q(settings, "select suite, expectation, success from audit.expectation_results where load_id = ?", [run.load_id])
    suites = {s for s, _e, _ok in rows}
    assert suites == set(RECONCILIATIONS)  # every reconciliation, and nothing dbt already tests
    assert rows and all(ok for *_x, ok in rows)
    # every data test of the build is in the audit trail of the load, none twice
    manifest = json.loads((settings.dbt_target_dir / "target" / "manifest.json").read_text())
    tests = {k for k, n in manifest["nodes"].items() if n["resource_type"] == "test"}
    recorded = q(settings, "select unique_id from audit.dbt_results where load_id = ?", [run.load_id])
    assert sorted(r[0] for r in recorded) == sorted(tests)
    steps = {r[0] for r in q(settings, "select step from audit.load_steps where load_id = ?", [run.load_id])}
    assert "checks" in steps


def test_data_docs_offline_without_raw_ids(built):
    settings, drops, [run] = built
    site = settings.reports_dir / "data-docs" / run.load_id
    assert (site / "index.html").exists() and list(site.glob("validations/**/*.html"))
    assert external_references(site) == []
    for p in site.rglob("*.html"):
        text = p.read_text(encoding="utf-8")
        assert not re.search(r"<(script|link)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", text, re.I), p
    ids = raw_ids(drops[0].path)
    assert ids
    blobs = [p.read_bytes() for p in site.rglob("*") if p.is_file()]
    for i in ids:
        needle = i.encode()
        assert not any(needle in b for b in blobs), "a raw child identifier reached the Data Docs"
    index = (site / "index.html").read_text()
    assert "recon_cohort_summary_equals_tracker" in index and "all passed" in index
    # beside the reconciliations, the build's dbt tests counted per mart
    assert "Invariants of each mart (dbt data tests)" in index and "No dbt test results" not in index
    assert re.search(r"<tr><td>periods_of_care</td><td class=\"text-success\">pass</td><td>[1-9]", index)
    assert f"{run.la_code} ({run.load_id})" in index  # the title names the build's loads
    pages = [p.read_text(encoding="utf-8") for p in site.glob("validations/**/*.html")]
    assert all("status-pass" in t and "fa-check-circle" not in t.split("</style>")[-1] for t in pages)


def test_offline_html_strips_cdn_tags():
    page = ('<html><head><link rel="stylesheet" href="https://cdn.example/b.css">'
            '<script src="https://cdn.example/jq.js"></script><script src="//cdn.example/x.js"></script></head>'
            '<body><a href="https://greatexpectations.io">GX</a></body></html>')
    out = offline_html(page)
    assert "cdn.example" not in out and "greatexpectations.io" not in out and "<style>" in out


def test_offline_status_icons_become_words():
    # GX's status is an icon of a CDN font: offline the column would be blank
    page = ('<td><i class="fas fa-check-circle text-success" aria-hidden="true"></i></td>'
            '<td><i class="fas fa-times text-danger" ></i></td>')
    out = offline_html(page)
    assert "&#10003; pass" in out and "&#10007; fail" in out and "<i " not in out


def test_broken_mart_fails_the_checks_and_blocks_publish(built, tmp_path):
    settings, drops, _runs = built
    published = settings.published_dir / settings.warehouse_path.name
    before = published.read_bytes()
    [run] = ingest(settings, [(str(drops[1].path), drops[1].la_code)])
    f.transform.fn(settings, [run], None)
    with duckdb.connect(str(settings.warehouse_path)) as con:  # the summary no longer matches the tracker
        con.execute("update marts.spg_cohort_summary set children = children + 1 where is_current")
    # as the flow runs them: the copies written aside in a thread while the checks run
    with ThreadPoolExecutor(1) as pool:
        staging = pool.submit(f.stage_copies.fn, settings, [run])
        with pytest.raises(pipeline.ChecksFailed, match="recon_cohort_summary_equals_tracker"):
            f.checks.fn(settings, [run])
        staged = staging.result()
    assert staged is not None and staged.complete()
    pipeline.discard_copies(staged)
    assert run.status == "failed"
    f.publish.fn(settings, [run])  # nothing loaded any more: nothing published
    assert published.read_bytes() == before
    assert _temporaries(settings) == []
    assert q(settings, "select status from audit.loads where load_id = ? order by finished_at desc limit 1",
             [run.load_id]) == [("failed",)]
    failed = q(settings, "select suite from audit.expectation_results where load_id = ? and not success", [run.load_id])
    assert ("recon_cohort_summary_equals_tracker",) in failed
    assert q(settings, "select count(*) from raw.episodes where load_id = ?", [run.load_id])[0][0] == 0


def _temporaries(settings) -> list:
    return [p for d in (settings.published_dir, settings.restricted_dir, settings.published_dir / "parquet")
            for p in d.iterdir() if p.name.startswith(".") and (".tmp" in p.name or ".old" in p.name)]


def test_copies_written_aside_during_the_checks_are_published_after_them(built):
    """The flow writes the copies in a thread while the checks read the marts (one process, one
    warehouse: DuckDB refuses a read-only connection beside a writer's); readers see the new copies
    only after the checks passed, and no temporary is left."""
    settings, drops, _runs = built
    published = settings.published_dir / settings.warehouse_path.name
    restricted = settings.restricted_dir / settings.warehouse_path.name
    before = published.stat().st_mtime_ns, restricted.stat().st_mtime_ns
    [run] = ingest(settings, [(str(drops[1].path), drops[1].la_code)])
    f.transform.fn(settings, [run], None)
    with ThreadPoolExecutor(1) as pool:
        staging = pool.submit(f.stage_copies.fn, settings, [run])
        f.checks.fn(settings, [run])
        staged = staging.result()
    assert (published.stat().st_mtime_ns, restricted.stat().st_mtime_ns) == before  # nothing swapped in yet
    assert f.publish.fn(settings, [run], staged) == published
    assert run.status == "published" and not staged.complete()  # the staged files are the published ones now
    assert published.stat().st_mtime_ns > before[0] and restricted.stat().st_mtime_ns > before[1]
    with duckdb.connect(str(restricted), read_only=True) as con:
        las = {r[0] for r in con.execute("select distinct la_code from marts.spg_cohort_summary").fetchall()}
    assert drops[1].la_code in las
    assert _temporaries(settings) == []


def test_a_publish_whose_staged_copies_are_gone_writes_them_again(built, tmp_path):
    """A retried publish (the first try swapped in part of the copies, then failed) stages anew."""
    settings, _drops, runs = built
    staged = pipeline.stage_copies_step(settings, [_loaded(runs[0])])
    staged.bi.tmp.unlink()
    run = _loaded(runs[0])
    assert pipeline.publish_step(settings, [run], staged) == settings.published_dir / settings.warehouse_path.name
    assert run.status == "published" and _temporaries(settings) == []


def _loaded(run):
    import copy

    again = copy.copy(run)
    again.status = "loaded"
    return again


def test_data_docs_with_a_relative_data_dir(built, tmp_path, monkeypatch):
    # `make demo` runs with data_dir "data/demo": GX's site store needs an absolute path
    from pathlib import Path

    from validations.marts.expectations import run_mart_checks

    settings, _drops, _runs = built
    # the restricted copy (every mart; the checks cover child-level ones), intact whatever other tests did
    published = settings.restricted_dir / settings.warehouse_path.name
    monkeypatch.chdir(tmp_path)
    outcome = run_mart_checks(published, Path("data") / "docs", run_name="relative")
    assert outcome.success and (tmp_path / "data" / "docs" / "index.html").exists()


# GX expectation class -> the dbt generic test of the same kind
_DBT_KIND = {"ExpectColumnValuesToNotBeNull": "not_null", "ExpectColumnValuesToBeUnique": "unique",
             "ExpectCompoundColumnsToBeUnique": "primary_key", "ExpectColumnValuesToBeInSet": "accepted_values",
             "ExpectColumnValuesToBeBetween": "expression_is_true",
             "ExpectColumnPairValuesAToBeGreaterThanB": "expression_is_true"}


@pytest.mark.slow
def test_no_expectation_repeats_a_dbt_test(tmp_path):
    """One check layer per kind of check: dbt owns each mart's invariants, GX only what spans marts,
    and no check is in both (compared with the tests of dbt's manifest by model, column and kind)."""
    import great_expectations as gx

    from permanence.transform.dbt import run_dbt
    from validations.marts.expectations import _suites

    run_dbt("parse", warehouse=tmp_path / "unused.duckdb", artifacts_dir=tmp_path)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    dbt_tests = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test":
            models = frozenset(n.split(".")[-1] for n in node["depends_on"]["nodes"] if n.startswith(("model.", "seed.")))
            kind = (node.get("test_metadata") or {}).get("name", "singular")
            dbt_tests.add((models, node.get("column_name") or "", kind))
            if kind == "primary_key":  # one test for the key's uniqueness and its columns' not_null
                for column in node["test_metadata"]["kwargs"]["columns"]:
                    dbt_tests.add((models, column, "not_null"))
    every_mart = {m for _d, _sql, marts in RECONCILIATIONS.values() for m in marts}
    suites = _suites(gx, every_mart)
    assert set(suites) == set(RECONCILIATIONS)
    for name, (_frame, expectations, _definition) in suites.items():
        marts = frozenset(RECONCILIATIONS[name][2])
        assert len(marts) >= 2, f"{name} checks one mart: a dbt test's job"
        assert not [t for t in dbt_tests if t[0] == marts], f"{name} is also a dbt test on {sorted(marts)}"
        for e in expectations:
            kind = _DBT_KIND.get(type(e).__name__)
            columns = getattr(e, "column", None) or ",".join(getattr(e, "column_list", None) or [])
            assert not any(m & marts and c == columns and k == kind for m, c, k in dbt_tests), (name, kind, columns)


def test_dbt_test_counts_per_model(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    nodes = {"test.p.a": {"resource_type": "test", "attached_node": "model.p.periods_of_care"},
             "test.p.b": {"resource_type": "test", "attached_node": "model.p.periods_of_care"},
             "test.p.c": {"resource_type": "test", "depends_on": {"nodes": ["seed.p.exit_routes", "macro.p.x"]}},
             "model.p.periods_of_care": {"resource_type": "model"}}
    results = [{"unique_id": "test.p.a", "status": "pass", "failures": 0},
               {"unique_id": "test.p.b", "status": "fail", "failures": 3, "message": "Got 3 results"},
               {"unique_id": "test.p.c", "status": "warn"},
               {"unique_id": "model.p.periods_of_care", "status": "success"}]
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    assert dbt_test_counts(target) == [DbtTestCount("exit_routes", warned=1),
                                       DbtTestCount("periods_of_care", passed=1, failed=1)]
    assert dbt_test_counts(tmp_path / "missing") == []
