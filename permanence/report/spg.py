"""The quarterly report's Securing Permanence Group sections (issue 17 point 5): movement between the
cohorts, the drift watchlist's counts, the group's overdue actions, and cost.

Each function takes the report's `_Data` (the restricted copy, small numbers suppressed here as in
the other sections), the LA and the quarter, and returns the section's HTML; a mart that is not there
gives "not available" with the reason, never an empty table or a 0.
"""

from __future__ import annotations

import pandas as pd

from permanence.report import _e, _fmt, not_available, table
from permanence.report.disclosure import SUPPRESSED

SOURCE_SPG = "the council's SSDA903 records and care plan, permanence and care proceedings extracts"
ILLUSTRATIVE_NOTE = ("ILLUSTRATIVE: these costs use the placeholder unit costs and allowances shipped with the "
                     "pipeline, not the council's own figures; they show the method, not the council's spend.")


def _has(d, *marts: str) -> str | None:
    missing = [m for m in marts if m not in d.marts]
    return f"the mart {', '.join(missing)} has not been built" if missing else None


def _financial(q) -> tuple[str, int]:
    """The quarter's financial year label and quarter number (April-June is Q1)."""
    return q.collection_year, (q.start.month - 4) % 12 // 3 + 1


def movement(d, la: str, q) -> str:
    why = _has(d, "spg_cohort_movement", "spg_cohort_summary")
    if why:
        return not_available("Movement between the SPG cohorts", why)
    moves = d.df("""select to_date, from_date, cohort_id, cohort_name, movement, reason, children
                    from marts.spg_cohort_movement where la_code = ? and to_date between ? and ?""",
                 [la, q.start, q.end])
    if moves.empty:
        return not_available("Movement between the SPG cohorts", "no month end of the quarter in the records' history")
    start, end = moves["from_date"].min(), moves["to_date"].max()
    stock = d.df("""select as_at_date, cohort_id, cohort_name, children, incomplete_reason from marts.spg_cohort_summary
                    where la_code = ? and as_at_date in (?, ?)""", [la, start, end])
    names = stock.drop_duplicates("cohort_id").set_index("cohort_id")["cohort_name"].sort_index()
    counted = moves[moves["movement"] != "not available"]
    flows = counted.pivot_table(index="cohort_id", columns="movement", values="children", aggfunc="sum")
    tab = pd.DataFrame(index=names.index)
    tab["Start"] = stock[stock["as_at_date"] == start].set_index("cohort_id")["children"]
    tab["Joined"] = flows.get("joined", pd.Series(dtype=float))
    tab["Left"] = flows.get("left", pd.Series(dtype=float))
    tab["End"] = stock[stock["as_at_date"] == end].set_index("cohort_id")["children"]
    unknown = stock[stock["children"].isna()].drop_duplicates("cohort_id").set_index("cohort_id")["incomplete_reason"]
    tab[["Joined", "Left"]] = tab[["Joined", "Left"]].fillna(0)
    tab = d.hide.table(tab, counts=["Start", "Joined", "Left", "End"])
    for c, reason in unknown.items():  # a cohort the extracts cannot count is said so, never a 0
        tab.loc[c, ["Start", "Joined", "Left", "End"]] = str(reason or "not available")
    tab.insert(0, "Cohort", [f"{c} {names[c]}" for c in tab.index])
    # start + joined - left = end: one hidden cell of the four could be worked out from the other three
    for c in tab.index:
        _hide_another(tab, c, ["Start", "Joined", "Left", "End"], ["Joined", "Left"])
    # reasons over all cohorts (a child counted in each cohort it joined or left), in the same way
    reasons = counted.groupby(["movement", "reason"])["children"].sum().unstack("movement").fillna(0)
    reasons = reasons.reindex(columns=["joined", "left"], fill_value=0)
    reasons = d.hide.table(reasons, counts=["joined", "left"])
    for col in ("joined", "left"):
        _hide_another_in_column(reasons, col)
    reasons = reasons.rename(columns={"joined": "Joined", "left": "Left"})
    reasons.insert(0, "Why", reasons.index)
    return (f"<p>Children joining and leaving each SPG cohort between {_fmt(start)} and {_fmt(end)}, from the "
            "cohort rules applied at each month end. A child who moves from one cohort to another leaves one "
            "and joins the other; 'aged out' is a child who left care at 18. Source: " + _e(SOURCE_SPG) + ".</p>"
            + table(tab, 0, caption="Children in each SPG cohort at the start and end of the quarter, and the flow")
            + (table(reasons, 0, caption="Why children joined or left the cohorts in the quarter (all cohorts)")
               if len(reasons) else '<p class="na">No child joined or left a cohort in the quarter.</p>'))


def _hidden(v) -> bool:
    return isinstance(v, str) and v == SUPPRESSED


def _hide_another(tab: pd.DataFrame, row, cells: list[str], candidates: list[str]) -> None:
    """Cells that add up (start + joined - left = end): one alone hidden could be worked out from the
    others, so the smallest other candidate is hidden too (secondary suppression)."""
    if sum(_hidden(tab.at[row, c]) for c in cells) != 1:
        return
    shown = [c for c in candidates if not _hidden(tab.at[row, c]) and not isinstance(tab.at[row, c], str)]
    if shown:
        tab.at[row, min(shown, key=lambda c: tab.at[row, c])] = SUPPRESSED


def _hide_another_in_column(tab: pd.DataFrame, col: str) -> None:
    """A column adding up to a total shown elsewhere: never exactly one hidden cell (see _hide_another)."""
    if sum(_hidden(v) for v in tab[col]) != 1:
        return
    shown = [r for r in tab.index if not _hidden(tab.at[r, col]) and tab.at[r, col] > 0]
    if shown:
        tab.at[min(shown, key=lambda r: tab.at[r, col]), col] = SUPPRESSED


def watchlist(d, la: str, q) -> str:
    why = _has(d, "spg_drift_watchlist_summary")
    if why:
        return not_available("Drift watchlist", why)
    df = d.df("""select as_at_date, rule_id, rule, children, children_incomplete, longest_days_past_threshold,
                        incomplete_reason
                 from marts.spg_drift_watchlist_summary where la_code = ? order by rule_id""", [la])
    if df.empty:
        return not_available("Drift watchlist", "no watchlist for this LA")
    on = df["as_at_date"].iloc[0]
    tab = d.hide.table(df.drop(columns=["as_at_date", "rule_id"]),
                       counts=["children", "children_incomplete"],
                       resting={"longest_days_past_threshold": ["children"]})
    na = df["children"].isna()
    tab.loc[na, "children"] = df.loc[na, "incomplete_reason"].fillna("not available")
    tab = tab.rename(columns={"rule": "Rule", "children": "Children", "children_incomplete": "Of whom days are lower bounds",
                              "longest_days_past_threshold": "Longest overdue (days)", "incomplete_reason": "Note"})
    when = ("" if q.start <= pd.Timestamp(on).date() <= q.end else
            " The watchlist is as at the latest records, not the quarter's end.")
    return (f"<p>Children whose plan is drifting on {_fmt(on)}, by rule; the named children are in the SPG tracker "
            f"(restricted).{_e(when)} Source: {_e(SOURCE_SPG)}.</p>"
            + table(tab, 0, caption=f"Children on the drift watchlist on {pd.Timestamp(on):%d/%m/%Y}"))


def actions_overdue(d, la: str, q) -> str:
    """The SPG's open actions past their due date at the quarter's end (D if sooner), from the tracker workbooks imported into the
    restricted actions store (`permanence tracker import`). An LA that never imported one by D has no
    count ("not available" with the reason), never a 0."""
    from permanence.tracker.actions import STORE_NAME, actions_overdue as overdue

    if d.reporting_date is None:
        return not_available("SPG actions overdue", "no reporting date for this LA")
    # a past quarter is judged at its end, as the actions stood then; the current one at D
    on = min(q.end, pd.Timestamp(d.reporting_date).date())
    counts = overdue(d.path.parent / STORE_NAME, on, la)
    if la not in counts:
        return not_available("SPG actions overdue",
                             "no SPG tracker with the group's actions has been imported for this LA by "
                             f"{_fmt(on)} (permanence tracker import)")
    n = counts[la]
    # a count of 1 to 5 actions is as disclosive as a count of children: shown as "c"
    shown = SUPPRESSED if d.hide.small(pd.Series([n])).iloc[0] else n
    return (f"<p>Actions the group recorded in the SPG tracker that were still open past their due date on "
            f"{_fmt(on)}: <strong>{_e(str(shown))}</strong>. Open means a due date is set and the status is "
            f"neither done nor dropped; the actions themselves are in the tracker (restricted).</p>")


def _money(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = df.copy()
    for c in cols:
        out[c] = out[c].round(0)
    return out


def cost(d, la: str, q) -> str:
    why = _has(d, "placement_cost_by_cohort_quarter", "cost_avoided_by_quarter")
    if why:
        return not_available("Placement cost", why)
    fy, fq = _financial(q)
    place = d.df("""select cohort_id, cohort_name, children_at_quarter_end, children_costed_at_quarter_end,
                           children_in_quarter, children_in_year_to_date, weekly_cost_at_quarter_end_gbp,
                           quarter_cost_gbp, year_to_date_cost_gbp, illustrative, unit_cost_sources,
                           unit_costs_effective_from, unit_costs_latest_effective_from, cost_note, partial
                    from marts.placement_cost_by_cohort_quarter
                    where la_code = ? and financial_year = ? and financial_quarter = ? order by cohort_id""", [la, fy, fq])
    avoided = d.df("""select exit_route, children, weekly_placement_cost_gbp, weekly_allowance_gbp, weekly_cost_avoided_gbp,
                             annual_cost_avoided_gbp, illustrative, allowance_sources, allowances_effective_from, cost_note
                      from marts.cost_avoided_by_quarter
                      where la_code = ? and financial_year = ? and financial_quarter = ? order by exit_route""", [la, fy, fq])
    if place.empty and avoided.empty:
        return not_available("Placement cost", f"no costs for {fy}-Q{fq} in the records' history")
    illustrative = bool(place["illustrative"].any() or avoided["illustrative"].any())
    out = [f'<p class="partial"><strong>{_e(ILLUSTRATIVE_NOTE)}</strong></p>' if illustrative else ""]
    if not place.empty:
        p = _money(place, ["weekly_cost_at_quarter_end_gbp", "quarter_cost_gbp", "year_to_date_cost_gbp"])
        p = d.hide.table(p, counts=["children_at_quarter_end", "children_costed_at_quarter_end", "children_in_quarter",
                                    "children_in_year_to_date"],
                         resting={"weekly_cost_at_quarter_end_gbp": ["children_costed_at_quarter_end"],
                                  "quarter_cost_gbp": ["children_in_quarter"],
                                  "year_to_date_cost_gbp": ["children_in_year_to_date"]})
        p.insert(0, "Cohort", [f"{c} {n}" for c, n in zip(place["cohort_id"], place["cohort_name"])])
        p = p[["Cohort", "children_at_quarter_end", "weekly_cost_at_quarter_end_gbp", "quarter_cost_gbp",
               "year_to_date_cost_gbp", "cost_note"]].rename(columns={
            "children_at_quarter_end": "Children at quarter end", "weekly_cost_at_quarter_end_gbp": "Weekly cost £",
            "quarter_cost_gbp": "Quarter cost £", "year_to_date_cost_gbp": "Year to date £", "cost_note": "Note"})
        sources = "; ".join(sorted({s for v in place["unit_cost_sources"].dropna() for s in str(v).split("; ")}))
        eff = (f"{_fmt(place['unit_costs_effective_from'].min())} to {_fmt(place['unit_costs_latest_effective_from'].max())}"
               if place["unit_costs_effective_from"].notna().any() else "none used")
        partial = " The quarter has not ended: its cost runs to the reporting date." if place["partial"].any() else ""
        out.append(f"<p>Estimated placement cost of the children in each SPG cohort in financial quarter {_e(fy)}-Q{fq}, "
                   "and from 1 April: each month end's cohort children priced at the weekly unit cost of their placement "
                   "in force on that date, for the days of the month. A child in two cohorts is priced in each, so the "
                   f"cohorts must not be added up.{_e(partial)} A cost that cannot be known is left blank with the reason, "
                   f"never shown as 0. Unit costs in force from {eff}; their sources: {_e(sources or 'none')}.</p>")
        out.append(table(p, 0, caption=f"Placement cost by SPG cohort, {fy}-Q{fq}"
                                       + (" (ILLUSTRATIVE unit costs)" if place["illustrative"].any() else "")))
    if not avoided.empty:
        a = _money(avoided, ["weekly_placement_cost_gbp", "weekly_allowance_gbp", "weekly_cost_avoided_gbp",
                             "annual_cost_avoided_gbp"])
        a = d.hide.table(a, counts=["children"], resting={c: ["children"] for c in (
            "weekly_placement_cost_gbp", "weekly_allowance_gbp", "weekly_cost_avoided_gbp", "annual_cost_avoided_gbp")})
        a = a[["exit_route", "children", "weekly_placement_cost_gbp", "weekly_allowance_gbp", "weekly_cost_avoided_gbp",
               "annual_cost_avoided_gbp", "cost_note"]].rename(columns={
            "exit_route": "Left care by", "children": "Children", "weekly_placement_cost_gbp": "Placement left £/week",
            "weekly_allowance_gbp": "Allowance £/week", "weekly_cost_avoided_gbp": "Avoided £/week",
            "annual_cost_avoided_gbp": "Avoided £/year (full-year effect)", "cost_note": "Note"})
        sources = "; ".join(sorted({s for v in avoided["allowance_sources"].dropna() for s in str(v).split("; ")}))
        out.append("<p>Cost avoided when children left care in the quarter by adoption, special guardianship, a child "
                   "arrangements order or return home: the weekly unit cost of the care placement each left, less the "
                   "council's weekly allowance for that route; the full-year effect is 52 weeks of it. Allowances' "
                   f"sources: {_e(sources or 'none used')}.</p>")
        out.append(table(a, 0, caption=f"Cost avoided by children leaving care to permanence, {fy}-Q{fq}"
                                       + (" (ILLUSTRATIVE unit costs and allowances)" if avoided["illustrative"].any() else "")))
    return "".join(out)
