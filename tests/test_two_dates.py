"""The extract date E, the reporting date D and the coverage start C of a load, and yearly 903
returns stitched into one history (docs/measures.md#dates-e-d-and-c)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import duckdb
import pytest

from permanence import pipeline
from permanence.config import Settings
from permanence.synth import generate_region
from permanence.synth.returns import write_yearly_returns
from tests.pipeline_helpers import ingest

E = dt.date(2025, 3, 31)
YEARS = ["2022-23", "2023-24", "2024-25"]


@pytest.fixture(scope="module")
def full_drop(tmp_path_factory):
    return generate_region(tmp_path_factory.mktemp("full"), las=1, children=80, years=4, seed=31, extract_date=E)[0]


@pytest.fixture(scope="module")
def returns(full_drop, tmp_path_factory):
    return write_yearly_returns(full_drop.path, tmp_path_factory.mktemp("returns"), YEARS)


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_an_earlier_reporting_date_rejects_nothing(full_drop, tmp_path):
    """D a year before E: validation still judges dates against E, so no row becomes 'future'."""
    at_e = ingest(Settings(data_dir=tmp_path / "e"), [(str(full_drop.path), full_drop.la_code)])[0]
    settings = Settings(data_dir=tmp_path / "d")
    early = ingest(settings, [(str(full_drop.path), full_drop.la_code)], as_at=dt.date(2024, 3, 31))[0]
    assert early.status == "loaded"
    assert (early.rows_loaded, early.rows_rejected) == (at_e.rows_loaded, at_e.rows_rejected)
    assert not [i for i in early.issues if i.rule_code == "PERM-FUTURE"]
    assert _query(settings, "select extract_date, as_at_date, coverage_start from raw.current_load") == [
        (E, dt.date(2024, 3, 31), dt.date(2021, 4, 1))]  # C: the synthetic CMS extract's declared go-live
    pipeline.finish(settings, early, "published")
    assert _query(settings, "select as_at_date, coverage_start from audit.loads") == [
        (dt.date(2024, 3, 31), dt.date(2021, 4, 1))]
    assert "- reporting date D: 2024-03-31" in (early.report_dir / "validation.md").read_text()


def test_a_reporting_date_after_the_extract_is_refused(full_drop, tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    pipeline.prepare(settings)
    run = pipeline.begin(str(full_drop.path), full_drop.la_code, as_at=E + dt.timedelta(days=1))
    with pytest.raises(pipeline.DatesRefused, match="after the extract date 2025-03-31"):
        pipeline.pull_step(settings, run)


def test_yearly_returns_are_stitched_into_one_load(returns, tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    run = ingest(settings, [([str(p) for p in returns], "894")])[0]
    assert run.status == "loaded", run.message
    # Each row keeps its own return's extract date, so the later return can win a duplicate.
    assert _query(settings, "select distinct extract_date from raw.episodes order by 1") == [
        (dt.date(2023, 3, 31),), (dt.date(2024, 3, 31),), (E,)]
    # E and D of the latest return; C the earliest return's 1 April.
    assert _query(settings, "select extract_date, as_at_date, coverage_start from raw.current_load") == [
        (E, E, dt.date(2022, 4, 1))]
    pipeline.finish(settings, run, "published")
    got = _query(settings, "select collection_year, extract_date, coverage_start, files, rows_loaded "
                           "from audit.load_returns order by collection_year")
    assert [r[:3] for r in got] == [(y, dt.date(int(y[:4]) + 1, 3, 31), dt.date(int(y[:4]), 4, 1)) for y in YEARS]
    assert all(files > 0 and rows > 0 for *_, files, rows in got)
    files = {name for (name,) in _query(settings, "select file_name from audit.load_files")}
    assert {f"{y}/SSDA903_Episodes.csv" for y in YEARS} <= files
    assert sum(r[4] for r in got) == run.rows_loaded


def test_a_folder_of_returns_is_the_same_load_as_listing_them(returns, tmp_path):
    listed = pipeline.begin([str(p) for p in returns], "894", None)
    folder = pipeline.begin(str(returns[0].parent), "894", None)
    assert folder.sources == listed.sources
    settings = Settings(data_dir=tmp_path / "data")
    pipeline.prepare(settings)
    assert pipeline.pull_step(settings, folder).drop.drop_sha256 == pipeline.pull_step(settings, listed).drop.drop_sha256


def test_a_return_without_a_year_takes_it_from_its_own_dates(returns, tmp_path):
    """No manifest year and no year in the folder name: the latest episode date says which year."""
    import shutil

    anonymous = tmp_path / "src" / "unlabelled"
    shutil.copytree(returns[-1], anonymous)
    (anonymous / "manifest.json").write_text(json.dumps({"la_code": "894"}))
    settings = Settings(data_dir=tmp_path / "data")
    run = ingest(settings, [([str(returns[0]), str(anonymous)], "894")])[0]
    assert run.status == "loaded", run.message
    assert [r.collection_year for r in run.returns] == ["2022-23", "2024-25"]
    assert run.returns[-1].extract_date == E


def test_extract_date_with_several_returns_is_a_usage_error(returns):
    out = subprocess.run(
        [sys.executable, "-m", "permanence.cli", "run", "--la", "894", "--extract-date", "2025-03-31",
         *[a for p in returns for a in ("--source", str(p))]],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 4  # usage
    assert (out.stdout + out.stderr).strip().splitlines()[-1].startswith("error: --extract-date names one drop's date")
    assert "Traceback" not in out.stdout + out.stderr
