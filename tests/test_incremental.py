"""Per-LA incremental models (dbt_project/macros/per_la_incremental.sql): a build after one LA's new
drop rebuilds that LA only, and gives row for row what a full rebuild of the same loads gives."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from permanence.config import Settings
from permanence.synth import generate_region
from permanence.transform.dbt import build_key, dbt_project_dir
from tests.pipeline_helpers import build, differing_models, model_rows, run_drops

PER_LA = ["int_episodes__as_at_date", "int_episodes__repaired", "int_episodes__sequenced", "int_episodes__placements", "int_cohorts__membership"]


def _built_from(settings: Settings) -> dict[str, set[tuple[str, str, str]]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {m: set(con.execute(f"select distinct la_code, built_from_load, build_key from intermediate.{m}").fetchall())
                for m in PER_LA}


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("incremental")
    first = generate_region(tmp / "march", las=3, children=60, years=3, seed=5)
    # the same LAs' next months: a new drop for the second LA, another for the third
    later = generate_region(tmp / "april", las=3, children=60, years=3, seed=6, extract_date=dt.date(2025, 4, 30))
    may = generate_region(tmp / "may", las=3, children=60, years=3, seed=7, extract_date=dt.date(2025, 5, 31))
    settings = Settings(data_dir=tmp / "data")
    runs = run_drops(settings, [(str(d.path), d.la_code) for d in first])
    assert [r.status for r in runs] == ["published"] * 3
    return settings, (str(later[1].path), later[1].la_code), (str(may[2].path), may[2].la_code)


@pytest.mark.slow
def test_a_new_drop_rebuilds_its_la_only_and_matches_a_full_rebuild(region):
    settings, new_drop, _ = region
    before = _built_from(settings)
    (new_run,) = run_drops(settings, [new_drop])
    assert new_run.status == "published", new_run.message
    after = _built_from(settings)
    changed_la = new_drop[1]
    for model in PER_LA:
        kept = {row for row in before[model] if row[0] != changed_la}
        assert kept <= after[model], f"{model}: unchanged LAs were rebuilt or lost"
        rebuilt = {row for row in after[model] if row[0] == changed_la}
        assert {row[1] for row in rebuilt} == {new_run.load_id}, model
    incremental = model_rows(settings)
    build(settings, full_refresh=True)
    full = model_rows(settings)
    assert incremental.keys() == full.keys()
    differ = [t for t in full if incremental[t] != full[t]]
    assert not differ, f"incremental build differs from a full rebuild in {differ}"
    assert sum(len(v) for v in full.values()) > 1000


@pytest.mark.slow
def test_a_failed_load_puts_its_la_back_on_its_last_published_load(region):
    """A load built into the models and then failed (say, by the mart checks) is discarded: its LA
    goes back to its last published load, and the next build must not keep the discarded rows."""
    from flows import nightly
    from permanence import pipeline
    from tests.pipeline_helpers import ingest

    settings, _, may_drop = region
    la = may_drop[1]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        (published,) = con.execute("select load_id from raw.current_load where la_code = ?", [la]).fetchone()
    runs = ingest(settings, [may_drop])
    nightly.transform.fn(settings, runs, None)
    assert {row[1] for rows in _built_from(settings).values() for row in rows if row[0] == la} == {runs[0].load_id}
    pipeline.fail(settings, runs, "mart checks failed (test)")
    build(settings)
    assert {row[1] for rows in _built_from(settings).values() for row in rows if row[0] == la} == {published}
    incremental = model_rows(settings)
    build(settings, full_refresh=True)
    assert not differing_models(model_rows(settings), incremental)


@pytest.mark.slow
def test_another_reporting_date_rebuilds_every_la(region):
    settings, _, _ = region
    vars_ = {"as_at_date": "2025-01-31"}
    build(settings, vars=vars_)
    keys = {row[2] for rows in _built_from(settings).values() for row in rows}
    assert keys == {build_key(vars_)}
    incremental = model_rows(settings)
    build(settings, vars=vars_, full_refresh=True)
    assert not differing_models(model_rows(settings), incremental)


def test_build_key_follows_the_project_the_vars_and_nothing_else(tmp_path):
    import shutil

    project = tmp_path / "dbt_project"
    shutil.copytree(dbt_project_dir(), project, ignore=shutil.ignore_patterns("target", "logs"))
    key = build_key(None, project)
    assert key == build_key({}, project) == build_key({"build_key": "ignored"}, project)
    assert build_key({"as_at_date": "2025-03-31"}, project) != key
    (project / "tests" / "a_new_test.sql").write_text("select 1 where false")  # tests change no row
    assert build_key(None, project) == key
    macro = project / "macros" / "permanence_measures.sql"
    macro.write_text(macro.read_text() + "\n-- edited\n")  # a macro can change every row
    assert build_key(None, project) != key
