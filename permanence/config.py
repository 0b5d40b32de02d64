"""Configuration in one typed place: environment variables PERMANENCE_* or a .env file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PERMANENCE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Archive, warehouse, published copy and reports live here")
    warehouse: Path | None = Field(None, description="The DuckDB file the run builds; default data_dir/warehouse/permanence.duckdb")
    hmac_key: str | None = Field(None, description="Secret key for pseudonymising child identifiers (HMAC-SHA256)")
    hmac_key_file: Path | None = Field(None, description="File holding the key (the demo generates one here)")
    hmac_key_block: str | None = Field(None, description="Name of a Prefect Secret block holding the key, used when hmac_key is unset")
    bad_row_threshold: float = Field(0.05, ge=0, le=1, description="Share of rejected rows above which a drop is quarantined")
    timezone: str = "Europe/London"

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
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def dbt_target_dir(self) -> Path:
        return self.data_dir / "dbt"
