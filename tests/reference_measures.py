"""Independent pandas reference for the permanence measures (docs/measures.md).

Written from the written definitions only (docs/marts.md and the
team's conventions), never from the dbt SQL, so that tests/test_reconciliation.py can check the
marts against a second, independent computation. Plain vectorised pandas: sort, shift, cumsum,
groupby and merge; no per-child Python loops.

Inputs are the staging views as pandas frames (column names as in
dbt_project/models/staging/_staging.yml). Every function takes an optional `as_at`: a date used
for every LA; by default each LA's own extract_date (the reporting date D of its current load).

Conventions (shared with the dbt marts):
- everything is seen as known on D: episodes starting after D are left out, an episode ending
  after D is open on D (DEC and REC blank), and an open episode has no REC (one sent without a DEC
  is read as blank); AD1 match dates and permanence milestones after D are
  not yet known;
- then the repairs of docs/measures.md#repairs, in its order: (1) the same child and DECOM twice: the
  later return's row (later extract_date), a closed end before an open one, then the later
  source_row; (2) two closed episodes with the same DEC: the longer; (3) an episode open although
  a later one starts, or ending after the next DECOM, ends at the next DECOM: an open one with
  REC X1, a closed one keeping its REC;
- looked after on D: episode_start_date <= D and (episode_end_date null or > D);
- periods chain by the X1 link: an episode continues a period when an episode of the child with
  REC X1 ends on its DECOM (found by that link, not by row order); chain holes: an X1 whose
  continuation is missing, and a period whose first episode's RNE is not S;
- placements (carer level) start at a period's first episode and at each RNE P or B;
- legal status spans: runs of consecutive episodes of a period with the same LS;
- "longer than N months on D": start + N calendar months (day clamped to month end) < D;
- short breaks by the episode in question (docs/measures.md#short-breaks-and-the-episode-in-question): a period whose last episode is LS
  V3/V4 is left out of exits, durations and adoption; one whose first episode is V3/V4 is not a
  start for re-entry (a period all of short breaks is not an earlier period either); placement
  stability leaves out periods all of short breaks; children whose current episode is V3/V4 are
  left out of cohorts and stability.

Choices this module makes where the written conventions are silent (kept explicit so a
reconciliation mismatch can be traced to them):
- a REC that is neither mapped nor X1/blank on an ended period gives exit_route 'Not recorded';
- two current episodes for one child on a date (overlapping data): the latest DECOM wins;
- cohort 1 condition_start: the D1 span start when the current LS is D1, else the earliest
  start of the child's no-PR records open on D;
- stability: placements of short-break periods are not counted; temporary placements are
  excluded both as "the placement open on 1 April" and as placements started in the year, and a
  placement open on 1 April that also started on 1 April counts once; the long-term exception
  looks at the PLACE of the child's current episode on 31 March and the RNE of the first episode
  of its current placement; when that placement is the first of the period, its own start is used;
  children without a header birth_month are not eligible;
- adoption_scorecard: one row per LA and collection year with at least one adoption.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

SHORT_BREAK = ("V3", "V4")
ADOPTIVE_PLACE = ("A3", "A4", "A5", "A6")
TEMPORARY_PLACE = ("T0", "T1", "T2", "T3", "T4")
FOSTER_PLACE = ("U1", "U2", "U3", "U4", "U5", "U6")
EXTERNAL_RES_PLACE = ("K1", "K2", "R1", "S1")
EXTERNAL_PROVIDER = ("PR2", "PR3", "PR4", "PR5")
LTF_PLANS = ("LTFOST18", "LTRELFR")
PERMANENCE_PLANS = ("RETURN1M", "RETURN6M", "ADOPTION", "LTRELFR", "LTFOST18", "SUPPLIV")
A1_THRESHOLD = 426

EXIT_ROUTE_BY_REC = {
    **dict.fromkeys(("E11", "E12"), "Adopted"),
    **dict.fromkeys(("E45", "E46", "E47", "E48"), "Special guardianship order"),
    "E41": "Child arrangements order",
    **dict.fromkeys(("E4A", "E4B"), "Returned home"),
    "E13": "Living with parents or relatives without PR",
    **dict.fromkeys(("E5", "E6", "E17"), "Independent living or stayed with carers at 18"),
    **dict.fromkeys(("E2", "E3", "E7", "E8", "E9", "E14", "E15", "E16"), "Other"),
}
NOT_RECORDED = "Not recorded"
PERMANENCE_ROUTES = ("Adopted", "Special guardianship order", "Child arrangements order", "Returned home")

COHORT_NAMES = {
    1: "No one holds PR",
    2: "Placement order > 9 months",
    3: "LTF plan, no match",
    4: "Foster carers > 12 months",
    5: "Home with parents > 12 months",
    6: "External residential > 12 months",
}

CHILD = ["la_code", "child_id"]


# --------------------------------------------------------------------------- dates


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).astype("datetime64[ns]")


def collection_year_start(dates: pd.Series) -> pd.Series:
    """Start year Y of the collection year (1 April Y .. 31 March Y+1) of each date; <NA> for NaT."""
    d = _dates(dates)
    y = d.dt.year - (d.dt.month < 4).astype("Int64")
    return y.astype("Int64")


def year_label(start_year: pd.Series) -> pd.Series:
    y = start_year.astype("Int64")
    out = y.astype(str) + "-" + ((y + 1) % 100).astype(str).str.zfill(2)
    return out.where(y.notna(), None).astype(object)


def collection_year(dates: pd.Series) -> pd.Series:
    """'2023-24' for dates 2023-04-01..2024-03-31."""
    return year_label(collection_year_start(dates))


def add_months(start: pd.Series, months) -> pd.Series:
    """start + months calendar months, the day clamped to the month's end (like pd.DateOffset)."""
    s = _dates(start)
    if isinstance(months, pd.Series):
        n = months.astype("Int64")
    else:
        n = pd.Series(months, index=s.index, dtype="Int64")
    ok = s.notna() & n.notna()
    idx = (s.dt.year * 12 + s.dt.month - 1 + n).where(ok)
    year = (idx // 12).where(ok, 2000).astype("int64")
    month = (idx % 12 + 1).where(ok, 1).astype("int64")
    first = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}))
    last_day = first.dt.days_in_month
    day = np.minimum(s.dt.day.where(ok, 1).astype("int64"), last_day)
    out = first + pd.to_timedelta(day - 1, unit="D")
    return out.where(ok)


def whole_months(start: pd.Series, end: pd.Series) -> pd.Series:
    """Largest n with add_months(start, n) <= end (floor of calendar months between them)."""
    s, e = _dates(start), _dates(end)
    n = (e.dt.year - s.dt.year) * 12 + (e.dt.month - s.dt.month)
    n = n.astype("Int64")
    over = add_months(s, n) > e
    return (n - over.astype("Int64")).where(s.notna() & e.notna())


def _days(delta: pd.Series) -> pd.Series:
    return (delta.dt.days).astype("Int64")


# --------------------------------------------------------------------------- inputs


def as_at_dates(episodes: pd.DataFrame, as_at: dt.date | pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per LA: la_code, as_at_date (the given date, or per LA from a frame with la_code and
    as_at_date, else the LA's extract_date)."""
    las = episodes.groupby("la_code", as_index=False)["extract_date"].max()
    if isinstance(as_at, pd.DataFrame):
        las = las.drop(columns="extract_date").merge(as_at[["la_code", "as_at_date"]], on="la_code")
        las["as_at_date"] = _dates(las["as_at_date"])
        return las[["la_code", "as_at_date"]]
    if as_at is not None:
        las["extract_date"] = pd.Timestamp(as_at)
    las["as_at_date"] = _dates(las["extract_date"])
    return las[["la_code", "as_at_date"]]


def censor(episodes: pd.DataFrame, as_at: dt.date | pd.DataFrame | None = None) -> pd.DataFrame:
    """The episodes as known on D: those starting after D left out, an end after D read as open."""
    ep = episodes.copy()
    ep["episode_start_date"] = _dates(ep["episode_start_date"])
    ep["episode_end_date"] = _dates(ep["episode_end_date"])
    ep = ep.drop(columns=["as_at_date"], errors="ignore").merge(as_at_dates(episodes, as_at), on="la_code")
    ep = ep[ep["episode_start_date"] <= ep["as_at_date"]].copy()
    later = (ep["episode_end_date"] > ep["as_at_date"]).fillna(False).astype(bool)
    ep["ended_after_as_at_date"] = later
    ep.loc[later, "episode_end_date"] = pd.NaT
    # an open episode has not ceased: a REC sent without a DEC is read as blank too
    ceased = ep["episode_end_date"].notna()
    ep["reason_episode_ceased"] = ep["reason_episode_ceased"].astype(object).where(ceased, None)
    return ep.reset_index(drop=True)


def repair(ep: pd.DataFrame) -> pd.DataFrame:
    """The repairs of docs/measures.md#repairs, in order, on censored episodes. Adds repair_type."""
    ep = ep.copy()
    if "source_row" not in ep.columns:
        ep["source_row"] = np.arange(len(ep))
    ep["_open"] = ep["episode_end_date"].isna()
    # 1. one row per DECOM: later return, then closed before open, then later source row
    ep = ep.sort_values(CHILD + ["episode_start_date", "extract_date", "_open", "source_row"],
                        ascending=[True, True, True, False, True, False], kind="stable")
    ep = ep.drop_duplicates(CHILD + ["episode_start_date"], keep="first")
    # 2. closed episodes ending on the same day: the longer (earliest DECOM) is kept
    closed = ep[~ep["_open"]].sort_values(CHILD + ["episode_end_date", "episode_start_date"], kind="stable")
    closed = closed.drop_duplicates(CHILD + ["episode_end_date"], keep="first")
    ep = pd.concat([closed, ep[ep["_open"]]]).sort_values(CHILD + ["episode_start_date"], kind="stable")
    # 3. ends at the next DECOM when open or overlapping; an open one continues (X1)
    next_start = ep.groupby(CHILD, sort=False)["episode_start_date"].shift(-1)
    was_open = ep["_open"] & next_start.notna()
    overlaps = ~ep["_open"] & (ep["episode_end_date"] > next_start).fillna(False).astype(bool)
    ep["repair_type"] = None
    ep.loc[was_open, "repair_type"] = "open_ended_at_next_start"
    ep.loc[overlaps, "repair_type"] = "overlap_ended_at_next_start"
    ep.loc[was_open | overlaps, "episode_end_date"] = next_start[was_open | overlaps]
    ep["reason_episode_ceased"] = ep["reason_episode_ceased"].astype(object)
    ep.loc[was_open, "reason_episode_ceased"] = "X1"
    return ep.drop(columns="_open").reset_index(drop=True)


def build_episodes(episodes: pd.DataFrame, as_at: dt.date | pd.DataFrame | None = None) -> pd.DataFrame:
    """Episodes as known on D, repaired, per child with period, placement and span numbers.

    Adds: as_at_date, repair_type, chain_hole, period_no, placement_no, span_no (counters per
    child), period_start, placement_start, span_start, placement_first_place, placement_first_rne,
    new_placement, is_short_break_period, period_chain_hole.
    """
    ep = repair(censor(episodes, as_at))
    ep = ep.sort_values(CHILD + ["episode_start_date"], kind="stable").reset_index(drop=True)

    # the X1 link: an episode continues the one of the same child with REC X1 that ends on its DECOM
    links = ep.loc[ep["reason_episode_ceased"].eq("X1").fillna(False).astype(bool) & ep["episode_end_date"].notna(),
                   CHILD + ["episode_end_date"]].rename(columns={"episode_end_date": "episode_start_date"})
    links["continues"] = True
    ep = ep.merge(links.drop_duplicates(CHILD + ["episode_start_date"]), on=CHILD + ["episode_start_date"], how="left")
    continues = ep["continues"].fillna(False).astype(bool)
    starts = ep[CHILD + ["episode_start_date"]].assign(has_next=True)
    ended = ep[CHILD + ["episode_end_date"]].rename(columns={"episode_end_date": "episode_start_date"})
    has_next = ended.merge(starts, on=CHILD + ["episode_start_date"], how="left")["has_next"].fillna(False).astype(bool)
    x1_hole = (ep["reason_episode_ceased"].eq("X1").fillna(False).astype(bool) & ep["episode_end_date"].notna()
               & ~has_next.values)
    ep["new_period"] = ~continues
    mid_chain = ep["new_period"] & ~ep["reason_new_episode"].eq("S").fillna(False).astype(bool)
    ep["chain_hole"] = np.where(x1_hole, "x1_without_continuation",
                                np.where(mid_chain, "period_starts_mid_chain", None))
    ep["new_placement"] = ep["new_period"] | ep["reason_new_episode"].isin(["P", "B"])
    ls = ep["legal_status"].astype(object).fillna("<null>")
    prev_ls = ls.groupby([ep["la_code"], ep["child_id"]], sort=False).shift()
    ep["new_span"] = ep["new_period"] | (ls != prev_ls)

    for flag, counter in (("new_period", "period_no"), ("new_placement", "placement_no"), ("new_span", "span_no")):
        ep[counter] = ep[flag].astype(int).groupby([ep["la_code"], ep["child_id"]], sort=False).cumsum()

    ep["period_start"] = ep.groupby(CHILD + ["period_no"], sort=False)["episode_start_date"].transform("min")
    ep["placement_start"] = ep.groupby(CHILD + ["placement_no"], sort=False)["episode_start_date"].transform("min")
    ep["span_start"] = ep.groupby(CHILD + ["span_no"], sort=False)["episode_start_date"].transform("min")
    firsts = ep.loc[ep["new_placement"], CHILD + ["placement_no", "placement_type", "reason_new_episode"]]
    firsts = firsts.rename(columns={"placement_type": "placement_first_place", "reason_new_episode": "placement_first_rne"})
    ep = ep.merge(firsts, on=CHILD + ["placement_no"], how="left")
    sb = ep["legal_status"].isin(SHORT_BREAK)
    ep["is_short_break_period"] = sb.groupby([ep["la_code"], ep["child_id"], ep["period_no"]], sort=False).transform("all")
    hole = ep["chain_hole"].notna()
    ep["period_chain_hole"] = hole.groupby([ep["la_code"], ep["child_id"], ep["period_no"]], sort=False).transform("any")
    ep["chain_hole"] = ep["chain_hole"].astype(object).where(hole, None)
    return ep


def _exit_route(rec: pd.Series, ended: pd.Series) -> pd.Series:
    route = rec.astype(object).map(EXIT_ROUTE_BY_REC)
    route = route.where(route.notna(), NOT_RECORDED)
    return route.where(ended, None).astype(object)


def periods_of_care(episodes: pd.DataFrame, as_at: dt.date | None = None, built: pd.DataFrame | None = None) -> pd.DataFrame:
    """marts.periods_of_care: one row per period (short breaks included, flagged)."""
    ep = build_episodes(episodes, as_at) if built is None else built
    keys = CHILD + ["period_no"]
    last = ep.drop_duplicates(keys, keep="last")
    first = ep.drop_duplicates(keys, keep="first")
    out = pd.DataFrame({
        "la_code": last["la_code"].values,
        "child_id": last["child_id"].values,
        "period_no": last["period_no"].values,
        "period_start": last["period_start"].values,
        "period_end": last["episode_end_date"].values,
        "reason_ceased": last["reason_episode_ceased"].astype(object).values,
        "is_short_break": last["is_short_break_period"].astype(bool).values,
        # the episode in question (docs/measures.md#short-breaks-and-the-episode-in-question): the first for a start, the last for an exit
        "starts_on_short_break": first["legal_status"].isin(SHORT_BREAK).values,
        "ends_on_short_break": last["legal_status"].isin(SHORT_BREAK).values,
        "chain_hole": last["period_chain_hole"].astype(bool).values,
        "as_at_date": last["as_at_date"].values,
    })
    ended = out["period_end"].notna()
    out["exit_route"] = _exit_route(out["reason_ceased"], ended)
    out["days_in_care"] = _days(out["period_end"].where(ended, out["as_at_date"]) - out["period_start"])
    return out[["la_code", "child_id", "period_no", "period_start", "period_end", "reason_ceased",
                "exit_route", "days_in_care", "is_short_break", "starts_on_short_break", "ends_on_short_break",
                "chain_hole", "as_at_date"]].reset_index(drop=True)


def _ended_periods(periods: pd.DataFrame) -> pd.DataFrame:
    p = periods[~periods["ends_on_short_break"] & periods["period_end"].notna()].copy()
    p["year_start"] = collection_year_start(p["period_end"])
    p["collection_year"] = year_label(p["year_start"])
    return p


# --------------------------------------------------------------------------- exits, durations, re-entry


def _exits(periods: pd.DataFrame) -> pd.DataFrame:
    """Each child's exit of a year: the last period (latest end) ended in the year, its last episode
    not a short break."""
    p = _ended_periods(periods).sort_values(CHILD + ["year_start", "period_end", "period_start"])
    return p.drop_duplicates(CHILD + ["year_start"], keep="last").copy()


def exits_by_year(periods: pd.DataFrame) -> pd.DataFrame:
    last = _exits(periods)
    out = (last.groupby(["la_code", "collection_year", "exit_route"], as_index=False)
           .agg(children=("child_id", "nunique")))
    return out.sort_values(["la_code", "collection_year", "exit_route"]).reset_index(drop=True)


def exits_by_reason(periods: pd.DataFrame) -> pd.DataFrame:
    """exits_by_year one level down: by the REC of the child's last period ended in the year, a
    code outside the mapped ones (X1, blank) as 'not recorded'."""
    last = _exits(periods)
    mapped = last["reason_ceased"].isin(list(EXIT_ROUTE_BY_REC))
    last["reason_ceased"] = last["reason_ceased"].astype(object).where(mapped, "not recorded")
    last["permanence_exit"] = last["exit_route"].isin(PERMANENCE_ROUTES)
    out = (last.groupby(["la_code", "collection_year", "reason_ceased", "exit_route", "permanence_exit"], as_index=False)
           .agg(children=("child_id", "nunique")))
    return out.sort_values(["la_code", "collection_year", "reason_ceased"]).reset_index(drop=True)


def reentry_by_previous_exit(periods: pd.DataFrame) -> pd.DataFrame:
    """Each child's exit of a year (as exits_by_year) and whether a new period (not a short break)
    started 0-365 days after it (its first episode not a short break)."""
    exits = _exits(periods)
    starts = periods.loc[~periods["starts_on_short_break"], CHILD + ["period_start"]].rename(columns={"period_start": "next"})
    later = exits[CHILD + ["year_start", "period_end"]].merge(starts, on=CHILD)
    later = later[later["next"] >= later["period_end"]].groupby(CHILD + ["year_start"], as_index=False)["next"].min()
    m = exits.merge(later, on=CHILD + ["year_start"], how="left")
    m["back"] = (_days(m["next"] - m["period_end"]) <= 365).fillna(False).astype(bool)
    out = (m.groupby(["la_code", "collection_year", "exit_route"], as_index=False)
           .agg(children_exited=("child_id", "size"), reentered_within_12_months=("back", "sum")))
    return out.sort_values(["la_code", "collection_year", "exit_route"]).reset_index(drop=True)


def duration_in_care(periods: pd.DataFrame) -> pd.DataFrame:
    p = _ended_periods(periods)
    p["days"] = p["days_in_care"].astype(float)
    out = (p.groupby(["la_code", "collection_year"], as_index=False)
           .agg(periods_ended=("days", "size"), mean_days_in_care=("days", "mean"),
                median_days_in_care=("days", "median")))
    return out.sort_values(["la_code", "collection_year"]).reset_index(drop=True)


def reentry(periods: pd.DataFrame) -> pd.DataFrame:
    p = periods[~periods["is_short_break"]].sort_values(CHILD + ["period_start"]).copy()
    # latest end among the child's earlier (non-short-break) periods
    by = [p["la_code"], p["child_id"]]
    running_max = p["period_end"].groupby(by, sort=False).cummax().groupby(by, sort=False).ffill()
    p["prev_end"] = running_max.groupby(by, sort=False).shift()
    gap = _days(p["period_start"] - p["prev_end"])
    p["is_reentry"] = (gap <= 365).fillna(False).astype(bool)
    p["year_start"] = collection_year_start(p["period_start"])
    p["collection_year"] = year_label(p["year_start"])
    # earlier periods of full-time care count as the previous one; a start counts when its first
    # episode is not a short break
    p = p[~p["starts_on_short_break"]]
    started = p.groupby(["la_code", "collection_year"], as_index=False).agg(children_started=("child_id", "nunique"))
    re = (p[p["is_reentry"]].groupby(["la_code", "collection_year"], as_index=False)
          .agg(reentries_within_12_months=("child_id", "nunique")))
    out = started.merge(re, how="left", on=["la_code", "collection_year"])
    out["reentries_within_12_months"] = out["reentries_within_12_months"].fillna(0).astype(int)
    return out.sort_values(["la_code", "collection_year"]).reset_index(drop=True)


# --------------------------------------------------------------------------- current episode


def current_episodes(built: pd.DataFrame, on: pd.DataFrame, key: list[str] | None = None) -> pd.DataFrame:
    """Each child's current episode on a date: `on` has la_code, on_date (+ key columns).

    Looked after on D: start <= D and (end null or end > D); latest DECOM wins on overlaps.
    """
    key = key or []
    m = built.merge(on, on="la_code")
    d = m["on_date"]
    m = m[(m["episode_start_date"] <= d) & (m["episode_end_date"].isna() | (m["episode_end_date"] > d))]
    m = m.sort_values(CHILD + key + ["episode_start_date"])
    return m.drop_duplicates(CHILD + key, keep="last").reset_index(drop=True)


# --------------------------------------------------------------------------- SPG cohorts


def spg_cohort_children(episodes: pd.DataFrame, no_pr: pd.DataFrame, care_plans: pd.DataFrame,
                        permanence: pd.DataFrame, as_at: dt.date | None = None,
                        built: pd.DataFrame | None = None) -> pd.DataFrame:
    ep = build_episodes(episodes, as_at) if built is None else built
    las = as_at_dates(episodes, as_at).rename(columns={"as_at_date": "on_date"})
    cur = current_episodes(ep, las)
    cur = cur[~cur["legal_status"].isin(SHORT_BREAK)].copy()

    # open no-PR record on D
    npr = no_pr.copy()
    npr["no_pr_start_date"] = _dates(npr["no_pr_start_date"])
    npr["no_pr_end_date"] = _dates(npr["no_pr_end_date"])
    npr = npr.merge(las, on="la_code")
    npr = npr[(npr["no_pr_start_date"] <= npr["on_date"])
              & (npr["no_pr_end_date"].isna() | (npr["no_pr_end_date"] > npr["on_date"]))]
    npr = npr.groupby(CHILD, as_index=False).agg(no_pr_start=("no_pr_start_date", "min"))
    cur = cur.merge(npr, on=CHILD, how="left")

    # current care plan on D: latest plan started on or before D and not ended by D
    cp = care_plans.copy()
    cp["care_plan_start_date"] = _dates(cp["care_plan_start_date"])
    cp["care_plan_end_date"] = _dates(cp["care_plan_end_date"])
    # a plan begins where its code begins: the same code recorded again is the same plan
    cp = cp.sort_values(CHILD + ["care_plan_start_date"] + (["source_row"] if "source_row" in cp else []), kind="stable")
    code = cp["permanence_plan"].astype(object).fillna("<none>")
    new_code = code != code.groupby([cp["la_code"], cp["child_id"]], sort=False).shift()
    run = new_code.astype(int).groupby([cp["la_code"], cp["child_id"]], sort=False).cumsum()
    cp["plan_began"] = cp.groupby([cp["la_code"], cp["child_id"], run], sort=False)["care_plan_start_date"].transform("min")
    cp = cp.merge(las, on="la_code")
    cp = cp[(cp["care_plan_start_date"] <= cp["on_date"])
            & (cp["care_plan_end_date"].isna() | (cp["care_plan_end_date"] > cp["on_date"]))]
    cp = cp.sort_values(CHILD + ["care_plan_start_date"]).drop_duplicates(CHILD, keep="last")
    cur = cur.merge(cp[CHILD + ["permanence_plan", "care_plan_start_date", "plan_began"]], on=CHILD, how="left")

    # cohort 3's match: dated in the current period, on or after the current plan began, known on D
    matched = cur[CHILD + ["period_start", "plan_began", "on_date"]].merge(permanence[CHILD + ["matched_date"]], on=CHILD)
    when = _dates(matched["matched_date"])
    matched = matched.loc[(when <= matched["on_date"]) & (when >= matched["period_start"])
                          & (when >= matched["plan_began"]), CHILD].drop_duplicates()
    matched["has_match"] = True
    cur = cur.merge(matched, on=CHILD, how="left")
    cur["has_match"] = cur["has_match"].fillna(False).astype(bool)

    ls, place, D = cur["legal_status"], cur["placement_type"], cur["on_date"]
    over = lambda start, n: (add_months(start, n) < D).fillna(False).astype(bool)  # noqa: E731
    cohort = {
        1: ((ls == "D1").fillna(False) | cur["no_pr_start"].notna(),
            cur["span_start"].where(ls == "D1", cur["no_pr_start"])),
        2: ((ls == "E1").fillna(False) & over(cur["span_start"], 9), cur["span_start"]),
        3: ((ls == "C2").fillna(False) & cur["permanence_plan"].isin(LTF_PLANS)
            & ~place.isin(["U1", "U4"]) & ~cur["has_match"], cur["plan_began"]),
        4: (place.isin(FOSTER_PLACE) & over(cur["placement_start"], 12), cur["placement_start"]),
        5: ((place == "P1").fillna(False) & over(cur["placement_start"], 12), cur["placement_start"]),
        6: (place.isin(EXTERNAL_RES_PLACE) & cur["placement_provider"].isin(EXTERNAL_PROVIDER)
            & over(cur["placement_start"], 12), cur["placement_start"]),
    }
    parts = []
    for cid, (mask, start) in cohort.items():  # six cohorts, not a loop over children
        part = cur.loc[mask.astype(bool)].copy()
        part["cohort_id"] = cid
        part["cohort_name"] = COHORT_NAMES[cid]
        part["condition_start"] = start[mask.astype(bool)]
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["as_at_date"] = out["on_date"]
    out["months_in_condition"] = whole_months(out["condition_start"], out["as_at_date"])
    cols = ["la_code", "as_at_date", "cohort_id", "cohort_name", "child_id", "condition_start",
            "months_in_condition", "legal_status", "placement_type", "placement_provider"]
    return out[cols].sort_values(["la_code", "cohort_id", "child_id"]).reset_index(drop=True)


def spg_cohort_summary(cohort_children: pd.DataFrame) -> pd.DataFrame:
    out = (cohort_children.groupby(["la_code", "as_at_date", "cohort_id", "cohort_name"], as_index=False)
           .agg(children=("child_id", "nunique")))
    return out.sort_values(["la_code", "cohort_id"]).reset_index(drop=True)


# --------------------------------------------------------------------------- adoption


def adoption_timeliness(episodes: pd.DataFrame, ad1: pd.DataFrame, as_at: dt.date | None = None,
                        built: pd.DataFrame | None = None) -> pd.DataFrame:
    ep = build_episodes(episodes, as_at) if built is None else built
    periods = periods_of_care(episodes, as_at, built=ep)
    adopted = periods[~periods["ends_on_short_break"] & periods["period_end"].notna()
                      & periods["reason_ceased"].isin(["E11", "E12"])]
    adopted = adopted[CHILD + ["period_no", "period_start", "period_end"]].copy()
    keys = CHILD + ["period_no"]
    e = ep.merge(adopted[keys], on=keys)

    adoptive = e[e["placement_type"].isin(ADOPTIVE_PLACE)].drop_duplicates(keys, keep="first")
    adoptive = adoptive[keys + ["episode_start_date", "placement_start"]].rename(
        columns={"episode_start_date": "date_moved_in_with_adopters", "placement_start": "adoptive_carer_start"})
    court = e[e["legal_status"].isin(["E1", "D1"])].drop_duplicates(keys, keep="first")
    court = court[keys + ["episode_start_date"]].rename(columns={"episode_start_date": "date_court_authority"})

    a = ad1[CHILD + ["adoption_match_date", "adopted_by_foster_carer"]].drop_duplicates(CHILD).copy()
    a = a.merge(as_at_dates(episodes, as_at), on="la_code")
    a["date_match"] = _dates(a["adoption_match_date"]).where(_dates(a["adoption_match_date"]) <= a["as_at_date"])
    a["by_foster_carer"] = a["adopted_by_foster_carer"].astype(object).astype(str).str.strip().eq("1")

    t = (adopted.merge(adoptive, on=keys, how="left").merge(court, on=keys, how="left")
         .merge(a[CHILD + ["date_match", "by_foster_carer"]], on=CHILD, how="left"))
    t["by_foster_carer"] = t["by_foster_carer"].fillna(False).astype(bool)
    t["collection_year"] = collection_year(t["period_end"])
    t["date_entered_care"] = t["period_start"]
    t["date_placed_for_adoption"] = t["date_moved_in_with_adopters"]
    t["a1_days"] = _days(t["date_moved_in_with_adopters"] - t["period_start"])
    a10_end = t["adoptive_carer_start"].where(t["by_foster_carer"], t["date_moved_in_with_adopters"])
    t["a10_days"] = _days(a10_end - t["period_start"])
    a2 = _days(t["date_match"] - t["date_court_authority"])
    t["a2_days"] = a2.clip(lower=0)
    cols = ["la_code", "child_id", "collection_year", "date_entered_care", "date_placed_for_adoption",
            "date_moved_in_with_adopters", "date_court_authority", "date_match", "a1_days", "a2_days",
            "a10_days", "period_end"]
    return t[cols].sort_values(["la_code", "collection_year", "child_id"]).reset_index(drop=True)


def _score(t: pd.DataFrame, by: list[str], suffix: str = "") -> pd.DataFrame:
    t = t.assign(a1=t["a1_days"].astype(float), a2=t["a2_days"].astype(float), a10=t["a10_days"].astype(float))
    t["a1_in_time_pct"] = 100.0 * (t["a1"] < A1_THRESHOLD).astype(float).where(t["a1"].notna())  # shares 0-100
    out = t.groupby(by, as_index=False).agg(
        children_adopted=("child_id", "nunique"), a1_mean=("a1", "mean"), a2_mean=("a2", "mean"),
        a10_mean=("a10", "mean"), a3_share=("a1_in_time_pct", "mean"))
    if suffix:
        out = out.drop(columns="children_adopted").rename(
            columns={c: c + suffix for c in ("a1_mean", "a2_mean", "a10_mean", "a3_share")})
    return out


def adoption_scorecard(timeliness: pd.DataFrame) -> pd.DataFrame:
    t = timeliness.copy()
    t["year_start"] = t["collection_year"].str[:4].astype(int)
    by_year = _score(t, ["la_code", "collection_year"])
    # pooled three years: each adoption counts towards its own year and the two following ones
    shifted = pd.concat([t.assign(target=t["year_start"] + k) for k in range(3)], ignore_index=True)
    shifted["collection_year"] = year_label(shifted["target"])
    shifted = shifted.merge(by_year[["la_code", "collection_year"]], on=["la_code", "collection_year"])
    pooled = _score(shifted, ["la_code", "collection_year"], suffix="_3yr")
    out = by_year.merge(pooled, on=["la_code", "collection_year"], how="left")
    return out.sort_values(["la_code", "collection_year"]).reset_index(drop=True)


# The stage gaps of adoption_pipeline (name, from, to), in the mart's order.
PIPELINE_GAPS = [
    ("entry_to_decision", "date_entered_care", "date_decision"),
    ("decision_to_placement_order", "date_decision", "date_placement_order"),
    ("placement_order_to_match", "date_placement_order", "date_match"),
    ("decision_to_match", "date_decision", "date_match"),
    ("match_to_placed", "date_match", "date_placed_for_adoption"),
    ("entry_to_placed", "date_entered_care", "date_placed_for_adoption"),
    ("placed_to_adopted", "date_placed_for_adoption", "date_adopted"),
    ("entry_to_adopted", "date_entered_care", "date_adopted"),
]


def adoption_pipeline(timeliness: pd.DataFrame, ad1: pd.DataFrame, episodes: pd.DataFrame,
                      as_at: dt.date | None = None) -> pd.DataFrame:
    """Stage gaps per LA and year of adoption from the 903 alone: the dates of adoption_timeliness
    (entry, first E1/D1, AD1 match, first A3-A6, period end) and AD1 DATE_INT (the decision, if on or
    before D) and DOB. A later stage that came first makes the gap 0; a missing date leaves the
    child out of that gap; means and medians over the children with both dates. (The mart also
    takes dates from PlacedAdoption and the permanence extract where the 903 has none: not here.)"""
    t = timeliness.copy()
    a = ad1[CHILD + ["adoption_decision_date", "birth_month"]].drop_duplicates(CHILD).copy()
    a = a.merge(as_at_dates(episodes, as_at), on="la_code")
    decision = _dates(a["adoption_decision_date"])
    a["date_decision"] = decision.where(decision <= a["as_at_date"])
    a["birth_month"] = _dates(a["birth_month"])
    t = t.merge(a[CHILD + ["date_decision", "birth_month"]], on=CHILD, how="left")
    t["date_placement_order"] = t["date_court_authority"]
    t["date_adopted"] = t["period_end"]
    aggs = {"children_adopted": ("child_id", "size")}
    for name, start, end in PIPELINE_GAPS:
        t[f"{name}_days"] = _days(_dates(t[end]) - _dates(t[start])).clip(lower=0).astype(float)
        aggs[f"{name}_children"] = (f"{name}_days", "count")
        aggs[f"{name}_mean_days"] = (f"{name}_days", "mean")
        aggs[f"{name}_median_days"] = (f"{name}_days", "median")
    t["age_months"] = whole_months(t["birth_month"], t["date_adopted"]).astype(float)
    aggs["mean_age_at_adoption_months"] = ("age_months", "mean")
    out = t.groupby(["la_code", "collection_year"], as_index=False).agg(**aggs)
    return out.sort_values(["la_code", "collection_year"]).reset_index(drop=True)


# --------------------------------------------------------------------------- stability


def placement_stability(episodes: pd.DataFrame, header: pd.DataFrame, as_at: dt.date | None = None,
                        built: pd.DataFrame | None = None) -> pd.DataFrame:
    ep = build_episodes(episodes, as_at) if built is None else built
    las = as_at_dates(episodes, as_at)
    first_year = ep.groupby("la_code", as_index=False).agg(first=("episode_start_date", "min"))
    first_year["first"] = collection_year_start(first_year["first"])
    years = las.merge(first_year, on="la_code")
    years["last"] = collection_year_start(years["as_at_date"]) - 1  # last year whose 31 March <= D
    # a D on 31 March closes its own year
    on_31_march = (years["as_at_date"].dt.month == 3) & (years["as_at_date"].dt.day == 31)
    years.loc[on_31_march, "last"] += 1
    span = years.assign(year_start=[np.arange(f, l + 1) for f, l in zip(years["first"], years["last"])])
    span = span.explode("year_start").dropna(subset=["year_start"])
    span["year_start"] = span["year_start"].astype(int)
    span["on_date"] = pd.to_datetime(dict(year=span["year_start"] + 1, month=3, day=31)).astype("datetime64[ns]")
    span["year_from"] = pd.to_datetime(dict(year=span["year_start"], month=4, day=1)).astype("datetime64[ns]")
    span = span[["la_code", "year_start", "on_date", "year_from"]]

    cur = current_episodes(ep, span, key=["year_start"])
    cur = cur[~cur["legal_status"].isin(SHORT_BREAK)].copy()

    # placements during the year (carer level, non-short-break periods, not temporary)
    pl_last = ep.drop_duplicates(CHILD + ["placement_no"], keep="last")
    pl = pl_last[CHILD + ["placement_no", "placement_start", "placement_first_place", "is_short_break_period"]].copy()
    pl["placement_end"] = pl_last["episode_end_date"].values
    pl = pl[~pl["is_short_break_period"] & ~pl["placement_first_place"].isin(TEMPORARY_PLACE)]
    pl = pl.merge(cur[CHILD + ["year_start", "on_date", "year_from"]], on=CHILD)
    open_at_start = (pl["placement_start"] <= pl["year_from"]) & (
        pl["placement_end"].isna() | (pl["placement_end"] > pl["year_from"]))
    started_in = (pl["placement_start"] >= pl["year_from"]) & (pl["placement_start"] <= pl["on_date"])
    counts = (pl[open_at_start | started_in].groupby(CHILD + ["year_start"], as_index=False)
              .agg(placements=("placement_no", "nunique")))
    cur = cur.merge(counts, on=CHILD + ["year_start"], how="left")
    cur["placements"] = cur["placements"].fillna(0)

    # long-term
    hdr = header[CHILD + ["birth_month"]].drop_duplicates(CHILD).copy()
    hdr["birth_month"] = _dates(hdr["birth_month"])
    cur = cur.merge(hdr, on=CHILD, how="left")
    e_year = cur["on_date"].dt.year
    period_cutoff = pd.to_datetime(dict(year=e_year - 3, month=9, day=30)).astype("datetime64[ns]")
    placement_cutoff = pd.to_datetime(dict(year=e_year - 2, month=3, day=31)).astype("datetime64[ns]")
    under_16 = (add_months(cur["birth_month"], 16 * 12) > cur["on_date"]).fillna(False).astype(bool)
    eligible = under_16 & (cur["period_start"] <= period_cutoff)

    prev_pl = pl_last[CHILD + ["placement_no", "placement_start"]].copy()
    prev_pl["placement_no"] += 1
    prev_pl = prev_pl.rename(columns={"placement_start": "previous_placement_start"})
    cur = cur.merge(prev_pl, on=CHILD + ["placement_no"], how="left")
    placement_is_first = cur["placement_start"] == cur["period_start"]
    use_previous = (cur["placement_type"].isin(ADOPTIVE_PLACE) & cur["placement_first_rne"].isin(["P", "B"])
                    & ~placement_is_first & cur["previous_placement_start"].notna())
    effective_start = cur["previous_placement_start"].where(use_previous, cur["placement_start"])
    stable = eligible & (effective_start <= placement_cutoff)

    cur = cur.assign(three=(cur["placements"] >= 3), eligible=eligible, stable=stable)
    out = cur.groupby(["la_code", "year_start"], as_index=False).agg(
        cla_at_31_march=("child_id", "nunique"), three_plus_placements=("three", "sum"),
        long_term_eligible=("eligible", "sum"), long_term_stable=("stable", "sum"))
    out["collection_year"] = year_label(out["year_start"])
    out = out[["la_code", "collection_year", "cla_at_31_march", "three_plus_placements",
               "long_term_eligible", "long_term_stable"]]
    for c in out.columns[2:]:
        out[c] = out[c].astype(int)
    return out.sort_values(["la_code", "collection_year"]).reset_index(drop=True)


# --------------------------------------------------------------------------- plan by second review


def permanence_plan_by_second_review(episodes: pd.DataFrame, reviews: pd.DataFrame, care_plans: pd.DataFrame,
                                     as_at: dt.date | None = None, built: pd.DataFrame | None = None) -> pd.DataFrame:
    """Periods started in a year (first episode not a short break) and due a second review on D;
    met when the plan current at the second review (the latest dated on or before it, not ended
    before the period began) is a permanence plan. Due: 3 months after the first review, else after
    the 20th working day from the start (numpy's business days, from the Friday before a weekend
    start); counted when the second review was held or the period lasted past the due date, which
    is before D. LAs without a care plan extract are left out."""
    ep = build_episodes(episodes, as_at) if built is None else built
    keys = CHILD + ["period_no"]
    first = ep.drop_duplicates(keys, keep="first")
    periods = first.loc[~first["legal_status"].isin(SHORT_BREAK), keys + ["period_start", "as_at_date"]]
    periods = periods.merge(ep.drop_duplicates(keys, keep="last")[keys + ["episode_end_date"]], on=keys)
    periods = periods.rename(columns={"episode_end_date": "period_end"})
    periods = periods[periods["la_code"].isin(set(care_plans["la_code"]))]

    r = periods.merge(reviews[CHILD + ["review_date"]].assign(review_date=lambda f: _dates(f["review_date"])), on=CHILD)
    r = r[(r["review_date"] >= r["period_start"]) & (r["review_date"] <= r["as_at_date"])
          & (r["period_end"].isna() | (r["review_date"] <= r["period_end"]))]
    r = r.sort_values(keys + ["review_date"])
    r["n"] = r.groupby(keys).cumcount() + 1
    for n, name in ((1, "first_review"), (2, "second_review")):
        periods = periods.merge(r.loc[r["n"] == n, keys + ["review_date"]].rename(columns={"review_date": name}),
                                on=keys, how="left")
    start = periods["period_start"].values.astype("datetime64[D]")
    twentieth = pd.Series(np.busday_offset(start, 20, roll="backward").astype("datetime64[ns]"), index=periods.index)
    periods["due"] = add_months(periods["first_review"].fillna(twentieth), 3)
    held = periods["second_review"].notna()
    lasted = periods["period_end"].isna() | (periods["period_end"] >= periods["due"])
    due = periods[held | ((periods["due"] < periods["as_at_date"]) & lasted)].copy()

    plans = care_plans.assign(care_plan_start_date=lambda f: _dates(f["care_plan_start_date"]),
                              care_plan_end_date=lambda f: _dates(f["care_plan_end_date"]))
    m = due.merge(plans, on=CHILD)
    m = m[(m["care_plan_start_date"] <= m["second_review"])
          & (m["care_plan_end_date"].isna() | (m["care_plan_end_date"] >= m["period_start"]))]
    m = m.sort_values(keys + ["care_plan_start_date", "extract_date", "source_row"]).drop_duplicates(keys, keep="last")
    due = due.merge(m[keys + ["permanence_plan"]], on=keys, how="left")
    due["met"] = due["permanence_plan"].isin(PERMANENCE_PLANS)
    due["overdue"] = due["second_review"].isna()
    due["collection_year"] = collection_year(due["period_start"])
    out = (due.groupby(["la_code", "collection_year"], as_index=False)
           .agg(periods_due_second_review=("met", "size"), plan_by_second_review=("met", "sum"),
                second_review_overdue=("overdue", "sum")))
    return out.sort_values(["la_code", "collection_year"]).reset_index(drop=True)


# --------------------------------------------------------------------------- everything


def all_measures(staging: dict[str, pd.DataFrame], as_at: dt.date | None = None) -> dict[str, pd.DataFrame]:
    """Every mart from the staging frames keyed by view name (stg_ssda903__episodes, ...)."""
    episodes = staging["stg_ssda903__episodes"]
    built = build_episodes(episodes, as_at)
    periods = periods_of_care(episodes, as_at, built=built)
    children = spg_cohort_children(episodes, staging["stg_extras__no_parental_responsibility"],
                                   staging["stg_extras__cla_care_plan"], staging["stg_extras__permanence"],
                                   as_at, built=built)
    timeliness = adoption_timeliness(episodes, staging["stg_ssda903__ad1"], as_at, built=built)
    return {
        "periods_of_care": periods,
        "exits_by_year": exits_by_year(periods),
        "exits_by_reason": exits_by_reason(periods),
        "reentry_by_previous_exit": reentry_by_previous_exit(periods),
        "duration_in_care": duration_in_care(periods),
        "reentry": reentry(periods),
        "spg_cohort_children": children,
        "spg_cohort_summary": spg_cohort_summary(children),
        "adoption_timeliness": timeliness,
        "adoption_scorecard": adoption_scorecard(timeliness),
        "adoption_pipeline": adoption_pipeline(timeliness, staging["stg_ssda903__ad1"], episodes, as_at),
        "placement_stability": placement_stability(episodes, staging["stg_ssda903__header"], as_at, built=built),
        "permanence_plan_by_second_review": permanence_plan_by_second_review(
            episodes, staging["stg_ssda903__reviews"], staging["stg_extras__cla_care_plan"], as_at, built=built),
    }
