"""How a mart is compared with the independent computation (tests/reference_measures.py).

One definition serves the reconciliation tests (which fail on any difference) and the conformance
tool (bench/conformance.py, which counts the figures that agree on a real-shaped extract): the
keys and value columns of each mart, and a cell-by-cell comparison of the two frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Spec:
    keys: tuple[str, ...]
    exact: tuple[str, ...] = ()
    approx: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()

    @property
    def values(self) -> list[str]:
        return list(self.exact + self.approx + self.dates)


# The marts the reference computes, and what of each is compared. adoption_timeliness leaves out
# date_placed_for_adoption (no written definition); adoption_pipeline only the gaps whose dates
# come from the 903 alone in both.
SPECS: dict[str, Spec] = {
    "periods_of_care": Spec(("la_code", "child_id", "period_start"),
                            ("reason_ceased", "exit_route", "days_in_care", "is_short_break"), dates=("period_end",)),
    "exits_by_year": Spec(("la_code", "collection_year", "exit_route"), ("children",)),
    "exits_by_reason": Spec(("la_code", "collection_year", "reason_ceased"), ("exit_route", "permanence_exit", "children")),
    "reentry_by_previous_exit": Spec(("la_code", "collection_year", "exit_route"),
                                     ("children_exited", "reentered_within_12_months")),
    "duration_in_care": Spec(("la_code", "collection_year"), ("periods_ended",),
                             ("mean_days_in_care", "median_days_in_care")),
    "reentry": Spec(("la_code", "collection_year"), ("children_started", "reentries_within_12_months")),
    "adoption_timeliness": Spec(("la_code", "child_id", "collection_year", "date_entered_care"),
                                ("a1_days", "a2_days", "a10_days"),
                                dates=("date_moved_in_with_adopters", "date_court_authority", "date_match")),
    "adoption_scorecard": Spec(("la_code", "collection_year"), ("children_adopted",),
                               ("a1_mean", "a2_mean", "a10_mean", "a3_share",
                                "a1_mean_3yr", "a2_mean_3yr", "a10_mean_3yr", "a3_share_3yr")),
    "adoption_pipeline": Spec(("la_code", "collection_year"),
                              ("children_adopted", "entry_to_decision_children", "entry_to_adopted_children"),
                              ("entry_to_decision_mean_days", "entry_to_decision_median_days",
                               "entry_to_adopted_mean_days", "entry_to_adopted_median_days",
                               "mean_age_at_adoption_months")),
    "spg_cohort_children": Spec(("la_code", "as_at_date", "cohort_id", "child_id"),
                                ("months_in_condition", "legal_status", "placement_type", "placement_provider"),
                                dates=("condition_start",)),
    "spg_cohort_summary": Spec(("la_code", "as_at_date", "cohort_id"), ("children",)),
    "placement_stability": Spec(("la_code", "collection_year"),
                                ("cla_at_31_march", "three_plus_placements", "long_term_eligible", "long_term_stable")),
    "permanence_plan_by_second_review": Spec(("la_code", "collection_year"),
                                             ("periods_due_second_review", "plan_by_second_review",
                                              "second_review_overdue")),
}


def norm(df: pd.DataFrame, cols: list[str], dates: list[str]) -> pd.DataFrame:
    df = df.copy()
    for c in cols:
        if c not in df.columns:
            continue
        if c in dates or pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        elif pd.api.types.is_bool_dtype(df[c]):
            df[c] = df[c].astype(bool)
        elif pd.api.types.is_numeric_dtype(df[c]):
            df[c] = df[c].astype("Float64")
        else:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


@dataclass
class Comparison:
    """The outer merge of reference and mart on the keys, and per value column which rows agree."""
    spec: Spec
    merged: pd.DataFrame  # keys, <col>_ref, <col>_mart, _merge
    agree: dict[str, pd.Series]  # value column -> bool per row of `merged` (False where one side lacks the row)
    duplicates: dict[str, pd.DataFrame]  # side -> rows whose keys repeat

    @property
    def figures(self) -> int:
        """Value cells compared: each value column of each row that either side has."""
        return len(self.merged) * len(self.spec.values)

    @property
    def differing(self) -> int:
        return int(sum((~ok).sum() for ok in self.agree.values()))

    def rows_differing(self) -> pd.DataFrame:
        bad = pd.Series(False, index=self.merged.index)
        for ok in self.agree.values():
            bad |= ~ok
        return self.merged[bad]


def compare(ref: pd.DataFrame, mart: pd.DataFrame, spec: Spec) -> Comparison:
    keys, dates = list(spec.keys), list(spec.dates)
    cols = keys + spec.values
    missing = [c for c in cols if c not in mart.columns]
    if missing:
        raise KeyError(f"mart lacks columns {missing} (has {list(mart.columns)})")
    ref = norm(ref[cols], cols, dates)
    mart = norm(mart[cols], cols, dates)
    duplicates = {side: df[df.duplicated(keys, keep=False)] for side, df in (("reference", ref), ("mart", mart))}
    m = ref.merge(mart, on=keys, how="outer", suffixes=("_ref", "_mart"), indicator=True)
    both = m["_merge"] == "both"
    agree = {}
    for c in spec.values:
        a, b = m[f"{c}_ref"], m[f"{c}_mart"]
        same_na = a.isna() & b.isna()
        if c in spec.approx:
            same = ((a.astype(float) - b.astype(float)).abs() <= TOLERANCE).fillna(False).astype(bool)
        else:
            same = (a == b).fillna(False).astype(bool)
        agree[c] = (both & (same_na | same)).astype(bool)
    return Comparison(spec, m, agree, {k: v for k, v in duplicates.items() if len(v)})


def problems(ref: pd.DataFrame, mart: pd.DataFrame, spec: Spec, show: int = 15) -> list[str]:
    """What differs, for a test failure: duplicate keys, rows on one side only, differing cells."""
    keys = list(spec.keys)
    cmp = compare(ref, mart, spec)
    out = [f"{len(rows)} {side} rows with duplicate keys:\n{rows.head(show).to_string()}"
           for side, rows in cmp.duplicates.items()]
    m = cmp.merged
    for which, label, suffix in (("left_only", "only in the reference", "_ref"), ("right_only", "only in the mart", "_mart")):
        rows = m[m["_merge"] == which]
        if len(rows):
            out.append(f"{len(rows)} rows {label}:\n{rows[keys + [c + suffix for c in spec.values]].head(show).to_string()}")
    both = m["_merge"] == "both"
    for c, ok in cmp.agree.items():
        bad = m[both & ~ok]
        if len(bad):
            out.append(f"{len(bad)} rows differ in {c}:\n{bad[keys + [f'{c}_ref', f'{c}_mart']].head(show).to_string()}")
    return out
