"""Great Expectations on the marts: the cross-mart reconciliations, run after dbt on every load, and
the auditor's Data Docs.

    from validations.marts.expectations import run_mart_checks
    outcome = run_mart_checks(warehouse_path, docs_dir=reports / "data-docs" / run_id,
                              dbt_target=settings.dbt_target_dir / "target")
    outcome.success, outcome.results  # one ExpectationResult per expectation, no values

One check layer per kind of check: dbt's data tests own every row and column invariant of one mart
(keys, not null, accepted values, ranges, subsets; their results land in audit.dbt_results), and
this module owns only what spans marts: figures two marts each compute that must agree. A check is
written in one layer, never both (tests/test_expectations.py compares this list with dbt's manifest).
The Data Docs index shows these reconciliations and, beside them, a per-mart count of the build's
dbt test results, so one page answers "was this load's output checked, and did it pass?".

How it reads the marts: GX cannot read DuckDB through duckdb-engine (every metric comes back N/A),
so each mart is read into pandas (from a read-only DuckDB connection, or from PostgreSQL). The
reconciliations are computed in SQL, by an in-memory DuckDB over those frames whatever the
warehouse, into a small frame (one row per LA and key, the mart's figure beside the recomputed one)
and checked with `expect_column_pair_values_to_be_equal` through an ephemeral pandas context.

No values leave this module: expectations run with result_format BOOLEAN_ONLY (GX's other formats
carry samples of failing values), results are stored as pass/fail per expectation, and the Data
Docs site is post-processed to work offline (validations/marts/datadocs.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

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
class DbtTestCount:
    """The build's dbt data tests on one model (or seed), counted by status: no messages, no failing
    row counts (a count of failing children on a small mart could point at one child)."""
    model: str
    passed: int = 0
    warned: int = 0
    failed: int = 0
    errored: int = 0
    skipped: int = 0

    @property
    def tests(self) -> int:
        return self.passed + self.warned + self.failed + self.errored + self.skipped


@dataclass
class ChecksOutcome:
    results: list[ExpectationResult] = field(default_factory=list)
    docs_index: Path | None = None
    skipped: list[str] = field(default_factory=list)  # reconciliations whose marts this warehouse lacks
    dbt_tests: list[DbtTestCount] = field(default_factory=list)  # the build's dbt data tests, for the Data Docs

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
    """suite name -> (frame name, expectations, definition): one suite per reconciliation whose marts
    are all in this warehouse."""
    E = gx.expectations
    return {name: (name, [E.ExpectColumnPairValuesToBeEqual(column_A="mart_value", column_B="recomputed_value")],
                   definition)
            for name, (definition, _sql, marts) in RECONCILIATIONS.items() if set(marts) <= present}


_STATUS_FIELD = {"pass": "passed", "warn": "warned", "fail": "failed", "error": "errored", "skipped": "skipped"}


def dbt_test_counts(target: Path | None) -> list[DbtTestCount]:
    """Per model, the statuses of the data tests of the last dbt command run into `target` (dbt's
    target/ folder: run_results.json, with manifest.json naming the model each test is on). Empty
    when there is no such run."""
    if target is None or not (target / "run_results.json").is_file() or not (target / "manifest.json").is_file():
        return []
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8")).get("results", [])
    nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8")).get("nodes", {})
    counts: dict[str, DbtTestCount] = {}
    for r in results:
        node = nodes.get(r.get("unique_id", ""), {})
        if node.get("resource_type") != "test":  # unit tests live under manifest["unit_tests"]
            continue
        model = _tested_model(node)
        c = counts.setdefault(model, DbtTestCount(model))
        attr = _STATUS_FIELD.get(str(r.get("status")), "errored")
        setattr(c, attr, getattr(c, attr) + 1)
    return sorted(counts.values(), key=lambda c: c.model)


def _tested_model(node: dict) -> str:
    """The model or seed a data test is attached to (a singular test: the models it reads)."""
    attached = node.get("attached_node")
    if attached:
        return attached.split(".")[-1]
    parents = [n.split(".")[-1] for n in node.get("depends_on", {}).get("nodes", []) if not n.startswith("macro.")]
    return " + ".join(sorted(parents)) or node.get("name", "?")


def _read_marts(warehouse) -> dict[str, pd.DataFrame]:
    """Every mart as a frame: a DuckDB file's Path (opened read-only), or Settings (either target)."""
    if isinstance(warehouse, Path):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return _marts(con, lambda sql: con.execute(sql).df())
    from permanence import warehouse as wh

    # Settings on DuckDB: the run's own connection settings, not read-only: in a run the published
    # copies are written from the warehouse while the checks read it (flows/nightly.py), and DuckDB
    # refuses two connections of one process to one file with different settings.
    with wh.connect(warehouse) as con:
        if warehouse.target == "duckdb":
            return _marts(con, lambda sql: con.raw.execute(sql).df())
        return _marts(con, lambda sql: _as_duckdb_reads_it(_fetched_frame(con.execute(sql))))


def _marts(con, read) -> dict[str, pd.DataFrame]:
    """mart name -> `read('select * from marts.<name>')`, for the marts of the connection's own database."""
    names = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_catalog = current_database() "
        "and table_schema = 'marts'").fetchall()]
    return {m: read(f'select * from marts."{m}"') for m in names}


def _fetched_frame(cur) -> pd.DataFrame:
    return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])


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
                    title: str | None = None, dbt_target: Path | None = None) -> ChecksOutcome:
    """Run the reconciliations whose marts are in a DuckDB file (its Path) or in Settings' warehouse
    (DuckDB or PostgreSQL); build offline Data Docs into docs_dir when given, headed `title` (by
    default "Mart checks: <run_name>"), with the dbt data tests of the build whose target/ folder is
    `dbt_target` counted per model beside them."""
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
    outcome.skipped = sorted(set(RECONCILIATIONS) - set(suites))
    outcome.dbt_tests = dbt_test_counts(dbt_target)
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
        from validations.marts.datadocs import make_offline

        outcome.docs_index = make_offline(docs_dir, outcome.results, title or f"Mart checks: {run_name}",
                                          dbt_tests=outcome.dbt_tests)
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
