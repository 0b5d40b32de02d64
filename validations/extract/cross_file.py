"""Rules across rows and files, set-wise in DuckDB: episode sequences, links between tables.

Every rule is one SQL query over whole tables (window functions per child, anti-joins between
files), never a Python loop per child: a region's 1.5 million episodes run in seconds.
A rule whose tables are not in the drop is skipped: every table is optional.

Two kinds of rule, on two views of the drop:

- DfE rules (a bare DfE code such as "501") are the DfE's definition for the collection year, as
  Data to Insight's validator (`lac_validator`, csc-validator-be-903) implements it: they see every
  row of the file, with its dates parsed as that validator parses them (dd/mm/yyyy, anything else
  blank), ties in its sort broken by file order. tests/test_dfe_rules.py runs the DfE validator
  itself on the synthetic drops and requires the same rows.
- Our rules (PERM-) see only the rows that are kept: rows rejected by a row rule or by an `error`
  cross rule are never the previous episode of another check, so one rejection never cascades.
  They find the chain holes a rejection or a partial extract leaves, and the repairs dbt makes.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from permanence.contract import collection_year_start
from permanence.contract.frames import ROW, ExtractFrame, Issue, arrow_text
from validations.extract.dates import distinct_text, usual_dates
from validations.extract.rules import rule

_EPISODE_COLUMNS = ["CHILD", "DECOM", "DEC", "RNE", "LS", "PLACE", "REC"]
_AD1_FIELDS = ["DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"]
# REC values the DfE's 432 reads as "ceased to be looked after" (its list, E1 not among them).
_DFE_432_EXITS = ("E2", "E3", "E4A", "E4B", "E5", "E6", "E7", "E8", "E9", "E11", "E12", "E13", "E14",
                  "E15", "E16", "E17", "E41", "E45", "E46", "E47", "E48")

# Kept episodes ordered per child (dates strictly parsed: a date that failed PERM-DATE is NULL).
_KEPT_WINDOWS = """
CREATE TEMP TABLE kw AS
SELECT e.*,
       lag(dec)   OVER w AS prev_dec,
       lag(rec)   OVER w AS prev_rec,
       lag(ls)    OVER w AS prev_ls,
       lag(place) OVER w AS prev_place,
       max(dec) OVER (PARTITION BY child ORDER BY decom, row
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING) AS max_earlier_dec,
       x.x1_child IS NOT NULL AS chained_in
FROM kept_episodes e
LEFT JOIN (SELECT DISTINCT child AS x1_child, dec AS x1_dec FROM kept_episodes
           WHERE rec = 'X1' AND dec IS NOT NULL) x
       ON x.x1_child = e.child AND x.x1_dec = e.decom
WHERE child IS NOT NULL AND decom IS NOT NULL
WINDOW w AS (PARTITION BY child ORDER BY decom, row)
"""

# The previous episode was X1 on the day this one started (same period of care).
_CHAINED = "(coalesce(prev_rec = 'X1', false) AND coalesce(prev_dec = decom, false))"

# The DfE sorts a child's episodes by DECOM (blank or unreadable last), stably: file order (pos)
# breaks ties. Its 433 sorts by DEC as well.
_DFE_ORDER = "PARTITION BY child ORDER BY decom NULLS LAST, pos"
_DFE_ORDER_433 = "PARTITION BY child ORDER BY decom NULLS LAST, dec NULLS LAST, pos"


@dataclass(frozen=True)
class CrossRule:
    code: str
    table: str  # the table whose rows are flagged
    column: str
    needs: tuple[str, ...]  # relations that must exist
    sql: str  # selects `row`, the flagged line numbers


# DfE rules: relations dfe_episodes, dfe_header, dfe_ad1 (every row, DfE date parse).
_DFE_RULES = [
    CrossRule(
        "501", "episodes", "DECOM", ("dfe_episodes",),
        f"""SELECT row FROM (SELECT row, decom, lag(dec) OVER ({_DFE_ORDER}) AS prev_dec
                             FROM dfe_episodes WHERE child IS NOT NULL) WHERE decom < prev_dec""",
    ),
    CrossRule("356", "episodes", "DEC", ("dfe_episodes",), "SELECT row FROM dfe_episodes WHERE dec < decom"),
    CrossRule(
        "142", "episodes", "DEC", ("dfe_episodes",),
        """SELECT row FROM (
             SELECT row, decom, dec, rec,
                    row_number() OVER (PARTITION BY child ORDER BY decom DESC NULLS FIRST, pos DESC) AS from_last
             FROM dfe_episodes WHERE child IS NOT NULL)
           WHERE from_last > 1 AND decom IS NOT NULL AND (dec IS NULL OR rec IS NULL)""",
    ),
    CrossRule(
        "431", "episodes", "RNE", ("dfe_episodes",),
        f"""SELECT row FROM (SELECT row, rne, decom, lag(dec) OVER ({_DFE_ORDER}) AS prev_dec
                             FROM dfe_episodes WHERE child IS NOT NULL)
            WHERE rne = 'S' AND decom <= prev_dec""",
    ),
    CrossRule(
        "432", "episodes", "RNE", ("dfe_episodes",),
        f"""SELECT row FROM (SELECT row, rne, lag(rec) OVER ({_DFE_ORDER}) AS prev_rec
                             FROM dfe_episodes WHERE child IS NOT NULL)
            WHERE prev_rec IN {_DFE_432_EXITS} AND (rne IS NULL OR rne <> 'S')""",
    ),
    CrossRule(
        "433", "episodes", "RNE", ("dfe_episodes",),
        # The DfE compares the DEC and DECOM texts, and a missing one counts as a mismatch.
        f"""SELECT row FROM (SELECT row, rne, decom_text, pos,
                                    lag(dec_text) OVER ({_DFE_ORDER_433}) AS prev_dec_text,
                                    lag(pos) OVER ({_DFE_ORDER_433}) AS prev_pos
                             FROM dfe_episodes WHERE child IS NOT NULL)
            WHERE prev_pos IS NOT NULL AND rne IN ('P', 'L', 'T', 'U', 'B')
              AND (prev_dec_text IS NULL OR decom_text IS NULL OR prev_dec_text <> decom_text)""",
    ),
    # 302 is judged on each child's first episode only (earliest DECOM, first in file on a tie).
    CrossRule(
        "302", "episodes", "DECOM", ("dfe_episodes", "dfe_header"),
        "SELECT DISTINCT f.row FROM dfe_first f JOIN dfe_header h USING (child) WHERE h.dob > f.decom",
    ),
    CrossRule(
        "302", "header", "DOB", ("dfe_episodes", "dfe_header"),
        "SELECT DISTINCT h.row FROM dfe_first f JOIN dfe_header h USING (child) WHERE h.dob > f.decom",
    ),
    CrossRule(
        "602", "ad1", "CHILD", ("dfe_ad1", "dfe_episodes"),
        f"""SELECT a.row FROM dfe_ad1 a
            WHERE NOT ({' AND '.join(f'a.{c.lower()} IS NULL' for c in _AD1_FIELDS)})
              AND NOT EXISTS (SELECT 1 FROM dfe_episodes e
                              WHERE e.child IS NOT DISTINCT FROM a.child AND e.rec IN ('E11', 'E12')
                                AND e.dec BETWEEN $year_start AND $year_end)""",
    ),
]

# Our rules on kept rows: relations kw (kept episode windows), kept_episodes, and the side tables.
_KEPT_RULES = [
    CrossRule(
        "PERM-OVERLAP", "episodes", "DECOM", ("kept_episodes",),
        "SELECT row FROM kw WHERE decom < max_earlier_dec AND NOT coalesce(decom < prev_dec, false)",
    ),
    CrossRule(
        "PERM-SAME-END", "episodes", "DEC", ("kept_episodes",),
        # Repair 2 of docs/measures.md#repairs: of two closed episodes ending the same day, the shorter goes.
        """SELECT a.row FROM kw a WHERE a.dec IS NOT NULL AND EXISTS (
             SELECT 1 FROM kw b WHERE b.child = a.child AND b.dec = a.dec AND b.decom < a.decom)""",
    ),
    CrossRule(
        "PERM-HOLE-X1", "episodes", "REC", ("kept_episodes",),
        """SELECT a.row FROM kw a
           WHERE a.rec = 'X1' AND a.dec IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM kw b WHERE b.child = a.child AND b.decom = a.dec AND b.row <> a.row)""",
    ),
    CrossRule(
        "PERM-HOLE-START", "episodes", "RNE", ("kept_episodes",),
        "SELECT row FROM kw WHERE rne IS NOT NULL AND rne <> 'S' AND NOT chained_in",
    ),
    CrossRule(
        "PERM-RNE-LS", "episodes", "RNE", ("kept_episodes",),
        f"""SELECT row FROM kw WHERE {_CHAINED} AND (
              (rne IN ('L', 'U', 'B') AND ls = prev_ls) OR (rne IN ('P', 'T') AND ls <> prev_ls))""",
    ),
    CrossRule(
        "PERM-RNE-L-PLACE", "episodes", "PLACE", ("kept_episodes",),
        f"SELECT row FROM kw WHERE {_CHAINED} AND rne = 'L' AND place <> prev_place",
    ),
    CrossRule(
        "PERM-AD1-NO-ADOPTION", "ad1", "CHILD", ("ad1", "kept_episodes"),
        """SELECT row FROM ad1 WHERE child IS NOT NULL AND child NOT IN (
             SELECT child FROM kept_episodes WHERE rec IN ('E11', 'E12') AND child IS NOT NULL)""",
    ),
    CrossRule(
        "PERM-PA-NO-ADOPTION", "placed_adoption", "REASON_PLACED_CEASED", ("placed_adoption", "kept_episodes"),
        # PlacedAdoption records the decision to place, so a row without an adoptive placement is
        # normal (not yet placed, or reversed); a row that says the child was adopted is not.
        """SELECT row FROM placed_adoption WHERE child IS NOT NULL AND reason_placed_ceased IN ('E11', 'E12')
             AND child NOT IN (SELECT child FROM kept_episodes WHERE rec IN ('E11', 'E12') AND child IS NOT NULL)""",
    ),
]


def _first_per_table(frames: list[ExtractFrame]) -> dict[str, ExtractFrame]:
    # Two files for one table is structural; the first still gets cross-checked for the report.
    out: dict[str, ExtractFrame] = {}
    for ef in frames:
        out.setdefault(ef.table.name, ef)
    return out


def _text(ef: ExtractFrame, column: str):
    # Handed to DuckDB as the reader made it (no copy to Python objects): nulls stay nulls.
    if column not in ef.frame.columns:
        return np.full(ef.rows, None, dtype=object)
    return ef.frame[column].reset_index(drop=True)


def dfe_dates(values) -> np.ndarray:
    """Dates as the DfE validator reads them: pandas' dd/mm/yyyy (a day or month may have one
    digit), anything else blank. Parsed once per distinct value."""
    encoded = distinct_text(pd.Series(values))
    if encoded is None:
        codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
        return np.append(_dfe_parse(np.asarray(uniques, dtype=object)), _NAT_US)[codes]
    codes, uniques = encoded
    # The usual 'dd/mm/yyyy' parses the same either way: only the rest goes through pandas.
    fast, parsed = usual_dates(uniques)
    lookup = np.full(len(uniques) + 1, _NAT_US)  # the last slot: code -1, a blank
    lookup[:-1][fast] = parsed
    if not fast.all():
        lookup[:-1][~fast] = _dfe_parse(np.asarray(uniques.filter(pa.array(~fast)).to_pylist(), dtype=object))
    return lookup[codes]


_NAT_US = np.datetime64("NaT", "us")


def _dfe_parse(text: np.ndarray) -> np.ndarray:
    return pd.to_datetime(pd.Series(text, dtype=object), format="%d/%m/%Y", errors="coerce").to_numpy(
        dtype="datetime64[us]")


def _relation(ef: ExtractFrame, columns: list[str], dates: tuple[str, ...] = ()) -> pd.DataFrame | None:
    if any(c not in ef.frame.columns for c in columns):
        return None
    out = pd.DataFrame({c.lower(): _text(ef, c) for c in columns})
    for c in dates:
        out[c.lower()] = ef.dates(c).astype("datetime64[us]")
    out["row"] = ef.frame[ROW].to_numpy(dtype="int64")
    return out


def _dfe_relation(ef: ExtractFrame, columns: list[str], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    out = pd.DataFrame({c.lower(): _text(ef, c) for c in columns})
    for c in dates:
        out[f"dfe_{c.lower()}"] = dfe_dates(out[c.lower()])
    out["row"] = ef.frame[ROW].to_numpy(dtype="int64")
    out["pos"] = np.arange(ef.rows, dtype="int64")
    return out


# One relation holds every episode row, both parses: the DfE's view is all of it, ours the kept rows.
_DFE_VIEW = """CREATE TEMP VIEW dfe_episodes AS
  SELECT child, rne, rec, decom_text, dec_text, dfe_decom AS decom, dfe_dec AS dec, row, pos FROM ep_all"""
_KEPT_VIEW = """CREATE TEMP VIEW kept_episodes AS
  SELECT child, decom, dec, rne, ls, place, rec, row FROM ep_all ANTI JOIN rejected_episodes USING (row)"""


def _episodes(ef: ExtractFrame) -> pd.DataFrame:
    out = _dfe_relation(ef, _EPISODE_COLUMNS, ("DECOM", "DEC"))
    out = out.rename(columns={"decom": "decom_text", "dec": "dec_text"})
    # Our rules read the strict parse (a date that failed PERM-DATE is NULL).
    for c in ("DECOM", "DEC"):
        out[c.lower()] = ef.dates(c).astype("datetime64[us]") if c in ef.frame.columns else np.datetime64("NaT", "us")
    return out


def _relations(by_table: dict[str, ExtractFrame]) -> dict[str, pd.DataFrame]:
    rel: dict[str, pd.DataFrame] = {}
    if "episodes" in by_table:
        ef = by_table["episodes"]
        if all(c in ef.frame.columns for c in ("CHILD", "DECOM")):
            rel["ep_all"] = _episodes(ef)
    if "header" in by_table:
        ef = by_table["header"]
        if all(c in ef.frame.columns for c in ("CHILD", "DOB")):
            rel["dfe_header"] = _dfe_relation(ef, ["CHILD", "DOB"], ("DOB",)).drop(columns="dob").rename(
                columns={"dfe_dob": "dob"})
        if "CHILD" in ef.frame.columns:
            rel["header"] = _relation(ef, ["CHILD"])
    if "ad1" in by_table:
        ef = by_table["ad1"]
        if "CHILD" in ef.frame.columns:
            rel["dfe_ad1"] = _dfe_relation(ef, ["CHILD", *_AD1_FIELDS])
            rel["ad1"] = _relation(ef, ["CHILD"])
    if "placed_adoption" in by_table:
        r = _relation(by_table["placed_adoption"], ["CHILD", "REASON_PLACED_CEASED"])
        if r is not None:
            rel["placed_adoption"] = r
    return rel


def _issues(ef: ExtractFrame, code: str, column: str, rows) -> list[Issue]:
    """One issue per flagged row (sorted, once each); the rule is looked up once, not per row: a
    messy drop flags thousands."""
    r = rule(code)
    severity = r.severity_for(ef.table.name)
    return [Issue(ef.file_name, ef.table.name, code, r.text, severity, row, column) for row in sorted(set(rows))]


def _run(con, rules: list[CrossRule], names: set[str], by_table, params: dict) -> list[Issue]:
    issues: list[Issue] = []
    for cr in rules:
        if any(t not in names for t in cr.needs):
            continue
        used = {k: v for k, v in params.items() if f"${k}" in cr.sql}
        rows = con.execute(cr.sql, used).fetchnumpy()["row"]
        ef = by_table[cr.table]
        issues += _issues(ef, cr.code, cr.column, rows.tolist())
    return issues


_DATABASE: duckdb.DuckDBPyConnection | None = None
_DATABASE_LOCK = threading.Lock()


def _connection() -> duckdb.DuckDBPyConnection:
    """A new connection to one in-memory database kept for the process. Opening a database costs
    ~14 ms, a connection to an open one ~0.2 ms: a tenth of a small drop's validation. Registered
    frames, temp views and temp tables belong to the connection and go when it closes."""
    global _DATABASE
    with _DATABASE_LOCK:
        if _DATABASE is None:
            # One thread: a drop's rules are small queries, and several drops are cleaned at once in
            # worker processes (one per core); DuckDB's own threads on top cost ~6% more CPU a drop.
            _DATABASE = duckdb.connect(config={"threads": 1})
        return _DATABASE.cursor()


def cross_file_issues(
    frames: list[ExtractFrame], rejected: dict[str, set[int]] | None = None, year: str | None = None
) -> list[Issue]:
    """`rejected`: rows the row rules rejected, by file; `year`: the collection year ('2024-25')
    the DfE's year-bound rules (602) judge; without one they are skipped."""
    by_table = _first_per_table(frames)
    rejected = {k: set(v) for k, v in (rejected or {}).items()}
    rel = _relations(by_table)
    names = set(rel) | ({"dfe_episodes"} if "ep_all" in rel else set())
    # Our rules need every episode column; a file without one is quarantined, the DfE's still run.
    if "ep_all" in rel and all(c in by_table["episodes"].frame.columns for c in _EPISODE_COLUMNS):
        names.add("kept_episodes")
    issues: list[Issue] = []
    con = _connection()
    try:
        for name, df in rel.items():
            con.register(name, df)
        if "ep_all" in rel:
            con.execute(_DFE_VIEW)
            con.execute("""CREATE TEMP TABLE dfe_first AS
                SELECT child, decom, row FROM (
                  SELECT child, decom, row,
                         row_number() OVER (PARTITION BY child ORDER BY decom, pos) AS n
                  FROM dfe_episodes WHERE child IS NOT NULL AND decom IS NOT NULL) WHERE n = 1""")
        params = {}
        if year:
            start = collection_year_start(year)
            params = {"year_start": start, "year_end": dt.date(start.year + 1, 3, 31)}
        dfe_rules = [r for r in _DFE_RULES if year or "$year_start" not in r.sql]
        issues += _run(con, dfe_rules, names, by_table, params)
        issues += _missing_from_header(by_table, rel)

        # Rows an error rule rejected are no one's neighbour in the rules below.
        if "kept_episodes" in names:
            ep_file = by_table["episodes"].file_name
            out = rejected.get(ep_file, set()) | {
                i.row_number for i in issues
                if i.severity == "error" and i.file_name == ep_file and i.row_number is not None}
            con.register("rejected_episodes", pd.DataFrame({"row": np.array(sorted(out), dtype="int64")}))
            con.execute(_KEPT_VIEW)
            con.execute(_KEPT_WINDOWS)
        issues += _run(con, _KEPT_RULES, names, by_table, {})
    finally:
        con.close()
    return issues


def _missing_from_header(by_table: dict[str, ExtractFrame], rel: dict[str, pd.DataFrame]) -> list[Issue]:
    """903 rows for a child the Header does not hold. Every Header row counts, kept or not: a child
    whose Header row failed a check is still in the file, so its other rows are not rejected for it.
    SSD extras are left out on purpose: care proceedings and permanence decisions exist for
    children never looked after."""
    if "header" not in rel:
        return []
    # A set lookup in Arrow per file: the same rows as an anti-join in DuckDB (exact string
    # equality, blanks never flagged), without registering and querying each file.
    in_header = pc.unique(_arrow_text(rel["header"]["child"])).drop_null()
    issues: list[Issue] = []
    for name, ef in by_table.items():
        if name == "header" or ef.table.family != "ssda903":
            continue
        child = ef.table.child_column
        if child not in ef.frame.columns:
            continue
        ids = _arrow_text(ef.frame[child])
        missing = pc.and_(pc.is_valid(ids), pc.invert(pc.is_in(ids, value_set=in_header.cast(ids.type))))
        rows = ef.frame[ROW].to_numpy(dtype="int64")[missing.to_numpy(zero_copy_only=False)]
        issues += _issues(ef, "PERM-NO-HEADER", child, rows.tolist())
    return issues


def _arrow_text(values: pd.Series) -> pa.Array:
    """A text column as Arrow strings (nulls for blanks), without a copy when pandas holds it in Arrow."""
    arr = arrow_text(values)
    if arr is None:
        arr = pa.array(values.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    return arr
