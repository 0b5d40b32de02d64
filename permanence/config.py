"""Configuration in one typed place: environment variables PERMANENCE_* or a .env file."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from permanence.transform.saved_parse import default_cache


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PERMANENCE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Archive, warehouse, published copy and reports live here")
    warehouse: Path | None = Field(None, description="The DuckDB file the run builds; default data_dir/warehouse/permanence.duckdb")
    hmac_key: str | None = Field(None, description="Secret key for pseudonymising child identifiers (HMAC-SHA256)")
    hmac_key_file: Path | None = Field(None, description="File holding the key (the demo generates one here)")
    hmac_key_block: str | None = Field(None, description="Name of a Prefect Secret block holding the key, used when hmac_key is unset")
    bi_group: str | None = Field(
        None, description="Group that may read the published copy (BI readers); unset: the service account only, never all users"
    )
    max_file_mb: int = Field(
        2048, ge=1, description="A drop file larger than this (MB) is refused at the pull, before it is copied or read"
    )
    pull_timeout_seconds: int = Field(
        1800, ge=10, description="Time limit of one pull attempt (copying a drop from its source into the archive)"
    )
    bad_row_threshold: float = Field(0.05, ge=0, le=1, description="Share of rejected rows above which a drop is quarantined")
    tracker_slicers: bool = Field(
        False, description="Slicers on the SPG tracker's cohort tables (permanence.tracker.slicers). Off until an "
        "LA has opened such a workbook in its own Excel: the parts follow what Excel writes, but no Excel checked them here"
    )
    small_number_threshold: int = Field(
        5, ge=0, description="Counts from 1 to this, and figures resting on them, show as 'c' in the quarterly report and are null in the BI copy (0: none hidden)"
    )
    reveal_retention_days: int = Field(
        7, ge=0, description="Days a `tracker --reveal-ids` workbook (CMS ids) is kept in the restricted location; "
                             "older ones are removed at the next run or tracker call (0: at the next call)"
    )
    duckdb_memory_limit: str = Field(
        "2500MB",
        description="DuckDB's memory limit while dbt builds the embedded warehouse ('2500MB', '4GB', '50%'); "
                    "DuckDB's own default, 80% of the machine, let a national build's process pass 4 GB. "
                    "Past it DuckDB spills to disk beside the warehouse",
    )
    dbt_parse_cache: Path | None = Field(
        default_factory=default_cache,
        description="The installation's copy of dbt's saved parse, which a fresh data directory starts from "
                    "rather than parsing the whole project (~6 s): the project's SQL and yml, no data "
                    "(permanence.transform.saved_parse). Empty: none kept",
    )
    workers: int = Field(
        0, ge=0, description="Processes cleaning drops at once in a run of several drops, and writing the SPG trackers of a warehouse of many LAs (0: one per CPU core; 1: none, all in the run's own process)"
    )
    # Retention (`permanence retention`, and the nightly flow after each publish): days each class
    # is kept; 0 keeps it for ever. The current published load's raw rows and archive are never due.
    retain_archive_days: int = Field(
        400, ge=0, description="Archived drops whose loads' raw rows are gone: days after their last load (a year and the annual return's audit)")
    retain_raw_days: int = Field(
        400, ge=0, description="Raw rows of a load no longer current for its LA (superseded by a newer load): days after that load finished")
    retain_quarantined_days: int = Field(
        90, ge=0, description="Archived drops that were only ever quarantined (never loaded): days after the quarantine")
    retain_reports_days: int = Field(
        400, ge=0, description="Validation reports, Data Docs and quarterly reports under reports/: days after they were written")
    retain_parquet_days: int = Field(
        35, ge=0, description="Dated Parquet snapshots under published/parquet/ other than the latest: days after their date")
    timezone: str = "Europe/London"
    notify_webhook: str | None = Field(None, description="Webhook URL(s), comma-separated, POSTed a JSON message when a run fails or crashes")
    target: Literal["duckdb", "postgres"] = Field(
        "duckdb", description="Warehouse backend: the embedded DuckDB file, or a shared PostgreSQL database"
    )
    # PostgreSQL connection (target postgres); the same variables the dbt profile reads.
    pg_host: str = Field("localhost", description="PostgreSQL host (PERMANENCE_PG_HOST)")
    pg_port: int = Field(5432, description="PostgreSQL port (PERMANENCE_PG_PORT)")
    pg_user: str = Field("permanence", description="PostgreSQL loader role (PERMANENCE_PG_USER)")
    pg_password: SecretStr = Field(SecretStr(""), description="Its password (PERMANENCE_PG_PASSWORD); empty for trust/peer/.pgpass")
    pg_dbname: str = Field("permanence", description="PostgreSQL database (PERMANENCE_PG_DBNAME)")
    pg_bi_role: str = Field("permanence_bi", description="PostgreSQL role of BI readers: schema bi (aggregate marts, "
                                                         "small numbers suppressed) and reference only")
    pg_restricted_role: str = Field("permanence_restricted", description="PostgreSQL role reading every mart, "
                                    "child-level ones included, under row-level security per LA (access.la_readers)")

    @field_validator("dbt_parse_cache", mode="before")
    @classmethod
    def _none_when_empty(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _a_size(cls, value: str) -> str:
        # Refused here, at start, rather than by DuckDB after the load, when dbt opens the warehouse.
        if not re.fullmatch(r"(?i)\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib|%)\s*", value):
            raise ValueError("not a size such as 2500MB, 4GB or 50%")
        return value

    def pg_conninfo(self) -> dict:
        """Keyword arguments for psycopg2.connect; an empty password is left to libpq (.pgpass)."""
        info = {"host": self.pg_host, "port": self.pg_port, "user": self.pg_user, "dbname": self.pg_dbname,
                "application_name": "permanence"}
        if self.pg_password.get_secret_value():
            info["password"] = self.pg_password.get_secret_value()
        return info

    @property
    def warehouse_label(self) -> str:
        """Where the run writes, for messages: the DuckDB file, or postgresql://user@host:port/db (no password)."""
        if self.target == "postgres":
            return f"postgresql://{self.pg_user}@{self.pg_host}:{self.pg_port}/{self.pg_dbname}"
        return str(self.warehouse_path)

    def pg_env(self) -> dict[str, str]:
        """The PERMANENCE_PG_* variables for dbt's postgres profile."""
        return {
            "PERMANENCE_PG_HOST": self.pg_host,
            "PERMANENCE_PG_PORT": str(self.pg_port),
            "PERMANENCE_PG_USER": self.pg_user,
            "PERMANENCE_PG_PASSWORD": self.pg_password.get_secret_value(),
            "PERMANENCE_PG_DBNAME": self.pg_dbname,
        }

    @cached_property
    def warehouse_path(self) -> Path:
        return self.warehouse or self.data_dir / "warehouse" / "permanence.duckdb"

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def published_dir(self) -> Path:
        return self.data_dir / "published"

    @property
    def restricted_dir(self) -> Path:
        """Child-level marts, the SPG tracker and --reveal-ids output: the service account's alone (0700)."""
        return self.data_dir / "restricted"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def dbt_target_dir(self) -> Path:
        return self.data_dir / "dbt"
