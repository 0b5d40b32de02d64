"""Great Expectations on the marts: results in the audit schema, a broken mart blocks the publish,
Data Docs work offline and hold no raw identifier."""

from __future__ import annotations

import re

import duckdb
import pytest

from flows import nightly as f
from permanence import pipeline
from permanence.config import Settings
from permanence.synth import generate_region
from tests.pipeline_helpers import ingest, run_drops
from tests.test_pipeline import raw_ids
from validations.datadocs import external_references, offline_html

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
    assert {"recon_cohort_summary_equals_tracker", "recon_exits_equal_periods_ended", "periods_of_care",
            "adoption_scorecard", "placement_stability"} <= suites
    assert rows and all(ok for *_x, ok in rows)
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
    with pytest.raises(pipeline.ChecksFailed, match="recon_cohort_summary_equals_tracker"):
        f.checks.fn(settings, [run])
    assert run.status == "failed"
    f.publish.fn(settings, [run])  # nothing loaded any more: nothing published
    assert published.read_bytes() == before
    assert q(settings, "select status from audit.loads where load_id = ? order by finished_at desc limit 1",
             [run.load_id]) == [("failed",)]
    failed = q(settings, "select suite from audit.expectation_results where load_id = ? and not success", [run.load_id])
    assert ("recon_cohort_summary_equals_tracker",) in failed
    assert q(settings, "select count(*) from raw.episodes where load_id = ?", [run.load_id])[0][0] == 0


def test_data_docs_with_a_relative_data_dir(built, tmp_path, monkeypatch):
    # `make demo` runs with data_dir "data/demo": GX's site store needs an absolute path
    from pathlib import Path

    from validations.expectations import run_mart_checks

    settings, _drops, _runs = built
    # the restricted copy (every mart; the checks cover child-level ones), intact whatever other tests did
    published = settings.restricted_dir / settings.warehouse_path.name
    monkeypatch.chdir(tmp_path)
    outcome = run_mart_checks(published, Path("data") / "docs", run_name="relative")
    assert outcome.success and (tmp_path / "data" / "docs" / "index.html").exists()
