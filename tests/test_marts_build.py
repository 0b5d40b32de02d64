"""Marts layer (docs/measures.md): dbt unit tests, and a synthetic region build.

- test_dbt_unit_tests_pass: only the dbt unit tests (hand-worked inputs for every tricky rule),
  on an empty initialised warehouse (the staging views are built first so dbt knows the columns).
- test_region_builds_every_mart_for_every_la (slow): generate a small synthetic region, run the
  nightly tasks (validate, pseudonymise, load, dbt build with all data tests), then check every mart
  is non-empty for every LA and that dbt docs describe every mart column.
"""

from __future__ import annotations

import json

import duckdb
import pytest
import yaml

from permanence.transform.dbt import dbt_project_dir, run_dbt

MARTS = {
    "periods_of_care": ["la_code", "child_id", "period_start", "period_end", "reason_ceased", "exit_route", "days_in_care"],
    "exits_by_year": ["la_code", "collection_year", "exit_route", "children"],
    "reentry_by_previous_exit": ["la_code", "collection_year", "exit_route", "children_exited",
                                 "reentered_within_12_months"],
    "exits_by_reason": ["la_code", "collection_year", "reason_ceased", "reason_label", "exit_route", "permanence_exit",
                        "children"],
    "adoption_timeliness": ["la_code", "child_id", "collection_year", "date_entered_care", "date_placed_for_adoption",
                            "date_moved_in_with_adopters", "date_court_authority", "date_match", "a1_days", "a2_days",
                            "a10_days"],
    "adoption_scorecard": ["la_code", "collection_year", "children_adopted", "a1_mean", "a2_mean", "a10_mean", "a3_share",
                           "a1_mean_3yr", "a2_mean_3yr", "a10_mean_3yr", "a3_share_3yr"],
    "spg_cohort_children": ["la_code", "as_at_date", "cohort_id", "cohort_name", "child_id", "condition_start",
                            "months_in_condition", "legal_status", "placement_type", "placement_provider"],
    "spg_cohort_summary": ["la_code", "as_at_date", "cohort_id", "cohort_name", "children"],
    "placement_stability": ["la_code", "collection_year", "cla_at_31_march", "three_plus_placements",
                            "long_term_eligible", "long_term_stable"],
    "duration_in_care": ["la_code", "collection_year", "periods_ended", "mean_days_in_care", "median_days_in_care"],
    "reentry": ["la_code", "collection_year", "children_started", "reentries_within_12_months"],
    "placement_order_duration": ["la_code", "as_at_date", "child_id", "days_on_placement_order"],
    "permanence_plan_by_second_review": ["la_code", "collection_year", "status"],
    "care_proceedings_timeliness": ["la_code", "collection_year", "status", "proceedings_concluded",
                                    "proceedings_withdrawn", "proceedings_no_order"],
    "care_proceedings_open": ["la_code", "as_at_date", "proceedings_issue_date", "children", "days_open"],
    "weekly_cost_by_cohort": ["la_code", "as_at_date", "cohort_id", "estimated_weekly_cost_gbp"],
    "adoption_pipeline": ["la_code", "collection_year", "children_adopted", "entry_to_decision_mean_days",
                          "entry_to_decision_median_days", "national_entry_to_decision_months",
                          "national_entry_to_decision_printed", "entry_to_adopted_mean_days",
                          "mean_age_at_adoption_months", "stage_dates_missing", "complete", "partial"],
    "adoption_waiting": ["la_code", "as_at_date", "children_waiting", "mean_days_since_decision",
                         "mean_days_since_placement_order", "decisions_reversed", "complete"],
}


def test_marts_yaml_documents_every_mart_with_enforced_contract():
    from permanence.publish.tiers import _mart_models

    models = {m["name"]: m for m in _mart_models(str(dbt_project_dir()))}  # every domain folder's yml
    assert set(MARTS) <= set(models)
    for name, cols in MARTS.items():
        m = models[name]
        assert m["config"]["contract"]["enforced"] is True
        assert "grain" in m["description"]
        declared = [c["name"] for c in m["columns"]]
        assert set(cols) <= set(declared), name
        for c in m["columns"]:
            assert c.get("description") and c.get("data_type"), (name, c["name"])


def test_dbt_unit_tests_pass(tmp_path):
    from permanence.warehouse import connect, create_schema

    wh = tmp_path / "warehouse.duckdb"
    con = connect(wh)
    create_schema(con)
    con.close()
    art = tmp_path / "dbt"
    run_dbt("seed", warehouse=wh, artifacts_dir=art)  # code labels the marts join (reason_episode_ceased)
    run_dbt("run", warehouse=wh, select="+int_cohorts__membership +adoption_timeliness +placement_stability "
                                        "+permanence_plan_by_second_review +spg_cohort_summary +exits_by_year +exits_by_reason "
                                        "+reentry_by_previous_exit +care_proceedings_timeliness +care_proceedings_open +weekly_cost_by_cohort "
                                        "+adoption_pipeline +adoption_waiting +spg_cohort_movement +spg_drift_watchlist_summary",
            artifacts_dir=art)
    outcome = run_dbt("test", warehouse=wh, select="test_type:unit", artifacts_dir=art)
    assert outcome.success
    assert outcome.counts.get("pass", 0) >= 11


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    from permanence.config import Settings
    from permanence.synth import generate_region
    from tests.pipeline_helpers import run_drops

    tmp = tmp_path_factory.mktemp("marts_region")
    drops = generate_region(tmp / "drops", las=3, children=150, years=4, seed=11)
    settings = Settings(data_dir=tmp / "data")
    runs = run_drops(settings, [(str(d.path), d.la_code) for d in drops])
    assert all(r.status == "published" for r in runs), [(r.la_code, r.status) for r in runs]
    return settings, sorted(d.la_code for d in drops), tmp


@pytest.mark.slow
def test_region_builds_every_mart_for_every_la(region):
    settings, las, _ = region
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        for name, cols in MARTS.items():
            got = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position", [name]).fetchall()]
            assert set(cols) <= set(got), name
            per_la = dict(con.execute(f"select la_code, count(*) from marts.{name} group by la_code").fetchall())
            assert all(per_la.get(la, 0) > 0 for la in las), (name, per_la)
        # summary: all six cohorts on D and each of the 36 month ends before it, per LA
        n = con.execute("select count(*) from marts.spg_cohort_summary").fetchone()[0]
        assert n == len(las) * 37 * 6
        assert con.execute("select count(*) from marts.periods_of_care where days_in_care < 0").fetchone()[0] == 0
    finally:
        con.close()


@pytest.mark.slow
def test_docs_describe_every_mart_column(region):
    settings, _, tmp = region
    outcome = run_dbt("docs generate", warehouse=settings.warehouse_path, artifacts_dir=tmp / "docs")
    manifest = json.loads((outcome.target_path / "manifest.json").read_text())
    catalog = json.loads((outcome.target_path / "catalog.json").read_text())
    for name in [*MARTS, *SPG_MARTS]:
        uid = f"model.permanence.{name}"
        node = manifest["nodes"][uid]
        assert node["description"]
        built = {c.lower() for c in catalog["nodes"][uid]["columns"]}
        described = {c for c, meta in node["columns"].items() if meta.get("description")}
        assert built and built <= described, (name, built - described)


SPG_MARTS = ("spg_cohort_movement_children", "spg_cohort_movement", "spg_drift_watchlist", "spg_drift_watchlist_summary",
             "placement_cost_by_cohort_quarter", "cost_avoided_by_quarter")


def test_spg_marts_documented_with_contract_and_tier():
    from permanence.publish.tiers import mart_tiers

    doc = yaml.safe_load((dbt_project_dir() / "models" / "marts" / "spg" / "_spg.yml").read_text())
    models = {m["name"]: m for m in doc["models"]}
    assert set(SPG_MARTS) <= set(models)
    tiers = mart_tiers()
    for name, m in models.items():
        assert m["config"]["contract"]["enforced"] is True and "grain" in m["description"]
        assert all(c.get("description") and c.get("data_type") for c in m["columns"]), name
        # a row per child stays restricted; counts go to BI with their small numbers suppressed
        assert tiers[name].aggregate == (not name.endswith(("_children", "_watchlist"))), name
        named = set(tiers[name].small_counts) | {b for bases in tiers[name].resting_on.values() for b in bases}
        assert named <= {c["name"] for c in m["columns"]}, name


@pytest.mark.slow
def test_spg_marts_have_sane_values_on_the_synthetic_region(region):
    settings, las, _ = region
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        one = lambda sql: con.execute(sql).fetchone()  # noqa: E731
        for name in SPG_MARTS:
            per_la = dict(con.execute(f"select la_code, count(*) from marts.{name} group by la_code").fetchall())
            assert all(per_la.get(la, 0) > 0 for la in las), (name, per_la)
        # movement: the month's stock moves by its joiners and leavers (summary on both month ends)
        broken = one("""
            with flow as (select la_code, to_date, from_date, cohort_id,
                                 sum(case when movement = 'joined' then children else 0 end) as joined,
                                 sum(case when movement = 'left' then children else 0 end) as left_
                          from marts.spg_cohort_movement where movement <> 'not available'
                          group by all)
            select count(*) from flow
            join marts.spg_cohort_summary s0 on s0.la_code = flow.la_code and s0.as_at_date = flow.from_date
                 and s0.cohort_id = flow.cohort_id
            join marts.spg_cohort_summary s1 on s1.la_code = flow.la_code and s1.as_at_date = flow.to_date
                 and s1.cohort_id = flow.cohort_id
            where s0.children + flow.joined - flow.left_ <> s1.children""")[0]
        assert broken == 0
        assert one("select count(distinct reason) from marts.spg_cohort_movement where movement = 'left'")[0] >= 3
        # every watchlist rule has a child in the synthetic region, and the summary counts the list
        assert one("select count(distinct rule_id) from marts.spg_drift_watchlist")[0] == 6
        assert one("""select count(*) from marts.spg_drift_watchlist_summary s
                      where s.children is distinct from (select count(distinct w.child_id) from marts.spg_drift_watchlist w
                                                         where w.la_code = s.la_code and w.rule_id = s.rule_id)""")[0] == 0
        # costs: positive where known, null only with a note, and labelled illustrative with the shipped seeds
        assert one("""select count(*) from marts.placement_cost_by_cohort_quarter
                      where quarter_cost_gbp < 0 or (quarter_cost_gbp is null and cost_note is null)
                         or (children_in_quarter > 0 and quarter_cost_gbp = 0)""")[0] == 0
        assert one("select count(*) from marts.placement_cost_by_cohort_quarter where quarter_cost_gbp > 0")[0] > 0
        assert one("""select bool_and(illustrative and cost_label like 'ILLUSTRATIVE%') from marts.placement_cost_by_cohort_quarter
                      where children_in_quarter > 0""")[0]
        assert one("select count(*) from marts.cost_avoided_by_quarter where children > 0 and annual_cost_avoided_gbp is not null")[0] > 0
        assert one("select count(*) from marts.weekly_cost_by_cohort where children > 0 and unit_cost_sources is null")[0] == 0
    finally:
        con.close()
