"""Coverage and partial years (docs/measures.md#coverage; issue 11 points 2 and 6), end to end.

A synthetic region of three LAs is loaded as the nightly flow does; then one LA's load is given a
coverage start C (as a yearly 903 return would have: 1 April of a year inside its history) and the
marts are rebuilt. Years reaching back past C must be flagged incomplete with a reason and left
out of benchmark ranks, quartiles and other LAs' comparisons; the other LAs are untouched.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

pytestmark = pytest.mark.slow


def _year_start(label: str) -> int:
    return int(label[:4])


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    from permanence.config import Settings
    from permanence.synth import generate_region
    from tests.pipeline_helpers import build, run_drops

    tmp = tmp_path_factory.mktemp("coverage_region")
    drops = generate_region(tmp / "drops", las=3, children=80, years=5, seed=23)
    settings = Settings(data_dir=tmp / "data")
    runs = run_drops(settings, [(str(d.path), d.la_code) for d in drops])
    assert all(r.status == "published" for r in runs), [(r.la_code, r.status) for r in runs]
    las = sorted(d.la_code for d in drops)
    covered = las[0]
    con = duckdb.connect(str(settings.warehouse_path))
    (as_at,) = con.execute("select as_at_date from raw.current_load where la_code = ?", [covered]).fetchone()
    d_year = as_at.year if as_at.month >= 4 else as_at.year - 1
    coverage_start = dt.date(d_year - 2, 4, 1)  # two whole years before D's collection year
    # One LA with a coverage start, the others as whole histories (the synthetic drops declare
    # their window start: cleared here so the comparison has both kinds).
    con.execute("update raw.current_load set coverage_start = case when la_code = ? then cast(? as date) end",
                [covered, coverage_start])
    con.close()
    build(settings, full_refresh=True)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    yield con, covered, coverage_start, las
    con.close()


def test_years_before_the_coverage_start_are_flagged_and_later_ones_are_not(region):
    con, covered, c, las = region
    rows = con.execute("select la_code, collection_year, complete, incomplete_reason from marts.exits_by_year").fetchall()
    assert rows
    before = [r for r in rows if r[0] == covered and _year_start(r[1]) < c.year]
    assert before, "the synthetic history should reach back past the coverage start"
    for la, year, complete, reason in rows:
        expect_complete = la != covered or _year_start(year) >= c.year
        assert complete is expect_complete, (la, year)
        assert (reason is None) is expect_complete, (la, year)

    # CLA counts and 3+ placements need the year from its 1 April; long-term stability 30 months back.
    for la, year, end, complete, lt_complete in con.execute(
            "select la_code, collection_year, year_end_date, complete, long_term_complete from marts.placement_stability").fetchall():
        if la != covered:
            assert complete and lt_complete
            continue
        assert complete is (_year_start(year) >= c.year), year
        thirty_months_back = dt.date(end.year - 3, 9, 30)  # 31 March -> 30 September two and a half years earlier
        assert lt_complete is (thirty_months_back >= c), year

    # Re-entry needs the 365 days before the year: the first covered year is still incomplete.
    for la, year, complete in con.execute("select la_code, collection_year, complete from marts.reentry").fetchall():
        if la == covered and _year_start(year) <= c.year:
            assert complete is False, year


def test_incomplete_figures_are_never_ranked_nor_compared(region):
    con, covered, c, las = region
    rows = con.execute(
        "select la_code, measure, period, complete, incomplete_reason, rank_in_group, quartile_all_las, las_with_data "
        "from marts.benchmark where source = 'computed' and value is not null").fetchall()
    incomplete = [r for r in rows if r[0] == covered and not r[3]]
    assert any(_year_start(r[2]) < c.year for r in incomplete)
    for la, measure, period, complete, reason, rank, quartile, n in incomplete:
        assert reason and rank is None and quartile is None and n is None, (measure, period)
    # Another LA's quartile for the same measure and year counts only complete figures.
    incomplete_keys = {(r[1], r[2]) for r in incomplete}
    others = [r for r in rows if r[0] != covered and r[3] and (r[1], r[2]) in incomplete_keys]
    assert others
    for la, measure, period, complete, reason, rank, quartile, n in others:
        complete_las = sum(1 for r in rows if r[1] == measure and r[2] == period and r[3])
        assert n == complete_las < len(las), (la, measure, period)


def test_a_year_not_ended_on_d_is_partial_and_not_ranked(region):
    con, covered, c, las = region
    rows = con.execute(
        "select e.la_code, e.collection_year, e.partial, l.as_at_date from marts.exits_by_year e "
        "join raw.current_load l using (la_code)").fetchall()
    for la, year, partial, as_at in rows:
        assert partial is (dt.date(_year_start(year) + 1, 3, 31) > as_at), (la, year)
    partial_years = [r for r in rows if r[2]]
    assert partial_years or all((r[3].month, r[3].day) == (3, 31) for r in rows)
    partial_rows = con.execute(
        "select b.complete, b.incomplete_reason, b.quartile_all_las from marts.benchmark b "
        "join marts.exits_by_year e on e.la_code = b.la_code and e.collection_year = b.period "
        "where b.source = 'computed' and b.measure like 'exit%' and e.partial").fetchall()
    assert bool(partial_rows) == bool(partial_years)
    for complete, reason, quartile in partial_rows:
        assert complete is False and "partial" in reason and quartile is None
