"""permanence.reference: each loader on the published files in ../shared/reference (as published:
BOM, trailing spaces, suppression markers, duplicate column names, combined LA codes), recognition
by columns, a release with a renamed label and an extra column, and reloading."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from permanence.reference import create_reference_schema, load_into
from permanence.reference.reader import parse_number, period_label, read_header, read_table, year_ending

REF = Path(__file__).resolve().parents[2] / "shared" / "reference"
pytestmark = pytest.mark.skipif(not REF.is_dir(), reason=f"published reference files not found at {REF}")

FAMILIES = {
    "sn_model_2025_wide.csv": "statistical_neighbours_2025",
    "New_Statistical_Neighbour_Groupings_April_2021.csv": "statistical_neighbours_2021",
    "las.csv": "las",
    "region_la_hierarchy.csv": "la_regions",
    "regions.csv": "regions",
    "ons_mid-year_population_estimates_2012_to_2024.csv": "population_0_17",
    "cla_number_and_rate_per_10k_children.csv": "cla_rates",
    "la_cla_placement_stability.csv": "placement_stability",
    "la_children_who_ceased_during_the_year_2020_2024.csv": "children_ceased",
    "la_children_who_ceased_during_the_year_sgo_adoption_2020_2024.csv": "children_ceased",
    "national_cla_adopted_average_time_between_adoption_process_stages.csv": "adoption_stage_timings",
}


@pytest.fixture(scope="module")
def loaded():
    con = duckdb.connect()
    report = load_into(con, [str(REF)])
    yield con, report
    con.close()


def one(con, sql, params=()):
    return con.execute(sql, list(params)).fetchone()


def test_folder_recognises_every_published_file_by_columns(loaded):
    _, report = loaded
    got = {Path(f.file).name: f.family for f in report.files}
    for name, family in FAMILIES.items():
        assert got[name] == family, name
    assert {Path(f.file).name for f in report.unrecognised} == {"README.md"}
    assert all(f.rows > 0 for f in report.loaded)


def test_audit_row_per_file(loaded):
    con, report = loaded
    assert one(con, "select count(*) from audit.reference_loads")[0] == len(report.files)
    assert one(con, "select count(*) from audit.reference_loads where family is null")[0] == 1
    assert one(con, "select count(distinct sha256) from audit.reference_loads")[0] == len(report.files)


def test_neighbours_2025_bom_and_trailing_spaces(loaded):
    con, _ = loaded
    assert read_header((REF / "sn_model_2025_wide.csv").read_bytes())[0] == "old_la_code"  # BOM gone
    rows = con.execute("select rank, neighbour_la_code, closeness from reference.statistical_neighbours "
                       "where model = '2025' and la_code = '894' order by rank").fetchall()
    assert [r[0] for r in rows] == list(range(1, 11))
    assert all(r[1].isdigit() and len(r[1]) == 3 for r in rows)
    assert all(r[2] == r[2].strip() and r[2] for r in rows)
    assert one(con, "select count(*) from reference.statistical_neighbours where closeness like '% '")[0] == 0


def test_neighbours_2021_duplicate_column_names(loaded):
    con, _ = loaded
    header = read_header((REF / "New_Statistical_Neighbour_Groupings_April_2021.csv").read_bytes())
    assert "snp" in header and "snp__2" in header and "snp__10" in header
    rows = con.execute("select rank, neighbour_la_code, closeness from reference.statistical_neighbours "
                       "where model = '2021' and la_code = '894' order by rank").fetchall()
    assert len(rows) == 10
    assert {r[2] for r in rows} <= {"Very Close", "Close", "Somewhat close", "Not Close", "Very close"}


def test_la_lookup_skips_combined_and_x_codes(loaded):
    con, _ = loaded
    assert one(con, "select count(*) from reference.las where la_code not similar to '[0-9]{3}'")[0] == 0
    assert one(con, "select la_name, region_code, status from reference.las where la_code = '894'") == (
        "Telford and Wrekin", "E12000005", "live")
    # ONS recodes: one old code, several ONS codes in the hierarchy
    assert one(con, "select count(distinct ons_code) from reference.la_regions where la_code = '390'")[0] == 2
    assert one(con, "select count(*) from reference.regions")[0] >= 9


def test_population_0_17(loaded):
    con, _ = loaded
    pop = one(con, "select population from reference.population_0_17 where la_code = '894' and year = 2024")[0]
    assert 30000 < pop < 60000
    assert one(con, "select population from reference.population_0_17 where geographic_level = 'national' "
                    "and year = 2024")[0] == 12183016
    # 'x' in the published file: no value, marker kept
    assert one(con, "select count(*) from reference.population_0_17 where suppression = 'x' and population is null")[0] > 0


def test_published_measures_periods_and_values(loaded):
    con, _ = loaded
    # time_period 2025 = year ending 31 March 2025 = '2024-25'
    rate = one(con, "select value from reference.published_measures where la_code = '894' and measure = "
                    "'cla_rate_per_10k' and time_period = 2025")[0]
    assert one(con, "select period from reference.published_measures where time_period = 2025 limit 1")[0] == "2024-25"
    table = read_table((REF / "cla_number_and_rate_per_10k_children.csv").read_bytes())
    src = [r for r in table.rows if r["old_la_code"] == "894" and r["time_period"] == "2025"
           and "31 March" in r["population_type"]]
    assert rate == float(src[0]["rate_per_10000"])
    # exit shares from the numbers agree with DfE's whole-number percentage
    ceased = read_table((REF / "la_children_who_ceased_during_the_year_2020_2024.csv").read_bytes())
    adopted = [r for r in ceased.rows if r["old_la_code"] == "894" and r["time_period"] == "2024"
               and r["characteristic"] == "Adopted"][0]
    share = one(con, "select value from reference.published_measures where la_code = '894' and "
                     "measure = 'exit_share_adopted' and period = '2023-24'")[0]
    assert share == float(adopted["percentage"])  # exactly as printed, not recomputed from the counts
    # returned home adds both published reasons
    home = one(con, "select value from reference.published_measures where geographic_level = 'national' and "
                    "measure = 'exits_returned_home' and period = '2023-24'")[0]
    nat = [r for r in ceased.rows if r["geographic_level"] == "National" and r["time_period"] == "2024"
           and r["characteristic"].startswith("Returned home")]
    assert len(nat) == 2 and home == sum(float(r["number"]) for r in nat)
    for measure in ("stability_three_plus", "stability_long_term", "exit_share_sgo", "exit_share_cao",
                    "exit_share_returned_home", "exits_sgo_relative_or_friend"):
        assert one(con, "select count(value) from reference.published_measures where measure = ?", [measure])[0] > 100


def test_published_shares_are_the_printed_figures(loaded):
    """Telford and Wrekin 2023-24: the printed SGO share is 14 (21/146 would be 14.38); returned home
    adds the two printed reasons (10 + 4), and every LA's share equals the file's percentage cell."""
    con, _ = loaded
    got = dict(con.execute("select measure, value from reference.published_measures where la_code = '894' and "
                           "period = '2023-24' and measure like 'exit_share_%'").fetchall())
    assert got["exit_share_sgo"] == 14.0 and got["exit_share_returned_home"] == 14.0 and got["exit_share_adopted"] == 20.0
    ceased = read_table((REF / "la_children_who_ceased_during_the_year_2020_2024.csv").read_bytes())
    printed = {(r["old_la_code"], r["time_period"]): r["percentage"] for r in ceased.rows
               if r["geographic_level"] == "Local authority" and r["characteristic"] == "Special guardianship orders"
               and "reason" in r["cla_group"].lower()}
    rows = con.execute("select la_code, time_period, value, suppression from reference.published_measures "
                       "where measure = 'exit_share_sgo' and geographic_level = 'local_authority'").fetchall()
    assert len(rows) > 100
    for la, year, value, marker in rows:
        cell = printed[(la, str(year))]
        assert (value, marker) == ((float(cell), None) if cell.replace(".", "").isdigit() else (None, marker)), la


def test_suppression_markers():
    assert parse_number("c") == (None, "c")
    assert parse_number(" z ") == (None, "z")
    assert parse_number("x") == (None, "x")
    assert parse_number("k") == (None, "k")
    assert parse_number("low") == (None, "low")
    assert parse_number("u") == (None, "u")
    assert parse_number("12,183") == (12183.0, None)
    assert parse_number("") == (None, None)
    assert year_ending("2025") == 2025 and year_ending("202425") == 2025
    assert period_label(2025) == "2024-25" and period_label(2000) == "1999-00"


def test_suppressed_published_values_are_null_with_code(loaded):
    con, _ = loaded
    codes = dict(con.execute("select suppression, count(*) from reference.published_measures "
                             "where suppression is not null group by 1").fetchall())
    assert {"c", "z"} <= set(codes)
    assert one(con, "select count(*) from reference.published_measures where suppression is not null "
                    "and value is not null")[0] == 0
    assert one(con, "select suppression from reference.published_measures where la_code = '894' and "
                    "measure = 'exit_share_cao' and period = '2023-24'")[0] == "c"


def _load(tmp_path, files: dict[str, bytes]):
    folder = tmp_path / "incoming"
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    con = duckdb.connect()
    return con, load_into(con, [str(folder)])


def test_recognised_by_columns_when_renamed(tmp_path):
    con, report = _load(tmp_path, {
        "download (3).csv": (REF / "cla_number_and_rate_per_10k_children.csv").read_bytes(),
        "neighbours.txt": (REF / "sn_model_2025_wide.csv").read_bytes(),
        "notes.csv": b"what,why\nnothing,here\n",
    })
    fams = {Path(f.file).name: f.family for f in report.files}
    assert fams == {"download (3).csv": "cla_rates", "neighbours.txt": "statistical_neighbours_2025", "notes.csv": None}
    assert one(con, "select count(*) from reference.published_measures where measure = 'cla_rate_per_10k'")[0] > 500


def test_release_with_renamed_label_and_extra_column_still_loads(tmp_path):
    text = (REF / "la_cla_placement_stability.csv").read_bytes().decode("utf-8-sig")
    lines = text.splitlines()
    lines[0] = lines[0] + ",new_indicator "
    lines[1:] = [ln + ",1" for ln in lines[1:]]
    text = "\n".join(lines).replace("With 3 or more placements during the year",
                                    "With 3 or more placements during the year (excluding short breaks)")
    text = text.replace("Living with the same carer", "Living with  the same carer ")
    con, report = _load(tmp_path, {"stability_2026.csv": ("\ufeff" + text).encode()})
    assert report.files[0].family == "placement_stability"
    for m in ("stability_three_plus", "stability_long_term"):
        assert one(con, "select count(value) from reference.published_measures where measure = ? "
                        "and la_code = '894'", [m])[0] == 5


ADOPTION_STAGES = "national_cla_adopted_average_time_between_adoption_process_stages.csv"


def test_adoption_stage_timings_reproduce_printed_figures(loaded):
    """Every row of the published file is in reference.adoption_stage_timings, its cell exactly as
    printed; durations (years:months) parsed to whole months, the count stage a count; markers stay
    markers, never 0."""
    con, _ = loaded
    published = read_table((REF / ADOPTION_STAGES).read_bytes()).rows
    stored = {(r[0], r[1], r[2]): r[3:] for r in con.execute(
        "select time_period, stage_label, age_group, number_as_printed, value, unit, suppression "
        "from reference.adoption_stage_timings").fetchall()}
    assert len(stored) == len(published) == 315
    for r in published:
        printed, value, unit, suppression = stored[(int(r["time_period"]), r["stage_of_adoption_process"],
                                                   r["age_start_poc"])]
        assert printed == r["number"]
        if ":" in printed:
            years, months = printed.split(":")
            assert (value, unit, suppression) == (int(years) * 12 + int(months), "months", None)
        elif printed in ("c", "k"):
            assert value is None and suppression == printed
        else:
            assert (value, unit) == (float(printed), "children")
    # The printed England figures for 2024-25 (all ages): entry to decision 9 months, decision to
    # match 10, match to placed 1, entry to placed 1 year 7 months, placed to adopted 9, entry to
    # adoption 2 years 3 months; 2,150 children placed within 12 months of the decision.
    got = dict(con.execute("select stage, value from reference.adoption_stage_timings "
                           "where time_period = 2025 and age_group = 'Total'").fetchall())
    assert got == {"entry_to_decision": 9, "decision_to_match": 10, "match_to_placed": 1, "entry_to_placed": 19,
                   "placed_to_adopted": 9, "entry_to_adopted": 27, "placed_within_12_months_of_decision": 2150}
    assert one(con, "select period, stage_number, number_as_printed from reference.adoption_stage_timings "
                    "where time_period = 2023 and age_group = 'Total' and stage = 'entry_to_adopted'") == (
        "2022-23", 6, "02:05")


def test_years_months_parser():
    from permanence.reference.adoption_stages import parse_years_months

    assert parse_years_months("00:10") == (10.0, None)
    assert parse_years_months("02:03") == (27.0, None)
    assert parse_years_months("k") == (None, "k")
    assert parse_years_months("c") == (None, "c")
    # no unit can be read from these: not available, never a guessed number
    assert parse_years_months("10") == (None, "x")
    assert parse_years_months("01:12") == (None, "x")


def test_added_label_is_reported_not_fatal(tmp_path):
    text = (REF / "cla_number_and_rate_per_10k_children.csv").read_bytes().decode("utf-8-sig")
    extra = "2025,Reporting year,National,E92000001,England,,,,,,Children on remand,12183016,100,1\n"
    con, report = _load(tmp_path, {"cla.csv": (text + extra).encode()})
    assert report.files[0].family == "cla_rates"
    assert "children on remand" in report.files[0].message


def test_reload_replaces_rows(tmp_path):
    data = (REF / "cla_number_and_rate_per_10k_children.csv").read_bytes()
    con, _ = _load(tmp_path, {"a.csv": data})
    n = one(con, "select count(*) from reference.published_measures")[0]
    load_into(con, [str(tmp_path / "incoming" / "a.csv")])
    assert one(con, "select count(*) from reference.published_measures")[0] == n
    assert one(con, "select count(*) from audit.reference_loads")[0] == 2


def test_create_reference_schema_is_idempotent():
    con = duckdb.connect()
    create_reference_schema(con)
    create_reference_schema(con)
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'reference'").fetchall()}
    assert tables == {"statistical_neighbours", "las", "la_regions", "regions", "population_0_17", "published_measures",
                      "adoption_stage_timings"}


def test_missing_source_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_into(duckdb.connect(), [str(tmp_path / "nope")])


def test_copy_of_folder_loads_the_same(tmp_path):
    # a folder nested in a folder: everything under it is considered
    shutil.copytree(REF, tmp_path / "outer" / "ref")
    con = duckdb.connect()
    report = load_into(con, [str(tmp_path / "outer")])
    assert len(report.loaded) == len(FAMILIES)
