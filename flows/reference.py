"""Reference data as a Prefect flow (own deployment, quarterly): load the published DfE/ONS files
the user configures (paths or URLs), then rebuild the benchmark and targets marts (and
adoption_pipeline, which shows the national adoption stage timings).

    load (retried: files come over the network) -> dbt build benchmark + targets -> publish
    -> SPG trackers (their summary shows the targets)

Runs under the same warehouse lock as the nightly flow (permanence.warehouse.exclusive).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.nightly import tracker
from permanence.config import Settings
from permanence.progress import step
from permanence.warehouse import exclusive

TASK = dict(cache_policy=NO_CACHE, persist_result=False)
# Everything the benchmark and targets marts need, and adoption_pipeline, whose national stage
# timings come from the reference files.
DBT_SELECT = "+benchmark +targets +adoption_pipeline"
# A data test runs only when every model it reads is in the selection: the exit_routes seed is
# selected (the benchmark reads it) but most marts tested against it are not built here.
DBT_ENV = {"DBT_INDIRECT_SELECTION": "cautious"}


@task(retries=3, retry_delay_seconds=[10, 60, 300], **TASK)
def load_reference(sources: list[str], warehouse: str) -> list[dict]:
    """Load every published file found under the sources; returns one summary dict per file."""
    from permanence.reference import load_sources
    from permanence.warehouse import connect, create_schema

    wh = Path(warehouse)
    con = connect(wh)
    try:
        create_schema(con)  # raw/audit too, so the marts build on a fresh warehouse
    finally:
        con.close()
    with step("reference", "load published reference files"):
        report = load_sources(sources, wh)
    return [
        {"file": f.file, "family": f.family, "table": f.table, "rows": f.rows, "skipped": f.skipped,
         "message": f.message}
        for f in report.files
    ]


@task(**TASK)
def build_benchmarks(warehouse: str, dbt_dir: str) -> str:
    from permanence.transform.dbt import run_dbt

    with step("transform", "dbt build benchmark and targets"):
        outcome = run_dbt("build", warehouse=Path(warehouse), select=DBT_SELECT, artifacts_dir=dbt_dir,
                          extra_env=DBT_ENV)
    return outcome.summary()


@task(retries=2, retry_delay_seconds=5, **TASK)
def publish(settings: Settings) -> Path | None:
    """Replace the published copy so readers see the new reference data and benchmarks."""
    if settings.target != "duckdb":
        return None  # PostgreSQL: readers query the database itself
    from permanence.pipeline import publish_copies

    with step("publish", "publish"):
        pub, _restricted = publish_copies(settings)
    return pub.path


@flow(name="reference-refresh", log_prints=False)
def reference_refresh(sources: list[str], warehouse: str | None = None, data_dir: str | None = None) -> list[dict]:
    """Load published reference files (paths, folders or URLs) and rebuild benchmark and targets."""
    overrides = {k: v for k, v in {"warehouse": warehouse, "data_dir": data_dir}.items() if v}
    settings = Settings(**overrides)
    logger = get_run_logger()
    with exclusive(settings):
        files = load_reference(sources, str(settings.warehouse_path))
        summary = build_benchmarks(str(settings.warehouse_path), str(settings.dbt_target_dir / "reference"))
        published = publish(settings)
        # The trackers are written from the restricted copy just replaced (the targets it holds now
        # are on their summary sheet); a workbook whose inputs did not change is kept as it is.
        tracker(settings, published)
    for f in files:
        if f["family"]:
            logger.info("%s: %s, %d rows", f["file"], f["family"], f["rows"])
        else:
            logger.warning("%s: %s", f["file"], f["message"])
    logger.info(summary)
    return files
