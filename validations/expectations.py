"""Great Expectations suites on the marts: reconciliations and invariants, run after dbt on every load.

    from validations.expectations import run_mart_checks
    outcome = run_mart_checks(warehouse_path, docs_dir=reports / "data-docs" / run_id)
    outcome.success, outcome.results  # one ExpectationResult per expectation, no values

How it reads the marts: GX cannot read DuckDB through duckdb-engine (every metric comes back N/A),
so each mart is read into pandas (from a read-only DuckDB connection, or from PostgreSQL) and
validated through an ephemeral context with a pandas datasource: the same suites on either warehouse.
Cross-mart reconciliations are computed in SQL, by an in-memory DuckDB over those frames whatever the
warehouse, into a small frame (one row per LA and key, the mart's figure beside the recomputed one)
and checked with `expect_column_pair_values_to_be_equal`.

No values leave this module: expectations run with result_format BOOLEAN_ONLY (GX's other formats
carry samples of failing values, which here are child pseudonyms), results are stored as pass/fail
per expectation, and the Data Docs site is post-processed to work offline (validations/datadocs.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

EXIT_ROUTES = [
    "Adopted",
    "Special guardianship order",
    "Child arrangements order",
    "Returned home",
    "Living with parents or relatives without PR",
    "Independent living or stayed with carers at 18",
    "Other",
    "Not recorded",
]

# Reconciliations between marts: (name, definition, SQL giving la_code, key, mart_value, recomputed_value)
RECONCILIATIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "recon_cohort_summary_equals_tracker": (
        "spg_cohort_summary.children on the current date equals the distinct children listed in "
        "spg_cohort_children for the same LA, date and cohort (a cohort not available for want of its "
        "extract is left out: its count is null, while the tracker still lists the children the 903 names)",
        """select s.la_code, cast(s.as_at_date as varchar) || ' cohort ' || s.cohort_id as key,
                  s.children as mart_value, coalesce(c.n, 0) as recomputed_value
           from marts.spg_cohort_summary s
           left join (select la_code, as_at_date, cohort_id, count(distinct child_id) as n
                      from marts.spg_cohort_children group by all) c
             using (la_code, as_at_date, cohort_id)
           where s.is_current and s.children is not null""",
        ("spg_cohort_summary", "spg_cohort_children"),
    ),
    "recon_exits_by_reason_sum_to_exits_by_year": (
        "exits_by_reason summed over the reasons of each route equals exits_by_year for the same LA, year "
        "and route (it is exits_by_year one level down)",
        """select coalesce(y.la_code, r.la_code) as la_code,
                  coalesce(y.collection_year, r.collection_year) || ' ' || coalesce(y.exit_route, r.exit_route) as key,
                  y.children as mart_value, r.children as recomputed_value
           from marts.exits_by_year y
           full outer join (select la_code, collection_year, exit_route, sum(children) as children
                            from marts.exits_by_reason group by all) r
             on r.la_code = y.la_code and r.collection_year = y.collection_year and r.exit_route = y.exit_route""",
        ("exits_by_year", "exits_by_reason"),
    ),
    "recon_exits_equal_periods_ended": (
        "exits_by_year: children leaving care in a year (all routes) equals the distinct children "
        "with a period of care ended in that year, its last episode not a short break, in periods_of_care",
        """with p as (select la_code, collection_year_ended as y, count(distinct child_id) as n
                      from marts.periods_of_care where not is_open and not ends_on_short_break group by all),
                e as (select la_code, collection_year as y, sum(children) as n from marts.exits_by_year group by all)
           select coalesce(e.la_code, p.la_code) as la_code, coalesce(e.y, p.y) as key,
                  coalesce(e.n, 0) as mart_value, coalesce(p.n, 0) as recomputed_value
           from e full join p on e.la_code = p.la_code and e.y = p.y""",
        ("exits_by_year", "periods_of_care"),
    ),
    "recon_adoptions_equal_adopted_exits": (
        "adoption_scorecard.children_adopted equals the distinct children in adoption_timeliness "
        "for the LA and year",
        """with t as (select la_code, collection_year as y, count(distinct child_id) as n
                      from marts.adoption_timeliness group by all)
           select s.la_code, s.collection_year as key, s.children_adopted as mart_value,
                  coalesce(t.n, 0) as recomputed_value
           from marts.adoption_scorecard s left join t on s.la_code = t.la_code and s.collection_year = t.y""",
        ("adoption_scorecard", "adoption_timeliness"),
    ),
}


@dataclass
class ExpectationResult:
    suite: str
    mart: str
    expectation: str
    columns: str
    success: bool
    definition: str = ""


@dataclass
class ChecksOutcome:
    results: list[ExpectationResult] = field(default_factory=list)
    docs_index: Path | None = None
    skipped: list[str] = field(default_factory=list)  # marts absent from this warehouse

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def failed(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success]

    def summary(self) -> str:
        n, bad = len(self.results), self.failed
        if not bad:
            return f"{n} expectations on the marts passed"
        names = ", ".join(f"{r.suite}: {r.expectation}({r.columns})" for r in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        return f"{len(bad)} of {n} expectations on the marts failed: {names}{more}"


def _suites(gx, present: set[str]) -> dict[str, tuple[str, list, str]]:
    """suite name -> (frame source: mart name or reconciliation name, expectations, definition)."""
    E = gx.expectations
    nonneg = lambda col: E.ExpectColumnValuesToBeBetween(column=col, min_value=0)  # noqa: E731  (nulls ignored)
    share = lambda col: E.ExpectColumnValuesToBeBetween(column=col, min_value=0, max_value=100)  # noqa: E731
    ge = lambda a, b: E.ExpectColumnPairValuesAToBeGreaterThanB(  # noqa: E731
        column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing")
    suites: dict[str, tuple[str, list, str]] = {
        "periods_of_care": ("periods_of_care", [
            E.ExpectColumnValuesToNotBeNull(column="la_code"),
            E.ExpectColumnValuesToNotBeNull(column="child_id"),
            E.ExpectCompoundColumnsToBeUnique(column_list=["la_code", "child_id", "period_start"]),
            nonneg("days_in_care"),
            ge("period_end", "period_start"),
            E.ExpectColumnValuesToBeInSet(column="exit_route", value_set=EXIT_ROUTES),
        ], "Periods of care: keys present and unique, no negative durations, end not before start"),
        "exits_by_year": ("exits_by_year", [
            nonneg("children"),
            E.ExpectColumnValuesToBeInSet(column="exit_route", value_set=EXIT_ROUTES),
            E.ExpectCompoundColumnsToBeUnique(column_list=["la_code", "collection_year", "exit_route"]),
        ], "Exit routes per year: counts not negative, routes from docs/measures.md#exit-routes"),
        "duration_in_care": ("duration_in_care", [
            nonneg("periods_ended"), nonneg("mean_days_in_care"), nonneg("median_days_in_care"),
        ], "Duration in care: no negative counts or durations"),
        "adoption_timeliness": ("adoption_timeliness", [
            nonneg("a1_days"), nonneg("a2_days"), nonneg("a10_days"),
            ge("a1_days", "a10_days"),
        ], "Adoption timeliness A1/A2/A10: no negative durations, A10 not after A1"),
        "adoption_scorecard": ("adoption_scorecard", [
            nonneg("children_adopted"), share("a3_share"), share("a3_share_3yr"),
            nonneg("a1_mean"), nonneg("a2_mean"),
            ge("children_adopted_3yr", "children_adopted"),
        ], "Adoption scorecard: shares within 0-100, means not negative, 3-year pool not below the year"),
        "spg_cohort_children": ("spg_cohort_children", [
            E.ExpectColumnValuesToNotBeNull(column="child_id"),
            E.ExpectColumnValuesToBeBetween(column="cohort_id", min_value=1, max_value=6),
            nonneg("months_in_condition"),
            E.ExpectCompoundColumnsToBeUnique(column_list=["la_code", "as_at_date", "cohort_id", "child_id"]),
        ], "SPG tracker: cohorts 1-6, months in condition not negative, a child once per cohort"),
        "spg_cohort_summary": ("spg_cohort_summary", [
            nonneg("children"),
            E.ExpectColumnValuesToBeBetween(column="cohort_id", min_value=1, max_value=6),
        ], "SPG cohort summary: counts not negative, cohorts 1-6"),
        "placement_stability": ("placement_stability", [
            nonneg("three_plus_placements"), nonneg("long_term_stable"),
            ge("cla_at_31_march", "three_plus_placements"),
            ge("long_term_eligible", "long_term_stable"),
        ], "Placement stability: numerators within their denominators (rates within 0-1)"),
        "reentry": ("reentry", [
            nonneg("reentries_within_12_months"),
            ge("children_started", "reentries_within_12_months"),
        ], "Re-entry: re-entries within the children starting (rate within 0-1)"),
        "permanence_plan_by_second_review": ("permanence_plan_by_second_review", [
            share("share_plan_by_second_review"),
            ge("periods_due_second_review", "plan_by_second_review"),
            ge("periods_due_second_review", "second_review_overdue"),
        ], "Permanence plan by second review: share within 0-100"),
        # issue 4's reference marts, checked when they are built
        "targets": ("targets", [
            E.ExpectColumnValuesToBeInSet(column="status", value_set=["green", "amber", "red", "no data", "incomplete"]),
            E.ExpectColumnValuesToNotBeNull(column="measure"),
        ], "Targets: every target has a measure and a RAG status"),
        "benchmark": ("benchmark", [
            E.ExpectColumnValuesToBeBetween(column="quartile_all_las", min_value=1, max_value=4),
            ge("group_size", "rank_in_group"),
            E.ExpectColumnValuesToBeBetween(column="rank_in_group", min_value=1),
        ], "Benchmark: ranks within their group, quartiles 1-4"),
    }
    for name, (definition, _sql, marts) in RECONCILIATIONS.items():
        suites[name] = (name, [
            E.ExpectColumnPairValuesToBeEqual(column_A="mart_value", column_B="recomputed_value"),
        ], definition)
    out = {}
    for name, spec in suites.items():
        needs = RECONCILIATIONS[name][2] if name in RECONCILIATIONS else (spec[0],)
        if all(m in present for m in needs):
            out[name] = spec
    return out


def _read_marts(warehouse) -> dict[str, pd.DataFrame]:
    """Every mart as a frame: a DuckDB file's Path (opened read-only), or Settings (either target)."""
    if isinstance(warehouse, Path):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            names = [r[0] for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
            return {m: con.execute(f'select * from marts."{m}"').df() for m in names}
    from permanence import warehouse as wh

    if warehouse.target == "duckdb":
        return _read_marts(warehouse.warehouse_path)
    with wh.connect(warehouse) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
        frames = {}
        for m in names:
            cur = con.execute(f'select * from marts."{m}"')
            frames[m] = _as_duckdb_reads_it(pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description]))
        return frames


def _as_duckdb_reads_it(frame: pd.DataFrame) -> pd.DataFrame:
    """psycopg2 gives numeric as Decimal and dates as datetime.date objects; DuckDB's .df() gives
    floats and datetime64. One shape, so every expectation means the same on both warehouses."""
    import datetime as _dt
    import decimal

    for col in frame.columns:
        sample = frame[col].dropna()
        if sample.empty or frame[col].dtype != object:
            continue
        first = sample.iloc[0]
        if isinstance(first, decimal.Decimal):
            frame[col] = frame[col].astype(float)
        elif isinstance(first, _dt.date):
            frame[col] = pd.to_datetime(frame[col])
    return frame


def _frames(warehouse) -> tuple[dict[str, pd.DataFrame], set[str]]:
    frames = _read_marts(warehouse)
    present = set(frames)
    with duckdb.connect() as con:
        con.execute("create schema marts")
        for name, frame in frames.items():
            con.register(f"_{name}", frame)
            con.execute(f'create view marts."{name}" as select * from "_{name}"')
        for name, (_d, sql, marts) in RECONCILIATIONS.items():
            if all(m in present for m in marts):
                frames[name] = con.execute(sql).df()
    return frames, present


def _columns(kwargs: dict) -> str:
    for k in ("column", "column_list"):
        if k in kwargs:
            v = kwargs[k]
            return ",".join(v) if isinstance(v, list) else str(v)
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return ""


def run_mart_checks(warehouse, docs_dir: Path | None = None, run_name: str = "checks",
                    title: str | None = None) -> ChecksOutcome:
    """Validate every present mart of a DuckDB file (its Path) or of Settings' warehouse (DuckDB or
    PostgreSQL); build offline Data Docs into docs_dir when given, headed `title` (by default
    "Mart checks: <run_name>")."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)  # after import: GX sets its own levels

    frames, present = _frames(warehouse)
    context = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:  # noqa: BLE001  progress bars are cosmetic
        pass
    site = None
    if docs_dir is not None:
        docs_dir = docs_dir.resolve()  # GX's site store refuses a relative base directory
        docs_dir.mkdir(parents=True, exist_ok=True)
        site = "offline"
        context.add_data_docs_site(site_name=site, site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
    source = context.data_sources.add_pandas("marts")
    outcome = ChecksOutcome()
    suites = _suites(gx, present)
    outcome.skipped = sorted({"benchmark", "targets"} - present)
    vdefs = []
    for name, (frame_name, expectations, definition) in suites.items():
        asset = source.add_dataframe_asset(name=name)
        batch = asset.add_batch_definition_whole_dataframe(f"{name}_whole")
        suite = context.suites.add(gx.ExpectationSuite(name=name, meta={"notes": definition}))
        for e in expectations:
            suite.add_expectation(e)
        vd = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
        vdefs.append(vd)
        result = vd.run(batch_parameters={"dataframe": frames[frame_name]}, result_format="BOOLEAN_ONLY",
                        run_id=gx.RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.timezone.utc)))
        for r in result.results:
            cfg = r.expectation_config
            outcome.results.append(ExpectationResult(
                suite=name, mart=frame_name, expectation=cfg.type, columns=_columns(cfg.kwargs),
                success=bool(r.success), definition=definition))
    if site is not None:
        context.build_data_docs(site_names=[site])
        from validations.datadocs import make_offline

        outcome.docs_index = make_offline(docs_dir, outcome.results, title or f"Mart checks: {run_name}")
    return outcome


def record_results(con, load_ids: list[str], outcome: ChecksOutcome) -> None:
    """Append one row per load and expectation to audit.expectation_results (pass/fail only, no
    values). `con` is a warehouse backend connection (permanence.warehouse.connect), either target."""
    from permanence.warehouse import record_rows

    now = dt.datetime.now()
    record_rows(con, "expectation_results", [
        {"load_id": lid, "checked_at": now, "suite": r.suite, "mart": r.mart, "expectation": r.expectation,
         "columns": r.columns, "success": r.success, "definition": r.definition,
         "docs_path": str(outcome.docs_index) if outcome.docs_index else None}
        for lid in load_ids for r in outcome.results
    ])
