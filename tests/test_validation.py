"""Extract validation: each rule fails and passes, year-keyed codes, privacy, outcome shape."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from permanence.contract import table, tables
from permanence.contract.frames import ROW, ExtractFrame
from validations.extract import ValidationOutcome, validate_drop
from validations.extract.rules import RULES
from validations.extract.schemas import MODELS

EXTRACT = dt.date(2024, 5, 1)  # collection year 2024-25
DOCS = Path(__file__).resolve().parents[1] / "docs" / "validation-rules.md"


def ef(table_name: str, rows: list[dict], file_name: str | None = None, drop: tuple = ()) -> ExtractFrame:
    """An ExtractFrame as the reader hands it over: every contract column, strings or None."""
    t = table(table_name)
    cols = [c for c in t.column_names if c not in drop]
    frame = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    frame[ROW] = np.arange(2, len(rows) + 2, dtype="int64")
    return ExtractFrame(t, file_name or f"{table_name}.csv", frame)


def header(child="C1", **kw) -> dict:
    return {"CHILD": child, "SEX": "M", "DOB": "01/01/2015", "ETHNIC": "WBRI", **kw}


def episode(child="C1", decom="01/05/2023", **kw) -> dict:
    base = {"CHILD": child, "DECOM": decom, "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U1"}
    return {**base, **kw}


def run(*frames: ExtractFrame, extract_date: dt.date = EXTRACT, year: str | None = None) -> ValidationOutcome:
    return validate_drop(list(frames), extract_date, year)


def codes(outcome: ValidationOutcome, file_name: str | None = None) -> list[tuple[str, int | None, str | None]]:
    return sorted(
        (i.rule_code, i.row_number, i.column_name)
        for i in outcome.issues
        if file_name is None or i.file_name == file_name
    )


def with_header(*episodes_rows: dict, children=("C1",)) -> ValidationOutcome:
    return run(ef("header", [header(c) for c in children]), ef("episodes", list(episodes_rows)))


def rule_rows(outcome: ValidationOutcome, code: str) -> list[int]:
    return sorted(i.row_number for i in outcome.issues if i.rule_code == code)


# ---- contract and docs stay in step ------------------------------------------------------


def test_a_model_for_every_contract_table_matching_its_columns():
    assert set(MODELS) == set(tables())
    for name, t in tables().items():
        schema = MODELS[name].to_schema()
        assert list(schema.columns) == t.column_names, name
        for c in t.columns:
            col = schema.columns[c.name]
            assert col.metadata["kind"] == c.kind, (name, c.name)
            assert col.nullable == c.nullable, (name, c.name)
            if c.kind == "code":
                assert col.checks[0].statistics == {"codes": c.codes}, (name, c.name)
            # A date ahead by nature (tables.yaml `ahead: true`) is never judged "future".
            future_checked = any(ch.name == "not_after_extract" for ch in col.checks)
            assert future_checked == (c.kind in ("date", "dob") and not c.ahead), (name, c.name)
        assert list(schema.unique) == list(t.key), name


def test_docs_list_every_rule():
    text = DOCS.read_text()
    for code, r in RULES.items():
        assert f"`{code}`" in text, code


# ---- structural ---------------------------------------------------------------------------


def test_missing_required_column_is_structural_and_named():
    out = run(ef("episodes", [episode()], drop=("LS",)))
    assert [(i.rule_code, i.column_name, i.row_number) for i in out.structural] == [
        ("PERM-COLUMN-MISSING", "LS", None)
    ]


def test_empty_file_is_structural():
    out = run(ef("header", []))
    assert [i.rule_code for i in out.structural] == ["PERM-EMPTY"]
    assert out.bad_row_share() == 0.0


def test_header_only_file_of_an_optional_table_is_a_warning():
    out = run(ef("ad1", []))
    assert out.structural == []
    assert [(i.rule_code, i.severity) for i in out.issues] == [("PERM-NO-ROWS", "warning")]


def test_two_files_for_one_table_is_structural():
    out = run(ef("header", [header()], "a.csv"), ef("header", [header()], "b.csv"))
    assert sorted((i.rule_code, i.file_name) for i in out.structural) == [
        ("PERM-TABLE-TWICE", "a.csv"),
        ("PERM-TABLE-TWICE", "b.csv"),
    ]


def test_clean_drop_has_no_issues():
    out = with_header(
        episode(DEC="01/06/2023", REC="X1"),
        episode(decom="01/06/2023", RNE="P", PLACE="U4"),
    )
    assert out.issues == [] and out.structural == [] and out.rejected_rows == {}
    assert out.rows_checked == 3 and out.bad_row_share() == 0.0
    assert list(out.frame_issues().columns)[:3] == ["file_name", "table_name", "rule_code"]


# ---- per-row rules ------------------------------------------------------------------------


def test_null_in_non_nullable_column():
    out = run(ef("header", [header(SEX=None), header("C2", UPN=None)]))
    assert codes(out) == [("PERM-NULL", 2, "SEX")]


@pytest.mark.parametrize("bad", ["31/02/2024", "1/2/2020", "2020-01-01", "01/13/2020", "soon",
                                 "01/01/1500", "31/12/9999"])  # years no date of ours can hold, not wrapped into others
def test_dates_must_be_real_dd_mm_yyyy(bad):
    out = run(ef("header", [header(DOB=bad), header("C2", DOB="29/02/2020")]))
    assert codes(out) == [("PERM-DATE", 2, "DOB")]


def test_dates_after_extract_date_fail():
    out = run(ef("header", [header(DOB="02/05/2024"), header("C2", DOB="01/05/2024")]))
    assert codes(out) == [("PERM-FUTURE", 2, "DOB")]


def test_a_future_date_on_an_episode_or_mc_dob_keeps_the_row():
    """An episode dated after E is kept and read as known on D <= E (the censor leaves out a start
    after D and opens an end after D): rejecting it would end the child's care history early. A
    future MC_DOB says nothing of care: the Header row, and so the child's age, is kept."""
    out = run(ef("header", [header(MOTHER="1", MC_DOB="02/05/2024"), header("C2", DOB="02/05/2024")]),
              ef("episodes", [episode(decom="01/05/2023", DEC="02/05/2024", REC="E4A"),
                              episode("C2", decom="02/05/2024")]))
    future = sorted((i.file_name, i.row_number, i.column_name, i.severity) for i in out.issues
                    if i.rule_code == "PERM-FUTURE")
    assert future == [("episodes.csv", 2, "DEC", "repair"), ("episodes.csv", 3, "DECOM", "repair"),
                      ("header.csv", 2, "MC_DOB", "warning"), ("header.csv", 3, "DOB", "error")]
    assert out.rejected_rows == {"header.csv": {3}}


def test_int_columns_hold_whole_numbers():
    rows = [{"CHILD": "C1", "DOB": "01/01/2015", "SDQ_SCORE": "12.5"},
            {"CHILD": "C2", "DOB": "01/01/2015", "SDQ_SCORE": "12"}]
    assert codes(run(ef("oc2", rows))) == [("PERM-INT", 2, "SDQ_SCORE")]


def test_code_not_in_list():
    out = run(ef("header", [header(ETHNIC="XXXX"), header("C2")]))
    assert codes(out) == [("PERM-CODE", 2, "ETHNIC")]


def test_duplicate_key_flags_later_copies_only():
    out = run(ef("header", [header(), header("C2"), header()]))
    assert codes(out) == [("PERM-DUP", 4, "CHILD")]
    assert out.rejected_rows == {"header.csv": {4}}


def test_sex_codes_are_keyed_by_collection_year():
    old, new = dt.date(2024, 3, 31), dt.date(2024, 4, 1)
    assert run(ef("header", [header(SEX="1")]), extract_date=old).issues == []
    assert codes(run(ef("header", [header(SEX="1")]), extract_date=new)) == [("PERM-CODE", 2, "SEX")]
    assert codes(run(ef("header", [header(SEX="M")]), extract_date=old)) == [("PERM-CODE", 2, "SEX")]


def test_place_codes_follow_the_year_of_each_episode_start():
    # year_from: DECOM; K3 is new in 2023-24 and Z1 retired after 2022-23, in one file.
    out = run(ef("episodes", [
        episode("C1", "31/03/2023", PLACE="K3"),  # 2022-23: invalid
        episode("C2", "01/04/2023", PLACE="K3"),  # 2023-24: valid
        episode("C3", "31/03/2023", PLACE="Z1"),  # 2022-23: valid
        episode("C4", "01/04/2023", PLACE="Z1"),  # 2023-24: invalid
    ]))
    assert codes(out) == [("PERM-CODE", 2, "PLACE"), ("PERM-CODE", 5, "PLACE")]


def test_unparseable_year_date_falls_back_to_extract_year():
    out = run(ef("episodes", [episode(decom="31/02/2023", PLACE="K3")]))
    assert codes(out) == [("PERM-DATE", 2, "DECOM")]


def test_extras_are_validated_too():
    rows = [{"lacp_person_id": "C1", "lacp_cla_care_plan_start_date": "01/05/2023",
             "lacp_permanence_plan_code": "NOPE"},
            {"lacp_person_id": "C2", "lacp_cla_care_plan_start_date": "01/05/2023",
             "lacp_permanence_plan_code": "ADOPTION"}]
    assert codes(run(ef("cla_care_plan", rows))) == [("PERM-CODE", 2, "lacp_permanence_plan_code")]


# ---- cross-row and cross-file rules -------------------------------------------------------


def test_501_overlapping_episodes_are_kept_for_repair():
    bad = with_header(episode(DEC="01/08/2023", REC="E4A"), episode(decom="01/07/2023", DEC="01/09/2023", REC="E4A"))
    assert rule_rows(bad, "501") == [3]
    assert {i.severity for i in bad.issues if i.rule_code == "501"} == {"repair"}
    assert bad.rejected_rows == {} and bad.bad_row_share() == 0.0  # a repair is not a bad row
    good = with_header(episode(DEC="01/07/2023", REC="E4A"), episode(decom="01/07/2023", DEC="01/09/2023", REC="E4A"))
    assert rule_rows(good, "501") == []


def test_501_is_the_previous_episode_only_a_longer_overlap_is_ours():
    out = with_header(
        episode(DEC="01/12/2023", REC="E4A"),
        episode(decom="01/06/2023", DEC="01/07/2023", REC="E4A"),
        episode(decom="01/08/2023", DEC="01/09/2023", REC="E4A"),
    )
    assert rule_rows(out, "501") == [3]  # the DfE compares with the previous episode only
    assert rule_rows(out, "PERM-OVERLAP") == [4]


def test_356_dec_before_decom():
    assert rule_rows(with_header(episode(DEC="30/04/2023", REC="E4A")), "356") == [2]
    assert rule_rows(with_header(episode(DEC="01/05/2023", REC="E4A")), "356") == []


def test_142_open_or_unreasoned_episode_followed_by_another_is_kept_for_repair():
    out = with_header(episode(), episode(decom="01/06/2023", RNE="S"))
    assert rule_rows(out, "142") == [2] and out.rejected_rows == {}
    # The DfE's 142 also reads a blank REC as "not ended".
    no_rec = with_header(episode(DEC="01/06/2023"), episode(decom="01/06/2023", RNE="S"))
    assert rule_rows(no_rec, "142") == [2]
    good = with_header(episode(DEC="01/06/2023", REC="E4A"), episode(decom="02/06/2023"))
    assert rule_rows(good, "142") == []


def test_302_first_episode_before_birth_flags_episode_and_header():
    out = run(ef("header", [header(DOB="01/06/2023")]),
              ef("episodes", [episode(decom="01/05/2023", DEC="01/07/2023", REC="X1"),
                              episode(decom="01/07/2023", RNE="P")]))
    assert codes(out) == [("302", 2, "DECOM"), ("302", 2, "DOB"), ("PERM-HOLE-START", 3, "RNE")]
    # the episode is rejected, the Header row only warned: its child's later rows stay loaded
    assert out.rejected_rows == {"episodes.csv": {2}}
    assert rule_rows(with_header(episode(decom="01/05/2023")), "302") == []
    # only the first episode is judged (the DfE's definition)
    later = run(ef("header", [header(DOB="01/06/2023")]),
                ef("episodes", [episode(decom="01/06/2023", DEC="01/07/2023", REC="E4A"), episode(decom="01/05/2023")]))
    assert [c for c in codes(later) if c[0] == "302"] == [("302", 2, "DOB"), ("302", 3, "DECOM")]


def test_child_missing_from_header_on_every_903_table():
    out = run(
        ef("header", [header("C1")]),
        ef("episodes", [episode("C1"), episode("C9")]),
        ef("reviews", [{"CHILD": "C9", "DOB": "01/01/2015", "REVIEW": "01/06/2023"}]),
        ef("care_proceedings", [{"cpro_person_id": "C9", "cpro_issue_date": "01/06/2023"}]),
    )
    assert codes(out) == [("PERM-NO-HEADER", 2, "CHILD"), ("PERM-NO-HEADER", 3, "CHILD")]
    assert out.rejected_rows == {"episodes.csv": {3}, "reviews.csv": {2}}


def test_no_header_file_skips_header_rules():
    assert run(ef("episodes", [episode("C9")])).issues == []


def test_x1_without_continuation_is_a_hole():
    bad = with_header(episode(DEC="01/06/2023", REC="X1"))
    assert rule_rows(bad, "PERM-HOLE-X1") == [2] and bad.rejected_rows == {}
    good = with_header(episode(DEC="01/06/2023", REC="X1"), episode(decom="01/06/2023", RNE="P"))
    assert good.issues == []


def test_a_rejected_continuation_leaves_holes_and_no_cascade():
    out = with_header(
        episode(DEC="01/06/2023", REC="X1"),
        episode(decom="01/06/2023", RNE="P", PLACE="Q9", DEC="01/07/2023", REC="X1"),  # bad code: rejected
        episode(decom="01/07/2023", RNE="L", LS="E1"),
    )
    assert codes(out) == [("PERM-CODE", 3, "PLACE"), ("PERM-HOLE-START", 4, "RNE"), ("PERM-HOLE-X1", 2, "REC")]
    assert out.rejected_rows == {"episodes.csv": {3}}


def test_a_period_starting_mid_chain_is_a_hole():
    out = with_header(episode(RNE="P"))
    assert codes(out) == [("PERM-HOLE-START", 2, "RNE")]


def test_431_is_the_dfe_rule_rne_s_the_day_the_previous_ended():
    chained = with_header(episode(DEC="01/06/2023", REC="X1"), episode(decom="01/06/2023", RNE="S"))
    assert rule_rows(chained, "431") == [3]
    after_exit = with_header(episode(DEC="01/06/2023", REC="E4A"), episode(decom="01/06/2023", RNE="S"))
    assert rule_rows(after_exit, "431") == [3]  # the DfE's 431 needs no X1
    next_day = with_header(episode(DEC="01/06/2023", REC="E4A"), episode(decom="02/06/2023", RNE="S"))
    assert rule_rows(next_day, "431") == []


def test_432_433_are_the_dfe_rules():
    same_day = with_header(episode(DEC="01/06/2023", REC="E4A"), episode(decom="01/06/2023", RNE="P"))
    assert rule_rows(same_day, "432") == [3] and rule_rows(same_day, "433") == []
    later = with_header(episode(DEC="01/06/2023", REC="E4A"), episode(decom="05/06/2023", RNE="P"))
    assert rule_rows(later, "433") == [3] and rule_rows(later, "432") == [3]  # 432 looks at REC, any day
    open_before = with_header(episode(), episode(decom="05/06/2023", RNE="T"))
    assert rule_rows(open_before, "433") == [3]  # a missing previous DEC is a mismatch
    fine = with_header(episode(DEC="01/06/2023", REC="E4A"), episode(decom="05/06/2023", RNE="S"))
    assert rule_rows(fine, "432") == rule_rows(fine, "433") == []


@pytest.mark.parametrize(
    "rne, ls, place, expected",
    [
        ("L", "C2", "U1", ["PERM-RNE-LS"]),  # L but legal status unchanged
        ("L", "E1", "U4", ["PERM-RNE-L-PLACE"]),  # L but placement changed
        ("L", "E1", "U1", []),
        ("P", "E1", "U4", ["PERM-RNE-LS"]),  # P must keep the legal status (else B)
        ("P", "C2", "U4", []),
        ("T", "E1", "U4", ["PERM-RNE-LS"]),
        ("T", "C2", "U4", []),
        ("U", "C2", "U4", ["PERM-RNE-LS"]),  # U must change the legal status
        ("U", "E1", "U4", []),
        ("B", "C2", "K2", ["PERM-RNE-LS"]),
        ("B", "E1", "K2", []),
    ],
)
def test_rne_consistent_with_previous_episode(rne, ls, place, expected):
    out = with_header(episode(DEC="01/06/2023", REC="X1"), episode(decom="01/06/2023", RNE=rne, LS=ls, PLACE=place))
    assert [i.rule_code for i in out.issues] == expected
    assert out.rejected_rows == {}


def test_602_is_the_dfe_rule_adoption_in_the_collection_year():
    ad1 = ef("ad1", [{"CHILD": "C1", "DOB": "01/01/2015", "DATE_INT": "01/01/2023", "DATE_MATCH": "01/02/2023"}])
    blank = ef("ad1", [{"CHILD": "C1", "DOB": "01/01/2015"}])
    hd = ef("header", [header()])

    def adopted(dec):
        return ef("episodes", [episode(PLACE="A5", DEC=dec, REC="E11")])

    none = run(hd, ef("episodes", [episode(DEC="01/06/2023", REC="E4A")]), ad1)
    assert codes(none, "ad1.csv") == [("602", 2, "CHILD"), ("PERM-AD1-NO-ADOPTION", 2, "CHILD")]
    assert none.rejected_rows == {}
    # extract 01/05/2024: collection year 2024-25; an adoption in 2023-24 is not "during the year"
    assert codes(run(hd, adopted("01/06/2023"), ad1), "ad1.csv") == [("602", 2, "CHILD")]
    assert codes(run(hd, adopted("01/04/2024"), ad1), "ad1.csv") == []
    assert codes(run(hd, adopted("01/06/2023"), ad1, year="2023-24"), "ad1.csv") == []
    # a row with every adoption field blank is not judged by the DfE
    assert codes(run(hd, adopted("01/06/2023"), blank), "ad1.csv") == []


def test_episodes_starting_the_same_day_are_kept_exact_copies_rejected():
    first = episode(DEC="01/06/2023", REC="E4A")
    out = with_header(first, episode(), first)
    assert [c for c in codes(out) if c[0].startswith("PERM")] == [
        ("PERM-DUP", 4, "CHILD, DECOM"), ("PERM-DUP-START", 3, "CHILD, DECOM")]
    assert out.rejected_rows == {"episodes.csv": {4}}


def test_placed_adoption_says_adopted_without_adoption_exit():
    pa_ = ef("placed_adoption", [{"CHILD": "C1", "DOB": "01/01/2015", "DATE_PLACED": "01/04/2023",
                                  "DATE_PLACED_CEASED": "01/06/2023", "REASON_PLACED_CEASED": "E11"}])
    bad = run(ef("header", [header()]), ef("episodes", [episode(PLACE="A5", LS="E1")]), pa_)
    assert codes(bad, "placed_adoption.csv") == [("PERM-PA-NO-ADOPTION", 2, "REASON_PLACED_CEASED")]
    good = run(ef("header", [header()]), ef("episodes", [episode(PLACE="A5", LS="E1", DEC="01/06/2023", REC="E11")]), pa_)
    assert codes(good, "placed_adoption.csv") == []
    # a decision to place with no placement yet is normal
    open_decision = ef("placed_adoption", [{"CHILD": "C1", "DOB": "01/01/2015", "DATE_PLACED": "01/04/2023"}])
    assert codes(run(ef("header", [header()]), ef("episodes", [episode()]), open_decision), "placed_adoption.csv") == []


def test_bad_dates_do_not_crash_cross_rules():
    out = run(
        ef("header", [header(DOB="31/02/2015")]),
        ef("episodes", [episode(decom="bad", DEC="99/99/9999", REC="X1"), episode(decom="01/06/2023", DEC="x")]),
    )
    # our rules skip the unreadable dates; the DfE's 142 reads an unreadable DEC as blank
    assert {i.rule_code for i in out.issues} == {"PERM-DATE", "142"}


def test_missing_column_skips_row_rules_but_reports_structure():
    out = run(ef("header", [header()]), ef("episodes", [episode(RNE="??")], drop=("REC",)))
    assert [i.rule_code for i in out.issues] == ["PERM-COLUMN-MISSING"]


# ---- outcome ------------------------------------------------------------------------------


def test_rejected_rows_and_bad_row_share():
    out = run(
        ef("header", [header("C1"), header("C2", SEX=None, DOB="31/02/2015")]),
        ef("episodes", [episode("C1", DEC="01/06/2023", REC="X1"), episode("C3")]),
    )
    assert out.rejected_rows == {"header.csv": {3}, "episodes.csv": {3}}
    assert out.rows_checked == 4
    assert out.bad_row_share() == pytest.approx(2 / 4)
    assert {i.severity for i in out.issues} == {"error", "warning"}
    assert all(i.count == 1 for i in out.issues)
    assert len(out.frame_issues()) == len(out.issues)


def test_no_raw_value_reaches_an_issue_or_exception():
    secret_child, secret_dob, secret_code = "SECRETCHILD9431", "31/02/2011", "QQZZ"
    frames = [
        ef("header", [
            header(secret_child, DOB=secret_dob, ETHNIC=secret_code),
            header(secret_child, DOB="07/03/2012"),
        ]),
        ef("episodes", [
            episode(secret_child, "07/03/2011", DEC="06/03/2011", REC="X1", PLACE=secret_code),
            episode("GHOST77123", "09/09/2023", RNE="T"),
        ]),
        ef("oc2", [{"CHILD": secret_child, "DOB": secret_dob, "SDQ_SCORE": "4.75"}]),
    ]
    out = validate_drop(frames, EXTRACT)
    assert out.issues
    secrets = [secret_child, secret_dob, secret_code, "07/03/2012", "07/03/2011", "06/03/2011", "GHOST77123", "4.75"]
    for issue in out.issues:
        blob = " ".join(str(v) for v in issue.__dict__.values()) + issue.line()
        assert not any(s in blob for s in secrets), issue
    assert not any(s in out.frame_issues().to_csv() for s in secrets)

    # A failure inside validation must not carry values either.
    import validations.extract.row_rules as rr

    class Boom(Exception):
        pass

    def explode(*a, **k):
        raise Boom(f"value {secret_child} {secret_dob}")

    original = rr._schema_for
    rr._schema_for = lambda ef_: type("S", (), {"validate": staticmethod(explode)})()
    try:
        with pytest.raises(rr.RowValidationFailed) as info:
            validate_drop(frames, EXTRACT)
    finally:
        rr._schema_for = original
    text = str(info.value) + repr(info.value)
    assert not any(s in text for s in secrets)
    assert info.value.__cause__ is None and info.value.__suppress_context__


# ---- scale --------------------------------------------------------------------------------


def _big_drop(n_episodes: int) -> list[ExtractFrame]:
    """Children with 3 chained episodes each, a few errors sprinkled in; built vectorised."""
    n_children = n_episodes // 3
    child = np.char.add("C", np.arange(n_children).astype(str))
    start = pd.Timestamp("2015-04-01") + pd.to_timedelta(np.arange(n_children) % 3000, unit="D")
    starts = [start, start + pd.Timedelta(days=100), start + pd.Timedelta(days=200)]
    fmt = [s.strftime("%d/%m/%Y").to_numpy(dtype=object) for s in starts]
    ep = pd.DataFrame({
        "CHILD": np.repeat(child, 3).astype(object),
        "DECOM": np.column_stack(fmt).ravel(),
        "RNE": np.tile(np.array(["S", "P", "L"], dtype=object), n_children),
        "LS": np.tile(np.array(["C2", "C2", "E1"], dtype=object), n_children),
        "CIN": "N1",
        "PLACE": np.tile(np.array(["U1", "U4", "U4"], dtype=object), n_children),
        "PLACE_PROVIDER": "PR1",
        "DEC": np.column_stack([fmt[1], fmt[2], np.full(n_children, None, dtype=object)]).ravel(),
        "REC": np.tile(np.array(["X1", "X1", None], dtype=object), n_children),
        "REASON_PLACE_CHANGE": None, "HOME_POST": None, "PL_POST": None, "URN": None,
    })
    ep.loc[::1000, "PLACE"] = "ZZ"  # bad codes
    ep.loc[1::1000, "DEC"] = "31/02/2020"  # bad dates
    ep[ROW] = np.arange(2, len(ep) + 2, dtype="int64")
    hd = pd.DataFrame({
        "CHILD": child.astype(object), "SEX": "M", "DOB": "01/01/2010", "ETHNIC": "WBRI",
        "UPN": None, "MOTHER": None, "MC_DOB": None,
    })
    hd[ROW] = np.arange(2, len(hd) + 2, dtype="int64")
    return [ExtractFrame(table("header"), "header.csv", hd), ExtractFrame(table("episodes"), "episodes.csv", ep)]


def test_moderate_volume_finds_the_planted_errors():
    # Speed is measured by the benchmark harness, not asserted here.
    frames = _big_drop(30_000)
    out = validate_drop(frames, EXTRACT)
    assert rule_rows(out, "PERM-CODE") and rule_rows(out, "PERM-DATE")


@pytest.mark.slow
def test_one_and_a_half_million_episodes(capsys):
    frames = _big_drop(1_500_000)
    t0 = time.perf_counter()
    out = validate_drop(frames, EXTRACT)
    elapsed = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\n1.5M episodes + {frames[0].rows} header rows validated in {elapsed:.1f}s, {len(out.issues)} issues")
    assert out.rows_checked == 2_000_000
    assert rule_rows(out, "PERM-CODE") and rule_rows(out, "PERM-DATE")


def test_parse_dates_is_strict_and_its_process_cache_never_changes_an_answer(monkeypatch):
    from validations.extract import dates

    values = pd.Series(["31/03/2025", "31/02/2024", "1/2/2024", None, "29/02/2024", "2024-02-29", "31/03/2025"])
    want = pd.Series(pd.to_datetime(["2025-03-31", None, None, None, "2024-02-29", None, "2025-03-31"])).astype("datetime64[ns]")
    monkeypatch.setattr(dates, "_PARSED", {})
    first = dates.parse_dates(values)
    pd.testing.assert_series_equal(first, want, check_dtype=False)
    pd.testing.assert_series_equal(dates.parse_dates(values), want, check_dtype=False)  # all from the cache
    monkeypatch.setattr(dates, "_KEEP", 2)  # over the bound: cleared, and still the same answer
    pd.testing.assert_series_equal(dates.parse_dates(values), want, check_dtype=False)
    assert len(dates._PARSED) <= 5


def test_hole_codes_named_in_the_report_are_the_registry_ones():
    from permanence.audit import validation_report as reports
    from validations.extract.rules import HOLE_CODES

    assert reports.HOLE_CODES == HOLE_CODES and all(c in RULES for c in HOLE_CODES)


def test_validation_report_names_chain_holes(tmp_path):
    from permanence.pipeline import Ingested
    from permanence.audit.validation_report import write_validation_report

    out = with_header(
        episode(DEC="01/06/2023", REC="X1"),
        episode(decom="01/06/2023", RNE="P", PLACE="Q9", DEC="01/07/2023", REC="X1"),
        episode(decom="01/07/2023", RNE="L", LS="E1"),
    )
    run_ = Ingested("L1", "894", "s", dt.datetime(2024, 5, 1), issues=out.issues, rejected_rows=out.rejected_rows)
    folder = write_validation_report(tmp_path, "L1", run_, "published")
    text = (folder / "validation.md").read_text()
    hole_section = text.split("## Chain holes")[1].split("## Rules that fired")[0]
    assert "| episodes.csv | PERM-HOLE-START" in hole_section and "| episodes.csv | PERM-HOLE-X1" in hole_section
    assert '"chain_holes": 2' in (folder / "summary.json").read_text()


# ---- the 903 as it is in 2026-27 ----------------------------------------------------------

EXTRACT_2026_27 = dt.date(2027, 3, 31)


def test_uasc_duc_the_18th_birthday_is_ahead_by_nature_not_future():
    uasc = {"CHILD": "C1", "SEX": "M", "DOB": "01/01/2012"}
    out = run(ef("uasc", [{**uasc, "DUC": "01/01/2030"}, {**uasc, "CHILD": "C2", "DUC": "31/02/2030"}]))
    assert codes(out) == [("PERM-DATE", 3, "DUC")]  # shape is still checked
    assert table("uasc").column("DUC").ahead and not table("episodes").column("DEC").ahead


def test_dolo_rows_are_checked_like_any_903_table():
    dolo = {"CHILD": "C1", "DOB": "01/01/2012", "DOLO_START": "01/05/2026"}
    out = run(
        ef("header", [header()]),
        ef("dolo", [dolo, {**dolo, "DOLO_END": "01/05/2027"}, {**dolo, "CHILD": "C9", "DOLO_START": "1/5/26"}]),
        extract_date=EXTRACT_2026_27,
    )
    assert codes(out, "dolo.csv") == [
        ("PERM-DATE", 4, "DOLO_START"),
        ("PERM-DUP", 3, "CHILD, DOLO_START"),
        ("PERM-FUTURE", 3, "DOLO_END"),
        ("PERM-NO-HEADER", 4, "CHILD"),
    ]


def test_a_repeated_row_number_never_crashes_validation():
    frame = ef("reviews", [
        {"CHILD": "C1", "DOB": "01/01/2015", "REVIEW": "01/01/2024", "REVIEW_CODE": "PN1"},
        {"CHILD": "C2", "DOB": "01/01/2015", "REVIEW": "01/01/2030", "REVIEW_CODE": "XX"},
        {"CHILD": "C3", "DOB": "01/01/2015", "REVIEW": "01/01/2024", "REVIEW_CODE": "PN1"},
    ])
    frame.frame[ROW] = 1  # every record on one line
    out = run(ef("header", [header(c) for c in ("C1", "C2", "C3")]), frame)
    assert codes(out, "reviews.csv") == [("PERM-CODE", 1, "REVIEW_CODE"), ("PERM-FUTURE", 1, "REVIEW")]


_XML_DROP = """<?xml version="1.0" encoding="UTF-8"?>
<Children>
  <CHILD>
    <CHILDID>A1</CHILDID><SEX>M</SEX><DOB>01/02/2015</DOB><ETHNIC>WBRI</ETHNIC>
    <DUC>01/02/2033</DUC>
    <EPISODE><DECOM>01/04/2020</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U4</PL>
      <DEC>01/03/2021</DEC><REC>X1</REC></EPISODE>
    <EPISODE><DECOM>01/03/2021</DECOM><RNE>P</RNE><LS>C2</LS><CIN>N1</CIN><PL>U5</PL></EPISODE>
    <AREVIEW><REVIEW>01/10/2020</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>
    <AREVIEW><REVIEW>01/10/2030</REVIEW><REVIEW_CODE>PN9</REVIEW_CODE></AREVIEW>
  </CHILD>
  <CHILD>
    <CHILDID>A2</CHILDID><SEX>F</SEX><DOB>01/02/2016</DOB><ETHNIC>WBRI</ETHNIC>
    <EPISODE><DECOM>01/04/2021</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>ZZ</PL></EPISODE>
    <AREVIEW><REVIEW>01/10/2021</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>
    <AREVIEW><REVIEW>01/10/2021</REVIEW><REVIEW_CODE>PN2</REVIEW_CODE></AREVIEW>
  </CHILD>
</Children>
"""


def _validated_xml(folder: Path):
    from permanence.ingest.read import read_drop

    frames, reader_issues = read_drop(folder)
    out = validate_drop(frames, EXTRACT)
    rejected = out.rejected_rows.get("903.xml", set())
    kept = {
        ef.table.name: ef.frame[~ef.frame[ROW].isin(rejected)].drop(columns=ROW).to_dict("records")
        for ef in frames
    }
    return reader_issues + out.issues, kept


def test_xml_on_one_line_validates_exactly_like_pretty_printed(tmp_path):
    import re

    pretty, flat = tmp_path / "pretty", tmp_path / "flat"
    for folder, text in ((pretty, _XML_DROP), (flat, re.sub(r">\s+<", "><", _XML_DROP).strip())):
        folder.mkdir()
        (folder / "903.xml").write_text(text)
    assert len((flat / "903.xml").read_text().splitlines()) == 1
    issues_pretty, kept_pretty = _validated_xml(pretty)
    issues_flat, kept_flat = _validated_xml(flat)
    assert sorted(map(str, issues_flat)) == sorted(map(str, issues_pretty))
    assert kept_flat == kept_pretty
    # Each failing record is named by its own number, so only it is excluded.
    assert sorted((i.table_name, i.rule_code) for i in issues_flat if i.severity == "error") == [
        ("episodes", "PERM-CODE"),
        ("reviews", "PERM-CODE"),
        ("reviews", "PERM-DUP"),
        ("reviews", "PERM-FUTURE"),
    ]
    assert len(kept_flat["reviews"]) == 2 and len(kept_flat["episodes"]) == 2
    assert len({i.row_number for i in issues_flat if i.row_number}) == 3
