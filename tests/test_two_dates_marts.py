"""End to end: the marts see only what was known on D, and stitched returns are one history.

- a drop reported as at a year before its extract date builds the same marts as the same drop
  cut at that date (what a CMS extract taken that day would have held);
- two overlapping yearly returns stitched build the same marts as one extract covering both years.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from permanence.config import Settings
from permanence.synth import generate_region
from permanence.synth.returns import write_extract_at, write_yearly_returns
from tests.pipeline_helpers import run_drops

pytestmark = pytest.mark.slow

E = dt.date(2026, 3, 31)
D = dt.date(2025, 3, 31)
# Where a load came from, not what it says: these differ between two loads of the same history.
PROVENANCE = {"extract_date", "load_id", "built_from_load", "build_key", "source_row", "source_file"}


@pytest.fixture(scope="module")
def drop(tmp_path_factory):
    return generate_region(tmp_path_factory.mktemp("full"), las=1, children=120, years=5, seed=17, extract_date=E)[0]


def marts(settings: Settings) -> dict[str, list[tuple]]:
    out = {}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for (table,) in con.execute("select table_name from information_schema.tables where table_schema = 'marts' "
                                    "and table_type = 'BASE TABLE' order by 1").fetchall():
            cols = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
                "order by ordinal_position", [table]).fetchall() if c not in PROVENANCE]
            rows = con.execute(f"select {', '.join(chr(34) + c + chr(34) for c in cols)} from marts.{table}").fetchall()
            out[table] = sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r))
    return out


def built(tmp_path, name: str, source, **kwargs) -> dict[str, list[tuple]]:
    settings = Settings(data_dir=tmp_path / name)
    runs = run_drops(settings, [(source, "894")], **kwargs)
    assert [r.status for r in runs] == ["published"], [r.message for r in runs]
    return marts(settings)


def assert_same_marts(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    differing = {t: (len(got[t]), len(want[t])) for t in want if got[t] != want[t]}
    assert not differing, f"marts that differ (rows got, want): {differing}"


def test_reported_a_year_early_equals_the_drop_cut_at_that_date(drop, tmp_path):
    # The 903 tables on both sides (the cut is of the 903: the CMS extras are left out of both).
    as_extracted = write_extract_at(drop.path, tmp_path / "as-extracted" / "894", E)
    early = built(tmp_path, "early", str(as_extracted), as_at=D)
    cut = built(tmp_path, "cut", str(write_extract_at(drop.path, tmp_path / "cut-drop" / "894", D)))
    assert early["spg_cohort_summary"], "no cohort rows: the comparison would be empty"
    assert_same_marts(early, cut)


def test_two_overlapping_returns_equal_one_combined_extract(drop, tmp_path):
    returns = write_yearly_returns(drop.path, tmp_path / "returns", ["2024-25", "2025-26"])
    stitched = built(tmp_path, "stitched", [str(p) for p in returns])
    combined = built(tmp_path, "combined", str(write_extract_at(drop.path, tmp_path / "combined-drop" / "894", E,
                                                                start=dt.date(2024, 4, 1))))
    assert stitched["periods_of_care"], "no periods: the comparison would be empty"
    assert_same_marts(stitched, combined)
