"""The `audit` schema: every audit table's DDL, and the one function that creates them.

Audit tables are append-only evidence (a load's status is its latest row in `audit.loads`); they
hold counts, hashes, names of files and rules, never a value from a row. Every step that writes
one calls `create_audit_schema` first (it is idempotent and cheap), so a warehouse made by an
older version gains a table or column on the first run that needs it.

`con` is a warehouse backend (permanence.warehouse.backends, which maps DuckDB types for PostgreSQL) or a
plain DuckDB connection.
"""

from __future__ import annotations

AUDIT_TABLES: dict[str, str] = {
    "loads": """load_id VARCHAR, la_code VARCHAR, source VARCHAR, extract_date DATE, as_at_date DATE,
        coverage_start DATE, drop_sha256 VARCHAR, status VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, files INTEGER,
        rows_in BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, message VARCHAR, key_fingerprint VARCHAR,
        archive_path VARCHAR, code_version VARCHAR""",
    "load_files": """load_id VARCHAR, file_name VARCHAR, table_name VARCHAR, sha256 VARCHAR, bytes BIGINT,
        rows_in BIGINT, rows_loaded BIGINT, rows_rejected BIGINT""",
    # source: 'ours' (the project's rules, acted on at load) or 'dfe' (the DfE's rule pack, run after
    # the publish for return readiness: validations/dfe/readiness.py)
    "validation_results": """load_id VARCHAR, file_name VARCHAR, table_name VARCHAR, rule_code VARCHAR,
        rule VARCHAR, severity VARCHAR, row_number INTEGER, column_name VARCHAR, count BIGINT,
        source VARCHAR DEFAULT 'ours'""",
    # Stitched loads: what each yearly 903 return brought (its files are audit.load_files rows
    # named '<collection year>/<file>').
    "load_returns": """load_id VARCHAR, collection_year VARCHAR, source VARCHAR, extract_date DATE,
        extract_date_from VARCHAR, coverage_start DATE, drop_sha256 VARCHAR, files INTEGER, rows_in BIGINT,
        rows_loaded BIGINT, rows_rejected BIGINT""",
    # Published loads queued for the DfE's rule pack (validations/dfe/readiness.py), run by the
    # dfe-rules flow after the nightly run; done when its `dfe_rules` step is recorded 'ok'.
    "dfe_queue": """load_id VARCHAR, la_code VARCHAR, drop_folder VARCHAR, collection_year VARCHAR,
        file_prefix VARCHAR, report_dir VARCHAR, docs_dir VARCHAR, queued_at TIMESTAMP""",
    "load_steps": """load_id VARCHAR, step VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
        status VARCHAR, cpu_seconds DOUBLE, peak_rss_mb DOUBLE""",
    # The dbt data tests of the build that carried a load (from dbt's run_results.json): one row per
    # test and load; failures is the number of failing rows dbt counted, never the rows themselves.
    "dbt_results": """load_id VARCHAR, built_at TIMESTAMP, unique_id VARCHAR, status VARCHAR,
        failures BIGINT, execution_seconds DOUBLE""",
    # Great Expectations on the marts after a load's build (validations/marts/expectations.py): pass/fail only.
    "expectation_results": """load_id VARCHAR, checked_at TIMESTAMP, suite VARCHAR, mart VARCHAR,
        expectation VARCHAR, columns VARCHAR, success BOOLEAN, definition VARCHAR, docs_path VARCHAR""",
    # Which mart tables (and how many rows) each load published, and where (permanence.publish.copies).
    "published_marts": """load_id VARCHAR, published_at TIMESTAMP, published_path VARCHAR, table_name VARCHAR,
        rows BIGINT, parquet_dir VARCHAR""",
    # Each published reference file loaded (permanence.reference): one row per file, append-only.
    "reference_loads": """file VARCHAR, sha256 VARCHAR, family VARCHAR, table_name VARCHAR, rows BIGINT,
        skipped BIGINT, loaded_at TIMESTAMP, message VARCHAR""",
    # `--reveal-ids` tracker workbooks (permanence.publish.tiers): who, when, which LA, how many rows, which
    # file (its name only); a reveal is not done unrecorded.
    "reveal_ids": """revealed_at TIMESTAMP, os_user VARCHAR, la_code VARCHAR, rows_revealed BIGINT,
        file_name VARCHAR, expires_on DATE""",
    # Retention (permanence.ops.retention): one row per thing deleted; item is a path relative to the
    # data directory or a load id, never an identifier.
    "retention": """run_id VARCHAR, class VARCHAR, item VARCHAR, bytes BIGINT, rows BIGINT, deleted_at TIMESTAMP,
        reason VARCHAR""",
    # Erasure of one child (permanence.ops.erasure): the pseudonym's own SHA-256, never the CMS id or the
    # pseudonym (which would still link the marts' old copies to them).
    "erasures": """erasure_id VARCHAR, la_code VARCHAR, pseudonym_sha256 VARCHAR, status VARCHAR, rows_removed BIGINT,
        rows_per_table VARCHAR, files_rewritten INTEGER, parquet_files_rewritten INTEGER, key_fingerprint VARCHAR,
        erased_at TIMESTAMP, message VARCHAR""",
    "erasure_files": """erasure_id VARCHAR, file VARCHAR, old_sha256 VARCHAR, new_sha256 VARCHAR, old_bytes BIGINT,
        new_bytes BIGINT, records_removed BIGINT""",
    # Re-pseudonymisation under a new key (permanence.ops.erasure.rekey): the key the warehouse holds now
    # is the newer of the latest load's and the latest rekey's (warehouse.check_key).
    "rekeys": """rekey_id VARCHAR, old_fingerprint VARCHAR, new_fingerprint VARCHAR, status VARCHAR, rows_updated BIGINT,
        ids_mapped BIGINT, archive_folders INTEGER, started_at TIMESTAMP, finished_at TIMESTAMP, message VARCHAR""",
}
# Columns added after warehouses existed without them: CREATE TABLE IF NOT EXISTS leaves an old
# table as it was, so each is added where missing.
_ADDED_LATER = (
    ("loads", "coverage_start", "DATE"),
    ("loads", "key_fingerprint", "VARCHAR"),
    ("loads", "archive_path", "VARCHAR"),
    ("loads", "code_version", "VARCHAR"),
    ("validation_results", "source", "VARCHAR DEFAULT 'ours'"),
)


def columns(table: str) -> list[str]:
    """The column names of one audit table, in order."""
    return [part.split()[0] for part in AUDIT_TABLES[table].split(",")]


def create_audit_schema(con) -> None:
    """Every audit table exists (empty if nothing was recorded yet), with every column."""
    ddl_type = getattr(con, "ddl_type", lambda ddl: ddl)
    con.execute("CREATE SCHEMA IF NOT EXISTS audit")
    for name, ddl in AUDIT_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS audit.{name} ({ddl_type(ddl)})")
    for table, column, ty in _ADDED_LATER:
        con.execute(f"ALTER TABLE audit.{table} ADD COLUMN IF NOT EXISTS {column} {ddl_type(ty)}")
