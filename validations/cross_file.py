"""Rules across rows and files, set-wise in DuckDB: episode sequences, links between tables.

Every rule is one SQL query over whole tables (window functions per child, anti-joins between
files), never a Python loop per child: a region's 1.5 million episodes run in seconds.
Dates are parsed once per file (ExtractFrame.dates, the same strict parser as PERM-DATE), so a date
that failed its row rule is NULL here and the rules that need it skip the row.
A rule whose tables are not in the drop is skipped: every table is optional.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from permanence.extract import ROW, ExtractFrame, Issue
from validations.rules import rule

_EPISODE_COLUMNS = ["CHILD", "DECOM", "DEC", "RNE", "LS", "PLACE", "REC"]

# Episodes ordered per child, with the neighbours each sequence rule compares against.
_EPISODE_WINDOWS = """
CREATE TEMP TABLE ew AS
SELECT e.*,
       lag(dec)   OVER w AS prev_dec,
       lag(rec)   OVER w AS prev_rec,
       lag(ls)    OVER w AS prev_ls,
       lag(place) OVER w AS prev_place,
       lag(row)   OVER w AS prev_row,
       lead(decom) OVER w AS next_decom,
       max(dec) OVER (PARTITION BY child ORDER BY decom, row
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS max_prev_dec,
       count(*) FILTER (WHERE dec IS NULL) OVER (PARTITION BY child) AS open_count,
       row_number() OVER (PARTITION BY child, dec IS NULL ORDER BY decom DESC, row DESC) AS end_rank
FROM episodes e
WHERE child IS NOT NULL AND decom IS NOT NULL
WINDOW w AS (PARTITION BY child ORDER BY decom, row)
"""

# Chained: the previous episode ended with X1 on the day this one started (same period of care).
_CHAINED = "(coalesce(prev_rec = 'X1', false) AND coalesce(prev_dec = decom, false))"


@dataclass(frozen=True)
class CrossRule:
    code: str
    table: str  # the table whose rows are flagged
    column: str
    needs: tuple[str, ...]  # tables that must be in the drop
    sql: str  # selects `row`, the flagged line numbers


_RULES = [
    CrossRule("501", "episodes", "DECOM", ("episodes",), "SELECT row FROM ew WHERE decom < max_prev_dec"),
    CrossRule("356", "episodes", "DEC", ("episodes",), "SELECT row FROM ew WHERE dec < decom"),
    CrossRule(
        "142", "episodes", "DEC", ("episodes",),
        "SELECT row FROM ew WHERE dec IS NULL AND next_decom IS NOT NULL",
    ),
    # The latest open episode is the one the marts keep (142 rejects the others), so the
    # warning sits on it: the child's record needs the earlier episodes closed.
    CrossRule(
        "PERM-OPEN-TWICE", "episodes", "DEC", ("episodes",),
        "SELECT row FROM ew WHERE dec IS NULL AND open_count > 1 AND end_rank = 1",
    ),
    CrossRule(
        "PERM-X1", "episodes", "REC", ("episodes",),
        """SELECT a.row FROM ew a
           WHERE a.rec = 'X1' AND a.dec IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM ew b WHERE b.child = a.child AND b.decom = a.dec)""",
    ),
    CrossRule("431", "episodes", "RNE", ("episodes",), f"SELECT row FROM ew WHERE {_CHAINED} AND rne = 'S'"),
    CrossRule(
        "432", "episodes", "RNE", ("episodes",),
        f"SELECT row FROM ew WHERE prev_row IS NOT NULL AND NOT {_CHAINED} AND rne <> 'S' AND prev_dec = decom",
    ),
    CrossRule(
        "433", "episodes", "RNE", ("episodes",),
        f"SELECT row FROM ew WHERE prev_row IS NOT NULL AND NOT {_CHAINED} AND rne <> 'S' AND prev_dec <> decom",
    ),
    CrossRule(
        "PERM-RNE-LS", "episodes", "RNE", ("episodes",),
        f"""SELECT row FROM ew WHERE {_CHAINED} AND (
              (rne IN ('L', 'U', 'B') AND ls = prev_ls) OR (rne IN ('P', 'T') AND ls <> prev_ls))""",
    ),
    CrossRule(
        "PERM-RNE-L-PLACE", "episodes", "PLACE", ("episodes",),
        f"SELECT row FROM ew WHERE {_CHAINED} AND rne = 'L' AND place <> prev_place",
    ),
    CrossRule(
        "302", "episodes", "DECOM", ("episodes", "header"),
        """SELECT e.row FROM ew e
           JOIN (SELECT child, min(dob) AS dob FROM header GROUP BY child) h USING (child)
           WHERE e.decom < h.dob""",
    ),
    CrossRule(
        "602", "ad1", "CHILD", ("ad1", "episodes"),
        """SELECT row FROM ad1 WHERE child IS NOT NULL AND child NOT IN (
             SELECT child FROM episodes WHERE rec IN ('E11', 'E12') AND child IS NOT NULL)""",
    ),
    CrossRule(
        "PERM-PA-NO-ADOPTION", "placed_adoption", "REASON_PLACED_CEASED", ("placed_adoption", "episodes"),
        # PlacedAdoption records the decision to place, so a row without an adoptive placement is
        # normal (not yet placed, or reversed); a row that says the child was adopted is not.
        """SELECT row FROM placed_adoption WHERE child IS NOT NULL AND reason_placed_ceased IN ('E11', 'E12')
             AND child NOT IN (SELECT child FROM episodes WHERE rec IN ('E11', 'E12') AND child IS NOT NULL)""",
    ),
]


def _first_per_table(frames: list[ExtractFrame]) -> dict[str, ExtractFrame]:
    # Two files for one table is structural; the first still gets cross-checked for the report.
    out: dict[str, ExtractFrame] = {}
    for ef in frames:
        out.setdefault(ef.table.name, ef)
    return out


def _relation(ef: ExtractFrame, columns: list[str], dates: tuple[str, ...] = ()) -> pd.DataFrame | None:
    if any(c not in ef.frame.columns for c in columns):
        return None
    out = pd.DataFrame({c.lower(): ef.frame[c] for c in columns})
    for c in dates:
        out[c.lower()] = ef.dates(c).astype("datetime64[us]")
    out["row"] = ef.frame[ROW].to_numpy(dtype="int64")
    return out.reset_index(drop=True)


def _relations(by_table: dict[str, ExtractFrame]) -> dict[str, pd.DataFrame]:
    rel: dict[str, pd.DataFrame] = {}
    if "episodes" in by_table:
        ep = _relation(by_table["episodes"], _EPISODE_COLUMNS, dates=("DECOM", "DEC"))
        if ep is not None:
            rel["episodes"] = ep
    if "header" in by_table:
        hd = _relation(by_table["header"], ["CHILD", "DOB"], dates=("DOB",))
        if hd is not None:
            rel["header"] = hd
    for name, columns in (("ad1", ["CHILD"]), ("placed_adoption", ["CHILD", "REASON_PLACED_CEASED"])):
        if name in by_table:
            r = _relation(by_table[name], columns)
            if r is not None:
                rel[name] = r
    return rel


def _issue(ef: ExtractFrame, code: str, column: str, row: int) -> Issue:
    r = rule(code)
    return Issue(ef.file_name, ef.table.name, code, r.text, r.severity, int(row), column)


def cross_file_issues(frames: list[ExtractFrame]) -> list[Issue]:
    by_table = _first_per_table(frames)
    rel = _relations(by_table)
    issues: list[Issue] = []
    con = duckdb.connect()
    try:
        for name, df in rel.items():
            con.register(name, df)
        if "episodes" in rel:
            con.execute(_EPISODE_WINDOWS)
        for cr in _RULES:
            if any(t not in rel for t in cr.needs):
                continue
            rows = con.execute(cr.sql).fetchnumpy()["row"]
            ef = by_table[cr.table]
            issues += [_issue(ef, cr.code, cr.column, r) for r in sorted(rows.tolist())]
        issues += _missing_from_header(con, by_table, rel)
    finally:
        con.close()
    return issues


def _missing_from_header(con, by_table: dict[str, ExtractFrame], rel: dict[str, pd.DataFrame]) -> list[Issue]:
    """903 rows for a child the Header does not hold. SSD extras are left out on purpose:
    care proceedings and permanence decisions exist for children never looked after."""
    if "header" not in rel:
        return []
    issues: list[Issue] = []
    for name, ef in by_table.items():
        if name == "header" or ef.table.family != "ssda903":
            continue
        child = ef.table.child_column
        df = _relation(ef, [child])
        if df is None:
            continue
        con.register("rows_to_link", df)
        rows = con.execute(
            f"""SELECT row FROM rows_to_link WHERE {child.lower()} IS NOT NULL
                AND {child.lower()} NOT IN (SELECT child FROM header WHERE child IS NOT NULL)"""
        ).fetchnumpy()["row"]
        con.unregister("rows_to_link")
        issues += [_issue(ef, "PERM-NO-HEADER", child, r) for r in sorted(rows.tolist())]
    return issues
