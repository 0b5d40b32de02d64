"""The SPG tracker workbook: one sheet per priority cohort listing its children, and a summary sheet.

    from permanence.tracker import write_tracker
    write_tracker(published_db, Path("spg-tracker.xlsx"))                      # pseudonyms only
    write_tracker(published_db, out, reveal=reveal_map(key, drop_folder, "894"))  # adds the CMS id

Reads `marts.spg_cohort_children` and `marts.spg_cohort_summary` (and `marts.targets` when it is
there) from the published copy, so it never waits for, or blocks, the nightly build.

Spreadsheet safety: every text cell is written with an explicit string type, so a value starting
with `=`, `+`, `-` or `@` stays text and never becomes a formula (CSV/formula injection); dates are
real dates with a date format; the header row is frozen, filters are on and widths are set.
The CMS id appears only when the user asks (`--reveal-ids`) and supplies the key and the drop.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

COHORT_SHEETS = {
    1: "1 No one holds PR",
    2: "2 Placement order 9m+",
    3: "3 LTF plan no match",
    4: "4 Foster carers 12m+",
    5: "5 Home with parents 12m+",
    6: "6 External resi 12m+",
}

# (header, column in spg_cohort_children or computed, kind, width)
COLUMNS = [
    ("Child (pseudonym)", "child_id", "text", 20),
    ("LA", "la_code", "text", 6),
    ("As at", "as_at_date", "date", 11),
    ("Legal status", "legal_status", "text", 8),
    ("Placement", "placement_type", "text", 9),
    ("Provider", "placement_provider", "text", 8),
    ("Detail", "cohort_detail", "text", 26),
    ("In condition since", "condition_start", "date", 12),
    ("Days in condition", "days_in_condition", "int", 10),
    ("Months in condition", "months_in_condition", "int", 10),
    ("Age", "age_on_as_at_date", "int", 5),
    ("Period of care start", "period_start", "date", 12),
    ("Placement start", "placement_start", "date", 12),
    ("Legal status since", "legal_status_span_start", "date", 12),
    ("Permanence plan", "permanence_plan", "text", 12),
    ("Plan date", "care_plan_start_date", "date", 12),
    ("ADM decision", "adm_decision_date", "date", 12),
    ("Placement order", "placement_order_date", "date", 12),
    ("Matched", "matched_date", "date", 12),
    ("Placed for adoption", "placed_for_adoption_date", "date", 12),
    ("Decision reversed", "decision_reversed_date", "date", 12),
    ("Last review", "latest_review_date", "date", 12),
    ("Reviews this period", "reviews_this_period", "int", 9),
]
DATE_FORMAT = "dd/mm/yyyy"
REVEAL_WARNING = (
    "This workbook contains CMS child identifiers: it is personal data. Keep it on the council's "
    "secure network, share it only with the SPG, and delete it after the meeting."
)


def reveal_map(key: bytes, drop_folder: Path, la_code: str) -> dict[str, str]:
    """pseudonym -> CMS id, by re-hashing the CHILD ids of the drop with the key."""
    from permanence.pseudonymise import pseudonym
    from permanence.readers import read_drop

    frames, _issues = read_drop(Path(drop_folder))
    ids: set[str] = set()
    for f in frames:
        for col in f.table.columns:
            if col.kind == "child_id" and col.name in f.frame.columns:
                ids |= {str(v).strip() for v in f.frame[col.name].dropna() if str(v).strip()}
    return {pseudonym(key, la_code, i): i for i in ids}


def _read(db: Path, la_code: str | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    where = "where la_code = ?" if la_code else ""
    params = [la_code] if la_code else []
    with duckdb.connect(str(db), read_only=True) as con:
        children = con.execute(f"select * from marts.spg_cohort_children {where} "
                               "order by cohort_id, la_code, condition_start, child_id", params).df()
        summary = con.execute(
            f"select * from marts.spg_cohort_summary {'where' if not la_code else where + ' and'} is_current "
            "order by la_code, cohort_id", params).df()
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
        targets = None
        if "targets" in tables:
            targets = con.execute(
                f"select * from marts.targets {where}", params).df()
            targets = targets[targets["measure"].astype(str).str.match(r"cohort_\d_children")]
    return children, summary, targets


def _as_date(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    return None


def _put(ws, row: int, col: int, value, kind: str):
    """Write one cell with an explicit type: text never becomes a formula."""
    cell = ws.cell(row=row, column=col)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return cell
    if kind == "date":
        d = _as_date(value)
        if d is not None:
            cell.value = d
            cell.number_format = DATE_FORMAT
        return cell
    if kind == "int":
        cell.value = int(value)
        return cell
    if kind == "num":
        cell.value = float(value)
        return cell
    cell.value = str(value)
    cell.data_type = "s"  # openpyxl would otherwise read a leading '=' as a formula
    return cell


def _sheet(wb, title: str, headers: list[tuple[str, str, int]], rows: list[list]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=title)
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")
    for c, (name, _kind, width) in enumerate(headers, start=1):
        cell = _put(ws, 1, c, name, "text")
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, values in enumerate(rows, start=2):
        for c, ((_name, kind, _w), v) in enumerate(zip(headers, values), start=1):
            _put(ws, r, c, v, kind)
    ws.freeze_panes = "B2"
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A1:{last}{max(1, len(rows) + 1)}"
    ws.row_dimensions[1].height = 32


def write_tracker(db: Path, out: Path, la_code: str | None = None, reveal: dict[str, str] | None = None,
                  run_label: str | None = None) -> Path:
    """Write the tracker workbook from the published copy (or any DuckDB file with the marts)."""
    from openpyxl import Workbook

    children, summary, targets = _read(db, la_code)
    children = children.copy()
    children["days_in_condition"] = [
        (pd.Timestamp(a) - pd.Timestamp(s)).days if pd.notna(a) and pd.notna(s) else None
        for a, s in zip(children["as_at_date"], children["condition_start"])
    ]
    cols = list(COLUMNS)
    if reveal is not None:
        children["cms_id"] = children["child_id"].map(reveal)
        cols.insert(1, ("CMS id", "cms_id", "text", 14))
    headers = [(h, kind, w) for h, _c, kind, w in cols]

    wb = Workbook()
    wb.remove(wb.active)
    # Summary: children per cohort against targets (marts.targets, when issue 4's reference data is loaded)
    target_by = {}
    if targets is not None and not targets.empty:
        for _, t in targets.sort_values("period").iterrows():
            cid = int(str(t["measure"]).split("_")[1])
            target_by[(str(t["la_code"]), cid)] = t
    srows = []
    for _, s in summary.iterrows():
        t = target_by.get((str(s["la_code"]), int(s["cohort_id"])))
        srows.append([
            s["la_code"], s["as_at_date"], int(s["cohort_id"]), s["cohort_name"], int(s["children"]),
            None if t is None or pd.isna(t["target"]) else float(t["target"]),
            "not available" if t is None else str(t["period"]),
            "not available" if t is None else str(t["status"]),
        ])
    _sheet(wb, "Summary", [("LA", "text", 6), ("As at", "date", 11), ("Cohort", "int", 7),
                           ("Cohort name", "text", 38), ("Children", "int", 9), ("Target", "num", 8),
                           ("Target date", "text", 11), ("Status (RAG)", "text", 12)], srows)
    ws = wb["Summary"]
    note_row = len(srows) + 3
    notes = [
        f"SPG tracker generated {dt.datetime.now():%d/%m/%Y %H:%M}" + (f" from {run_label}" if run_label else ""),
        "Counts are children (a child can be in several cohorts). Source: marts.spg_cohort_summary / "
        "marts.spg_cohort_children; targets: marts.targets (seed la_targets), 'not available' when not loaded.",
        "Children are identified by pseudonym." if reveal is None else REVEAL_WARNING,
    ]
    for i, n in enumerate(notes):
        _put(ws, note_row + i, 1, n, "text")
    for cid, title in COHORT_SHEETS.items():
        sub = children[children["cohort_id"] == cid]
        rows = [[r[c] for _h, c, _k, _w in cols] for _, r in sub.iterrows()]
        _sheet(wb, title, headers, rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    wb.save(tmp)
    tmp.replace(out)
    return out
