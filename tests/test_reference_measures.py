"""Fast unit tests of the pandas reference (tests/reference_measures.py) on hand-built episodes."""

from __future__ import annotations

import pandas as pd
import pytest

from tests import reference_measures as rm

LA = "900"
D = "2024-03-31"


def episodes(*children, extract_date: str = D, la: str = LA) -> pd.DataFrame:
    """children: (child_id, [(start, rne, ls, place, end, rec[, provider]), ...])."""
    rows = []
    for child, eps in children:
        for e in eps:
            start, rne, ls, place, end, rec, *rest = e
            rows.append({
                "child_id": child, "episode_start_date": start, "reason_new_episode": rne,
                "legal_status": ls, "placement_type": place,
                "placement_provider": rest[0] if rest else "PR1",
                "episode_end_date": end, "reason_episode_ceased": rec,
                "la_code": la, "extract_date": extract_date,
            })
    df = pd.DataFrame(rows)
    for c in ("episode_start_date", "episode_end_date", "extract_date"):
        df[c] = pd.to_datetime(df[c])
    return df


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ["la_code", "child_id", *columns]})


NO_PR = ["no_pr_reason", "no_pr_start_date", "no_pr_end_date"]
PLANS = ["care_plan_start_date", "care_plan_end_date", "permanence_plan"]
PERM = ["matched_date", "decision_reversed_date"]


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in df.columns:
        if c.endswith("_date"):
            df[c] = pd.to_datetime(df[c])
    return df


def cohorts(eps, no_pr=None, plans=None, perm=None, as_at=None):
    return rm.spg_cohort_children(
        eps,
        frame(no_pr) if no_pr else empty(NO_PR),
        frame(plans) if plans else empty(PLANS),
        frame(perm) if perm else empty(PERM),
        as_at,
    )


def ts(s):
    return pd.Timestamp(s)


# --------------------------------------------------------------------------- dates


def test_collection_year_and_month_arithmetic():
    d = pd.Series(pd.to_datetime(["2023-03-31", "2023-04-01", "2024-03-31", "2099-12-01", None]))
    got = rm.collection_year(d)
    assert got[:4].tolist() == ["2022-23", "2023-24", "2023-24", "2099-00"] and pd.isna(got[4])
    starts = pd.Series(pd.to_datetime(["2023-08-31", "2020-02-29", "2023-01-31", "2024-02-29"]))
    got = rm.add_months(starts, 6)
    assert got.tolist() == [ts("2024-02-29"), ts("2020-08-29"), ts("2023-07-31"), ts("2024-08-29")]
    # same clamping as pandas' DateOffset
    assert got.tolist() == (starts + pd.DateOffset(months=6)).tolist()
    assert rm.add_months(pd.Series([ts("2020-02-29")]), 12).iloc[0] == ts("2021-02-28")
    ends = pd.Series(pd.to_datetime(["2024-02-28", "2021-02-27", "2021-02-28", "2024-03-30"]))
    starts = pd.Series(pd.to_datetime(["2023-08-31", "2020-02-29", "2020-02-29", "2023-03-31"]))
    assert rm.whole_months(starts, ends).tolist() == [5, 11, 12, 11]
    # the conventions' example: 31 Aug + 6 months = end of Feb, so that is 6 whole months
    assert rm.whole_months(pd.Series([ts("2023-08-31")]), pd.Series([ts("2024-02-29")])).iloc[0] == 6
    assert rm.whole_months(pd.Series([ts("2024-01-30")]), pd.Series([ts("2024-02-29")])).iloc[0] == 1


# --------------------------------------------------------------------------- periods


def test_periods_x1_chain_gap_and_same_day_reentry():
    eps = episodes(
        # X1 chain: one period of three episodes
        ("chain", [("2020-01-10", "S", "C2", "U1", "2020-06-01", "X1"),
                   ("2020-06-01", "P", "C2", "U4", "2021-01-01", "X1"),
                   ("2021-01-01", "L", "E1", "U4", "2022-02-01", "E11")]),
        # X1 but the next episode starts later: two periods, the first "Not recorded"
        ("gap", [("2021-01-10", "S", "C1", "U1", "2021-03-01", "X1"),
                 ("2021-03-05", "S", "C1", "U1", None, None)]),
        # returned home, back the same day: two periods
        ("sameday", [("2022-05-01", "S", "V2", "U1", "2023-05-01", "E4A"),
                     ("2023-05-01", "S", "C2", "U1", None, None)]),
    )
    p = rm.periods_of_care(eps).set_index(["child_id", "period_no"])
    assert len(p) == 5
    chain = p.loc[("chain", 1)]
    assert (chain.period_start, chain.period_end) == (ts("2020-01-10"), ts("2022-02-01"))
    assert (chain.reason_ceased, chain.exit_route, chain.days_in_care) == ("E11", "Adopted", 753)
    assert p.loc[("gap", 1)].exit_route == "Not recorded"
    open_ = p.loc[("gap", 2)]
    assert pd.isna(open_.period_end) and pd.isna(open_.exit_route)
    assert open_.days_in_care == (ts(D) - ts("2021-03-05")).days
    assert p.loc[("sameday", 1)].exit_route == "Returned home"
    r = rm.reentry(rm.periods_of_care(eps)).set_index("collection_year")
    assert r.loc["2023-24"].tolist() == [LA, 1, 1]  # same-day re-entry: 0 days counts
    assert r.loc["2020-21"].tolist() == [LA, 1, 1]  # gap of 4 days: both periods start in 2020-21
    assert r.loc["2019-20", "reentries_within_12_months"] == 0


def test_reentry_365_days_boundary_and_leap_year():
    eps = episodes(
        # 2023-03-01 -> 2024-02-29 is 365 days (leap year): a re-entry
        ("in", [("2022-01-01", "S", "C2", "U1", "2023-03-01", "E4A"),
                ("2024-02-29", "S", "C2", "U1", None, None)]),
        ("out", [("2022-01-01", "S", "C2", "U1", "2023-02-28", "E4A"),
                 ("2024-02-29", "S", "C2", "U1", None, None)]),
    )
    r = rm.reentry(rm.periods_of_care(eps)).set_index("collection_year")
    assert r.loc["2023-24", ["children_started", "reentries_within_12_months"]].tolist() == [2, 1]


def test_exits_count_each_child_once_by_last_period_and_skip_short_breaks():
    eps = episodes(
        ("twice", [("2023-04-10", "S", "C2", "U1", "2023-06-01", "E4A"),
                   ("2023-07-01", "S", "C2", "U1", "2024-01-01", "E45")]),
        ("sb", [("2023-05-01", "S", "V3", "U1", "2023-05-03", "E4A"),
                ("2023-05-03", "S", "V4", "U1", "2023-05-05", "E4A")]),
        ("x1end", [("2023-05-01", "S", "C1", "U1", "2023-08-01", "X1")]),
        ("mixed", [("2023-05-01", "S", "V3", "U1", "2023-06-01", "X1"),
                   ("2023-06-01", "L", "C2", "U1", "2023-09-01", "E13")]),
    )
    periods = rm.periods_of_care(eps)
    assert periods.set_index("child_id").loc["sb", "is_short_break"].all()
    assert not periods.set_index("child_id").loc["mixed", "is_short_break"]
    ex = rm.exits_by_year(periods)
    assert ex.to_dict("records") == [
        {"la_code": LA, "collection_year": "2023-24", "exit_route": "Living with parents or relatives without PR", "children": 1},
        {"la_code": LA, "collection_year": "2023-24", "exit_route": "Not recorded", "children": 1},
        {"la_code": LA, "collection_year": "2023-24", "exit_route": "Special guardianship order", "children": 1},
    ]
    dur = rm.duration_in_care(periods).iloc[0]
    assert dur.periods_ended == 4  # twice x2, x1end, mixed; no short breaks
    days = sorted([52, 184, 92, 123])
    assert dur.mean_days_in_care == pytest.approx(sum(days) / 4, abs=1e-12)
    assert dur.median_days_in_care == (days[1] + days[2]) / 2


# --------------------------------------------------------------------------- placements


def test_placements_t_u_l_continue_p_b_start_and_temporary():
    eps = episodes(("c", [
        ("2022-01-01", "S", "C1", "T1", "2022-01-20", "X1"),   # temporary, placement 1
        ("2022-01-20", "B", "C2", "U4", "2022-06-01", "X1"),   # placement 2
        ("2022-06-01", "L", "E1", "U4", "2022-09-01", "X1"),   # continues 2
        ("2022-09-01", "T", "E1", "U5", "2022-10-01", "X1"),   # continues 2
        ("2022-10-01", "U", "C2", "U6", "2023-01-01", "X1"),   # continues 2
        ("2023-01-01", "P", "C2", "U1", None, None),           # placement 3
    ]))
    b = rm.build_episodes(eps)
    assert b["placement_no"].tolist() == [1, 2, 2, 2, 2, 3]
    assert b["placement_start"].tolist()[1:5] == [ts("2022-01-20")] * 4
    assert b["placement_first_place"].tolist() == ["T1", "U4", "U4", "U4", "U4", "U1"]
    assert b["span_no"].tolist() == [1, 2, 3, 3, 4, 4]
    assert b["span_start"].iloc[3] == ts("2022-06-01")


def test_stability_counts_placements_and_excludes_temporary():
    hdr = frame([{"la_code": LA, "child_id": c, "birth_month": "2015-01-01"} for c in ("three", "temp", "sb")])
    eps = episodes(
        # open on 1 April 2023 + two started in the year: 3
        ("three", [("2022-01-01", "S", "C2", "U1", "2023-06-01", "X1"),
                   ("2023-06-01", "P", "C2", "U4", "2023-09-01", "X1"),
                   ("2023-09-01", "B", "C2", "R1", None, None)]),
        # the middle placement is temporary: 2
        ("temp", [("2022-01-01", "S", "C2", "U1", "2023-06-01", "X1"),
                  ("2023-06-01", "P", "C2", "T2", "2023-09-01", "X1"),
                  ("2023-09-01", "P", "C2", "U1", None, None)]),
        ("sb", [("2024-01-01", "S", "V3", "U1", None, None)]),
    )
    s = rm.placement_stability(eps, hdr).set_index("collection_year")
    assert list(s.index) == ["2021-22", "2022-23", "2023-24"]
    assert s.loc["2023-24"].tolist() == [LA, 2, 1, 0, 0]
    assert s.loc["2022-23"].tolist() == [LA, 2, 0, 0, 0]


def test_stability_long_term_with_adoptive_placement_exception():
    # E = 2024-03-31: period started by 2021-09-30, placement by 2022-03-31, under 16
    hdr = frame([{"la_code": LA, "child_id": c, "birth_month": bm} for c, bm in
                 [("stable", "2010-01-01"), ("adopt", "2010-01-01"), ("moved", "2010-01-01"),
                  ("late", "2010-01-01"), ("old", "2008-03-01"), ("young16", "2008-04-01")]])
    eps = episodes(
        ("stable", [("2021-09-30", "S", "C2", "U1", "2022-03-31", "X1"),
                    ("2022-03-31", "P", "C2", "U4", None, None)]),
        # moved to adopters with P after the cutoff: the foster placement before it counts
        ("adopt", [("2021-01-01", "S", "C2", "U1", "2022-01-01", "X1"),
                   ("2022-01-01", "P", "E1", "U3", "2023-05-01", "X1"),
                   ("2023-05-01", "P", "E1", "A5", None, None)]),
        ("moved", [("2021-01-01", "S", "C2", "U1", "2022-04-01", "X1"),
                   ("2022-04-01", "P", "C2", "U3", None, None)]),
        ("late", [("2021-10-01", "S", "C2", "U1", None, None)]),
        ("old", [("2019-01-01", "S", "C2", "U1", None, None)]),      # 16 on 2024-03-01
        ("young16", [("2019-01-01", "S", "C2", "U1", None, None)]),  # 16 on 2024-04-01
    )
    s = rm.placement_stability(eps, hdr).set_index("collection_year").loc["2023-24"]
    assert s.cla_at_31_march == 6
    assert s.long_term_eligible == 4  # stable, adopt, moved, young16
    assert s.long_term_stable == 3    # stable, adopt (via previous), young16


def test_stability_years_only_up_to_as_at():
    hdr = frame([{"la_code": LA, "child_id": "a", "birth_month": "2015-01-01"}])
    eps = episodes(("a", [("2022-06-01", "S", "C2", "U1", None, None)]), extract_date="2024-03-30")
    s = rm.placement_stability(eps, hdr)
    assert s["collection_year"].tolist() == ["2022-23"]
    eps = episodes(("a", [("2022-06-01", "S", "C2", "U1", None, None)]), extract_date="2024-03-31")
    assert rm.placement_stability(eps, hdr)["collection_year"].tolist() == ["2022-23", "2023-24"]


# --------------------------------------------------------------------------- adoption


def test_adoption_a1_a10_a2():
    eps = episodes(
        # adopted by foster carers: moved to A4 with T (same carer) -> A10 runs to the U1 start
        ("foster", [("2021-01-01", "S", "C1", "U3", "2021-06-01", "X1"),
                    ("2021-06-01", "P", "C2", "U1", "2022-01-01", "X1"),
                    ("2022-01-01", "U", "E1", "A4", "2022-12-01", "E12")]),
        # not by foster carers; match before the placement order: A2 = 0
        ("stranger", [("2021-04-01", "S", "C2", "U1", "2022-01-01", "X1"),
                      ("2022-01-01", "L", "E1", "U1", "2022-06-01", "X1"),
                      ("2022-06-01", "B", "E1", "A5", "2023-04-01", "E11")]),
        # adopted without an A3-A6 episode: A1 / A10 null; no E1/D1: A2 null
        ("none", [("2022-04-01", "S", "C2", "U1", "2023-03-01", "E11")]),
        ("sb", [("2022-04-01", "S", "V3", "A5", "2023-03-01", "E11")]),
    )
    ad1 = frame([
        {"la_code": LA, "child_id": "foster", "adoption_match_date": "2022-03-01", "adopted_by_foster_carer": "1"},
        {"la_code": LA, "child_id": "stranger", "adoption_match_date": "2021-12-01", "adopted_by_foster_carer": "0"},
        {"la_code": LA, "child_id": "none", "adoption_match_date": "2023-01-01", "adopted_by_foster_carer": "0"},
    ])
    t = rm.adoption_timeliness(eps, ad1).set_index("child_id")
    assert list(t.index) == ["foster", "none", "stranger"]
    f = t.loc["foster"]
    assert f.collection_year == "2022-23"
    assert f.a1_days == (ts("2022-01-01") - ts("2021-01-01")).days == 365
    assert f.a10_days == (ts("2021-06-01") - ts("2021-01-01")).days
    assert f.a2_days == (ts("2022-03-01") - ts("2022-01-01")).days
    s = t.loc["stranger"]
    assert s.collection_year == "2023-24"
    assert s.a1_days == s.a10_days == (ts("2022-06-01") - ts("2021-04-01")).days == 426
    assert s.a2_days == 0 and s.date_court_authority == ts("2022-01-01")
    n = t.loc["none"]
    assert pd.isna(n.a1_days) and pd.isna(n.a10_days) and pd.isna(n.a2_days)

    sc = rm.adoption_scorecard(t.reset_index()).set_index("collection_year")
    y1 = sc.loc["2022-23"]
    assert y1.children_adopted == 2 and y1.a1_mean == 365 and y1.a3_share == 100.0
    y2 = sc.loc["2023-24"]
    assert y2.a3_share == 0.0  # 426 is not < 426
    assert y2.a1_mean_3yr == pytest.approx((365 + 426) / 2)
    assert y2.a3_share_3yr == pytest.approx(50.0)
    assert y2.a2_mean_3yr == pytest.approx((59 + 0) / 2)


def test_adoption_pipeline_stage_gaps():
    eps = episodes(
        # decision 2021-09-01, E1 and A4 on 2022-01-01, matched after moving in: match_to_placed 0
        ("foster", [("2021-01-01", "S", "C1", "U3", "2021-06-01", "X1"),
                    ("2021-06-01", "P", "C2", "U1", "2022-01-01", "X1"),
                    ("2022-01-01", "U", "E1", "A4", "2022-12-01", "E12")]),
        # no decision date in AD1 and no E1/A3-A6: only entry -> adopted
        ("none", [("2022-04-01", "S", "C2", "U1", "2023-03-01", "E11")]),
        # decision dated after D (2024-03-31): not known on D
        ("late", [("2022-05-01", "S", "E1", "A5", "2023-02-01", "E11")]),
    )
    ad1 = frame([
        {"la_code": LA, "child_id": "foster", "adoption_match_date": "2022-03-01", "adopted_by_foster_carer": "1",
         "adoption_decision_date": "2021-09-01", "birth_month": "2019-06-01"},
        {"la_code": LA, "child_id": "none", "adoption_match_date": None, "adopted_by_foster_carer": "0",
         "adoption_decision_date": None, "birth_month": None},
        {"la_code": LA, "child_id": "late", "adoption_match_date": None, "adopted_by_foster_carer": "0",
         "adoption_decision_date": "2024-05-01", "birth_month": "2022-01-01"},
    ])
    p = rm.adoption_pipeline(rm.adoption_timeliness(eps, ad1), ad1, eps).set_index("collection_year")
    y = p.loc["2022-23"]
    assert y.children_adopted == 3
    assert y.entry_to_decision_children == 1
    assert y.entry_to_decision_mean_days == (ts("2021-09-01") - ts("2021-01-01")).days == 243
    assert y.decision_to_placement_order_mean_days == (ts("2022-01-01") - ts("2021-09-01")).days
    assert y.placement_order_to_match_children == 1
    assert y.match_to_placed_children == 1 and y.match_to_placed_mean_days == 0  # moved in before the match
    # entry -> placed: foster 365, late 0 (placed on entry)
    assert y.entry_to_placed_children == 2 and y.entry_to_placed_mean_days == pytest.approx(365 / 2)
    adopted = [(ts("2022-12-01") - ts("2021-01-01")).days, (ts("2023-03-01") - ts("2022-04-01")).days,
               (ts("2023-02-01") - ts("2022-05-01")).days]
    assert y.entry_to_adopted_children == 3
    assert y.entry_to_adopted_mean_days == pytest.approx(sum(adopted) / 3)
    assert y.entry_to_adopted_median_days == sorted(adopted)[1]
    # ages: 3 years 6 months (foster), 1 year 1 month (late)
    assert y.mean_age_at_adoption_months == pytest.approx((42 + 13) / 2)


# --------------------------------------------------------------------------- cohorts


def test_cohort_boundaries_one_day_either_side():
    eps = episodes(
        # E1 span + 9 months vs D = 2024-03-31
        ("po_in", [("2023-06-29", "S", "E1", "U1", None, None)]),     # 2024-03-29 < D
        ("po_eq", [("2023-06-30", "S", "E1", "K2", None, None)]),     # 2024-03-30 < D
        ("po_out", [("2023-07-01", "S", "E1", "K2", None, None)]),    # 2024-04-01
        # placement + 12 months
        ("fc_in", [("2023-03-30", "S", "C2", "U2", None, None)]),
        ("fc_eq", [("2023-03-31", "S", "C2", "U2", None, None)]),     # == D: not longer
        ("home_in", [("2022-01-01", "S", "C2", "P1", None, None)]),
        ("res_ext", [("2022-01-01", "S", "C2", "K2", None, None, "PR3")]),
        ("res_own", [("2022-01-01", "S", "C2", "K2", None, None, "PR1")]),
    )
    c = cohorts(eps)
    got = set(zip(c.child_id, c.cohort_id))
    assert got == {("po_in", 2), ("po_eq", 2), ("fc_in", 4), ("home_in", 5), ("res_ext", 6)}
    row = c.set_index("child_id").loc["po_eq"]
    assert row.condition_start == ts("2023-06-30") and row.months_in_condition == 9
    assert row.as_at_date == ts(D)


def test_cohort_leap_year_clamp():
    # 2023-02-28 + 12 months = 2024-02-28 < 2024-02-29; 2023-03-01 + 12 = 2024-03-01 (not yet)
    eps = episodes(("a", [("2023-02-28", "S", "C2", "U1", None, None)]),
                   ("b", [("2023-03-01", "S", "C2", "U1", None, None)]), extract_date="2024-02-29")
    c = cohorts(eps)
    assert c[["child_id", "cohort_id", "months_in_condition"]].values.tolist() == [["a", 4, 12]]
    # 2023-05-31 + 9 months clamps to 2024-02-29, not < 2024-02-29
    eps = episodes(("c", [("2023-05-31", "S", "E1", "U1", None, None)]), extract_date="2024-02-29")
    assert cohorts(eps).empty
    eps = episodes(("c", [("2023-05-31", "S", "E1", "U1", None, None)]), extract_date="2024-03-01")
    c = cohorts(eps)
    assert c[["cohort_id", "months_in_condition"]].values.tolist() == [[2, 9]]


def test_child_in_two_cohorts_and_summary_counts_children():
    eps = episodes(
        ("two", [("2022-01-01", "S", "C2", "U3", "2023-01-01", "X1"),
                 ("2023-01-01", "L", "E1", "U3", None, None)]),   # E1 since 2023-01-01, U3 since 2022
        ("ended_on_d", [("2020-01-01", "S", "C2", "U3", D, "E4A")]),  # not looked after on D
        ("sb", [("2020-01-01", "S", "V4", "U3", None, None)]),
    )
    c = cohorts(eps)
    assert sorted(zip(c.child_id, c.cohort_id)) == [("two", 2), ("two", 4)]
    r = c.set_index("cohort_id")
    assert r.loc[2, "condition_start"] == ts("2023-01-01") and r.loc[2, "months_in_condition"] == 14
    assert r.loc[4, "condition_start"] == ts("2022-01-01") and r.loc[4, "months_in_condition"] == 26
    s = rm.spg_cohort_summary(c)
    assert s[["cohort_id", "cohort_name", "children"]].values.tolist() == [
        [2, "Placement order > 9 months", 1], [4, "Foster carers > 12 months", 1]]


def test_cohorts_no_pr_and_ltf_plan():
    eps = episodes(
        ("d1", [("2023-01-01", "S", "C2", "U1", "2023-06-01", "X1"),
                ("2023-06-01", "L", "D1", "U1", None, None)]),
        ("relinq", [("2024-01-01", "S", "V2", "U1", None, None)]),
        ("relinq_closed", [("2024-01-01", "S", "V2", "U1", None, None)]),
        ("ltf", [("2023-01-01", "S", "C2", "U3", None, None)]),
        ("ltf_matched", [("2023-01-01", "S", "C2", "U3", None, None)]),
        ("ltf_u4", [("2023-01-01", "S", "C2", "U4", None, None)]),
        ("ltf_old_plan", [("2023-01-01", "S", "C2", "U3", None, None)]),
    )
    no_pr = [{"la_code": LA, "child_id": "relinq", "no_pr_reason": "RELINQUISHED", "no_pr_start_date": "2024-01-01",
              "no_pr_end_date": None},
             {"la_code": LA, "child_id": "relinq_closed", "no_pr_reason": "RELINQUISHED",
              "no_pr_start_date": "2024-01-01", "no_pr_end_date": D}]
    plans = [{"la_code": LA, "child_id": c, "care_plan_start_date": "2023-02-01", "care_plan_end_date": None,
              "permanence_plan": "LTFOST18"} for c in ("ltf", "ltf_matched", "ltf_u4")]
    plans += [{"la_code": LA, "child_id": "ltf_old_plan", "care_plan_start_date": "2023-02-01",
               "care_plan_end_date": "2023-05-01", "permanence_plan": "LTRELFR"},
              {"la_code": LA, "child_id": "ltf_old_plan", "care_plan_start_date": "2023-05-01",
               "care_plan_end_date": None, "permanence_plan": "RETURN1M"},
              {"la_code": LA, "child_id": "ltf", "care_plan_start_date": "2022-12-01",
               "care_plan_end_date": None, "permanence_plan": "ADOPTION"}]
    perm = [{"la_code": LA, "child_id": "ltf_matched", "matched_date": "2023-09-01", "decision_reversed_date": None},
            {"la_code": LA, "child_id": "ltf", "matched_date": None, "decision_reversed_date": None}]
    c = cohorts(eps, no_pr, plans, perm)
    c = c[c.cohort_id.isin([1, 3])]  # most of them are also with foster carers > 12 months
    assert sorted(zip(c.child_id, c.cohort_id)) == [("d1", 1), ("ltf", 3), ("relinq", 1)]
    r = c.set_index("child_id")
    assert r.loc["d1", "condition_start"] == ts("2023-06-01")
    assert r.loc["relinq", "condition_start"] == ts("2024-01-01")
    assert r.loc["ltf", "condition_start"] == ts("2023-02-01") and r.loc["ltf", "months_in_condition"] == 13


def test_cohort_3_needs_a_match_in_the_current_period_since_the_plan_began():
    eps = episodes(
        ("old_match", [("2023-06-01", "S", "C2", "U3", None, None)]),
        ("earlier_period", [("2022-01-01", "S", "C2", "U3", "2023-12-15", "E4A"),
                            ("2024-02-01", "S", "C2", "U3", None, None)]),
        ("code_change", [("2023-01-01", "S", "C2", "U3", None, None)]),
        ("rerecorded", [("2023-01-01", "S", "C2", "U3", None, None)]),
    )
    plan = lambda c, start, end, code: {"la_code": LA, "child_id": c, "care_plan_start_date": start,  # noqa: E731
                                        "care_plan_end_date": end, "permanence_plan": code}
    plans = [plan("old_match", "2024-01-01", None, "LTFOST18"), plan("earlier_period", "2023-06-01", None, "LTFOST18"),
             plan("code_change", "2023-06-01", "2024-02-01", "LTRELFR"), plan("code_change", "2024-02-01", None, "LTFOST18"),
             plan("rerecorded", "2023-06-01", "2024-02-01", "LTFOST18"), plan("rerecorded", "2024-02-01", None, "LTFOST18")]
    perm = [{"la_code": LA, "child_id": c, "matched_date": m, "decision_reversed_date": None}
            for c, m in (("old_match", "2023-10-01"), ("earlier_period", "2023-12-01"), ("code_change", "2023-08-01"),
                         ("rerecorded", "2023-08-01"))]
    c = cohorts(eps, [], plans, perm)
    c = c[c.cohort_id == 3].set_index("child_id")["condition_start"]
    assert c.to_dict() == {"code_change": ts("2024-02-01"), "earlier_period": ts("2023-06-01"),
                           "old_match": ts("2024-01-01")}


def test_as_at_override_and_several_las():
    eps = pd.concat([
        episodes(("a", [("2023-01-01", "S", "C2", "U1", None, None)]), la="901", extract_date="2024-03-31"),
        episodes(("a", [("2023-01-01", "S", "C2", "U1", None, None)]), la="902", extract_date="2023-12-31"),
    ])
    c = cohorts(eps)
    assert c[["la_code", "as_at_date"]].values.tolist() == [["901", ts("2024-03-31")]]
    c = cohorts(eps, as_at=pd.Timestamp("2024-06-01").date())
    assert c["la_code"].tolist() == ["901", "902"]


# --------------------------------------------------------------------------- two dates and repairs


def test_drop_reported_a_year_early_equals_the_drop_cut_at_that_date():
    """D a year before E: what happened after D is unknown; the result is the same drop as it
    would have been extracted on D (cut by hand here)."""
    e, d = "2024-03-31", "2023-03-31"
    full = episodes(
        ("left_after_d", [("2021-01-01", "S", "C2", "U4", "2023-01-01", "X1"),
                          ("2023-01-01", "L", "E1", "U4", "2023-09-01", "E4A")]),
        ("started_after_d", [("2023-05-01", "S", "C1", "U6", None, None)]),
        ("left_before_d", [("2022-01-01", "S", "C2", "P1", "2022-12-01", "E13")]),
        ("ended_on_d", [("2020-01-01", "S", "E1", "U6", d, "E11")]),
        ("open", [("2020-01-01", "S", "C2", "P1", None, None)]),
        extract_date=e,
    )
    cut = episodes(
        ("left_after_d", [("2021-01-01", "S", "C2", "U4", "2023-01-01", "X1"),
                          ("2023-01-01", "L", "E1", "U4", None, None)]),
        ("left_before_d", [("2022-01-01", "S", "C2", "P1", "2022-12-01", "E13")]),
        ("ended_on_d", [("2020-01-01", "S", "E1", "U6", d, "E11")]),
        ("open", [("2020-01-01", "S", "C2", "P1", None, None)]),
        extract_date=d,
    )
    early = rm.periods_of_care(full, as_at=ts(d).date())
    assert early.drop(columns="as_at_date").equals(rm.periods_of_care(cut).drop(columns="as_at_date"))
    assert "started_after_d" not in set(early["child_id"])
    assert pd.isna(early.set_index("child_id").loc["left_after_d", "period_end"])
    for measure in (rm.exits_by_year, rm.duration_in_care, rm.reentry):
        assert measure(early).equals(measure(rm.periods_of_care(cut)))
    assert cohorts(full, as_at=ts(d).date()).equals(cohorts(cut))
    assert set(cohorts(full, as_at=ts(d).date())["child_id"]) == {"left_after_d", "open"}
    # the same drop read on its extract date does see the later events
    assert rm.periods_of_care(full).set_index("child_id").loc["left_after_d", "exit_route"] == "Returned home"


def test_overlap_whose_later_row_is_open_keeps_the_child_in_care():
    eps = episodes(
        # a closed episode overlapping an open one: ends at the open one's DECOM, keeps its REC
        ("closed_then_open", [("2021-01-01", "S", "C2", "U4", "2024-02-01", "E4A"),
                              ("2022-06-01", "S", "C2", "U4", None, None)]),
        # left open although a later one starts: continues into it (X1), one period
        ("open_then_open", [("2021-01-01", "S", "C2", "U6", None, None),
                            ("2022-06-01", "P", "C2", "U4", None, None)]),
    )
    b = rm.build_episodes(eps).set_index(["child_id", "episode_start_date"])
    first = b.loc[("closed_then_open", ts("2021-01-01"))]
    assert (first.episode_end_date, first.reason_episode_ceased, first.repair_type) == (
        ts("2022-06-01"), "E4A", "overlap_ended_at_next_start")
    first = b.loc[("open_then_open", ts("2021-01-01"))]
    assert (first.episode_end_date, first.reason_episode_ceased, first.repair_type) == (
        ts("2022-06-01"), "X1", "open_ended_at_next_start")
    p = rm.periods_of_care(eps).set_index(["child_id", "period_no"])
    assert len(p.loc["open_then_open"]) == 1 and pd.isna(p.loc[("open_then_open", 1), "period_end"])
    assert p.loc[("closed_then_open", 1), "exit_route"] == "Returned home"
    assert pd.isna(p.loc[("closed_then_open", 2), "period_end"])
    c = cohorts(eps)
    assert set(c.loc[c.cohort_id == 4, "child_id"]) == {"closed_then_open", "open_then_open"}


def test_duplicates_from_two_returns_keep_the_later_returns_row():
    older = episodes(("a", [("2022-01-01", "S", "C1", "U6", None, None)]),
                     ("b", [("2022-01-01", "S", "C2", "U6", "2022-09-01", "E4A")]), extract_date="2023-03-31")
    newer = episodes(("a", [("2022-01-01", "S", "C2", "U4", "2023-06-01", "E45")]),
                     ("b", [("2022-01-01", "S", "C2", "U4", "2022-10-01", "E41")]), extract_date="2024-03-31")
    stacked = pd.concat([newer.assign(source_row=1), older.assign(source_row=2)], ignore_index=True)
    b = rm.build_episodes(stacked, as_at=ts("2024-03-31").date()).set_index("child_id")
    assert len(b) == 2
    assert (b.loc["a", "placement_type"], b.loc["a", "reason_episode_ceased"]) == ("U4", "E45")
    assert (b.loc["b", "episode_end_date"], b.loc["b", "reason_episode_ceased"]) == (ts("2022-10-01"), "E41")
    # within one return a closed end wins over an open one, even from an earlier row
    one = episodes(("c", [("2022-01-01", "S", "C2", "U4", "2022-05-01", "E4A"),
                          ("2022-01-01", "S", "C2", "U6", None, None)]))
    b = rm.build_episodes(one).set_index("child_id")
    assert len(b) == 1 and b.loc["c", "reason_episode_ceased"] == "E4A"


def test_same_end_keeps_the_longer_and_chaining_follows_the_x1_link():
    eps = episodes(("a", [
        ("2022-03-01", "P", "C2", "U4", "2022-06-01", "X1"),   # same DEC as the longer one below
        ("2022-06-01", "P", "C2", "U1", "2022-12-01", "X1"),
        ("2022-01-01", "S", "C2", "U6", "2022-06-01", "X1"),   # rows out of order
        ("2023-01-01", "P", "C2", "U1", None, None),            # starts a month after the X1 end
    ]))
    b = rm.build_episodes(eps)
    assert b["episode_start_date"].tolist() == [ts("2022-01-01"), ts("2022-06-01"), ts("2023-01-01")]
    assert b["period_no"].tolist() == [1, 1, 2]
    assert b["chain_hole"].tolist() == [None, "x1_without_continuation", "period_starts_mid_chain"]
    p = rm.periods_of_care(eps)
    assert p["chain_hole"].tolist() == [True, True]
    assert p["exit_route"].tolist()[0] == "Not recorded"
