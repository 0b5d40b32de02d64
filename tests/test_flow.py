"""One real Prefect flow run end to end (the harness starts a local Prefect API: ~25 s)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow
REF = Path(__file__).resolve().parents[2] / "shared" / "reference"  # published files, when present


def test_nightly_flow_run_end_to_end(tmp_path, monkeypatch, caplog):
    from prefect.testing.utilities import prefect_test_harness

    from flows.nightly import nightly
    from flows.reference import reference_refresh
    from permanence.synth import generate_region

    [drop] = generate_region(tmp_path / "in", las=1, children=40, years=2, seed=11)
    monkeypatch.setenv("PERMANENCE_HMAC_KEY", "dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98")
    warehouse = tmp_path / "wh" / "permanence.duckdb"
    caplog.set_level(logging.INFO)
    with prefect_test_harness(server_startup_timeout=120):
        state = nightly(source=str(drop.path), la_code=drop.la_code, warehouse=str(warehouse),
                        data_dir=str(tmp_path / "data"), return_state=True)
        assert state.is_completed(), state.message
        summary = state.result()
        artifacts = asyncio.run(_artifacts())
        if REF.is_dir():
            # the quarterly reference refresh republishes the restricted copy: the trackers are
            # brought up to date from it (kept when nothing they show changed: their time moves on)
            workbook = tmp_path / "data" / "restricted" / f"spg-tracker-{drop.la_code}.xlsx"
            before = workbook.stat().st_mtime_ns
            refreshed = reference_refresh(sources=[str(REF)], warehouse=str(warehouse),
                                          data_dir=str(tmp_path / "data"), return_state=True)
            assert refreshed.is_completed(), refreshed.message
            restricted = tmp_path / "data" / "restricted" / warehouse.name
            assert workbook.stat().st_mtime_ns > before
            assert workbook.stat().st_mtime_ns >= restricted.stat().st_mtime_ns
    assert summary.status == "published"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_ssda903__episodes").fetchone()[0] > 0
        steps = {r[0] for r in con.execute("select step from audit.load_steps").fetchall()}
    assert {"pull", "validate", "pseudonymise", "load", "transform", "stage_copies", "checks", "publish"} <= steps
    # the copies written aside beside the checks were swapped in: nothing left beside them
    data = tmp_path / "data"
    assert not [p for p in [*(data / "published").iterdir(), *(data / "restricted").iterdir()] if ".tmp" in p.name]
    child_ids = {line.split(",")[0] for p in drop.path.glob("*.csv") for line in p.read_text(encoding="utf-8-sig").splitlines()[1:] if line}
    logged = caplog.text
    assert not [c for c in child_ids if c and c in logged]
    # the run's outcome is in the Prefect UI: the loads table and where the evidence is, no values
    [art] = [a for a in artifacts if a.key == "nightly-loads"]
    assert f"`{summary.load_id}`" in art.data and "**published**" in art.data and "permanence audit --load" in art.data
    assert not [c for c in child_ids if c and f" {c} " in art.data]


async def _artifacts():
    # on the run of the `region-load` subflow that `nightly` calls
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-loads"])))
