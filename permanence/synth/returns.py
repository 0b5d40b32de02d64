"""Yearly SSDA903 returns cut from a synthetic CMS extract, as an LA's archive of past returns holds them.

A 903 return for collection year Y (1 April Y to 31 March Y+1) holds the children looked after at
any time in the year, each with the episodes open during it, as the return knew them on 31 March
Y+1: an episode that ended later is open in that return (DEC and REC blank), and episodes that
ended before 1 April Y are not there, even when their period was still open. Child-level tables
(Header, UASC, PrevPerm) follow the children; dated tables keep the rows dated in the year; AD1
keeps the children adopted in the year. The SSD extras are not part of a 903 return.

    from permanence.synth.returns import write_yearly_returns
    folders = write_yearly_returns(drop.path, out_dir, ["2020-21", "2021-22"])
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from permanence.ingest.read import identify_table

# The date that places a row of a dated table in a year.
_DATED = {"reviews": "REVIEW", "missing": "MIS_START", "placed_adoption": "DATE_PLACED"}
_BY_CHILD = {"header", "uasc", "prev_perm"}


# The year's own code lists: SEX was 1/2 until 2023-24 (docs/measures.md#extract-codes).
_OLD_SEX = {"M": "1", "F": "2"}


def _in_year_codes(name: str, rows: list[dict], year: str) -> list[dict]:
    if name in ("header", "uasc") and year < "2024-25":
        return [{**r, "SEX": _OLD_SEX.get(r["SEX"], r["SEX"])} for r in rows]
    return rows


def _date(text: str) -> dt.date | None:
    return dt.datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _read(path: Path) -> tuple[str | None, list[str], list[dict]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
        header = list(rows[0].keys()) if rows else next(csv.reader(path.open(encoding="utf-8-sig")))
    t = identify_table(header)
    return (t.name if t else None), header, rows


def _episodes_in_year(rows: list[dict], start: dt.date, end: dt.date) -> list[dict]:
    out = []
    for r in rows:
        decom, dec = _date(r["DECOM"]), _date(r["DEC"])
        if decom > end or (dec is not None and dec < start):
            continue
        if dec is not None and dec > end:
            r = {**r, "DEC": "", "REC": "", "REASON_PLACE_CHANGE": ""}
        out.append(r)
    return out


# Dates a later event fills in: blank in a return taken before it (with the fields they explain,
# and what those read before the event: a girl whose child is born later was not yet a mother).
_LATER = {"DATE_PLACED_CEASED": {"REASON_PLACED_CEASED": ""}, "MIS_END": {}, "MC_DOB": {"MOTHER": "0"}}


def _as_known_at(row: dict, end: dt.date) -> dict:
    for column, before in _LATER.items():
        if column in row and (d := _date(row[column])) and d > end:
            row = {**row, column: "", **before}
    return row


# The CMS extras as a CMS extract taken on a date holds them: (the column that makes a row known,
# or None when any of its dates does; {a date a later event fills in: the columns blanked with it}).
_EXTRAS = {
    "cla_care_plan": ("lacp_cla_care_plan_start_date", {"lacp_cla_care_plan_end_date": []}),
    "no_parental_responsibility": ("nopr_start_date", {"nopr_end_date": []}),
    "care_proceedings": ("cpro_issue_date", {"cpro_final_order_date": ["cpro_order_type"]}),
    "permanence": (None, {"perm_adm_decision_date": [], "perm_placement_order_date": [], "perm_matched_date": [],
                          "perm_placed_for_adoption_date": [],
                          "perm_permanence_order_date": ["perm_permanence_order_type"],
                          "perm_decision_reversed_date": ["perm_decision_reversed_reason"]}),
}


def _extras_known_at(name: str, rows: list[dict], end: dt.date) -> list[dict]:
    known, later = _EXTRAS[name]
    out = []
    for r in rows:
        r = dict(r)
        for column, with_it in later.items():
            if (d := _date(r[column])) and d > end:
                r.update({column: "", **dict.fromkeys(with_it, "")})
        if known:
            seen = (d := _date(r[known])) is not None and d <= end
        else:
            seen = any(r[c] for c in later)
        if seen:
            out.append(r)
    return out


def _tables(drop: Path, extras: bool = False) -> dict[str, tuple[str, list[str], list[dict]]]:
    tables = {}
    for path in sorted(drop.iterdir()):
        if path.suffix.lower() != ".csv":
            continue
        name, header, rows = _read(path)
        if name is not None and name in {*_DATED, *_BY_CHILD, "episodes", "ad1", *(_EXTRAS if extras else ())}:
            tables[name] = (path.name, header, rows)
    return tables


def _write_cut(tables: dict, folder: Path, start: dt.date, end: dt.date, manifest: dict) -> Path:
    """The 903 tables (and the CMS extras, when read) as known on `end`, for the children looked after at
    some time in [start, end]."""
    from permanence.contract import collection_year

    kept = _episodes_in_year(tables["episodes"][2], start, end)
    children = {r["CHILD"] for r in kept}
    adopted = {r["CHILD"] for r in kept if r["REC"] in ("E11", "E12")}
    folder.mkdir(parents=True, exist_ok=True)
    for name, (file_name, header, rows) in tables.items():
        if name == "episodes":
            rows = kept
        elif name in _BY_CHILD:
            rows = [_as_known_at(r, end) for r in rows if r["CHILD"] in children]
        elif name == "ad1":
            rows = [r for r in rows if r["CHILD"] in adopted]
        elif name in _EXTRAS:  # the child id is the table's first column
            rows = _extras_known_at(name, [r for r in rows if r[header[0]] in children], end)
        else:
            rows = [r for r in rows if r["CHILD"] in children and (d := _date(r[_DATED[name]])) and start <= d <= end]
            rows = [_as_known_at(r, end) for r in rows]
        rows = _in_year_codes(name, rows, collection_year(end))
        with (folder / file_name).open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=header)
            w.writeheader()
            w.writerows(rows)
    (folder / "manifest.json").write_text(json.dumps({**manifest, "generator": "permanence.synth.returns"}, indent=2) + "\n")
    return folder


def write_yearly_returns(drop: Path, out: Path, years: list[str]) -> list[Path]:
    """One folder per collection year ('2020-21') under `out`, each with its manifest."""
    tables = _tables(drop)
    la_code = json.loads((drop / "manifest.json").read_text())["la_code"]
    folders = []
    for year in years:
        start = dt.date(int(year[:4]), 4, 1)
        end = dt.date(start.year + 1, 3, 31)
        folders.append(_write_cut(tables, out / year, start, end, {"la_code": la_code, "collection_year": year}))
    return folders


def write_extract_at(drop: Path, folder: Path, end: dt.date, start: dt.date | None = None,
                     extras: bool = False) -> Path:
    """The drop as a CMS extract taken on `end` would have held it (from `start`, its coverage start,
    when given; else with the drop's own coverage): what a drop reported as at `end` must equal,
    and, from the first return's 1 April, what stitched returns must equal. With `extras`, the CMS
    extras (care plans, permanence, proceedings, no PR) too, as known on `end`: one LA's successive
    monthly drops are its careers cut at each month end."""
    source = json.loads((drop / "manifest.json").read_text())
    coverage = start.isoformat() if start else source.get("coverage_start")
    manifest = {"la_code": source["la_code"], "extract_date": end.isoformat(),
                **({"coverage_start": coverage} if coverage else {})}
    return _write_cut(_tables(drop, extras), folder, start or dt.date.min, end, manifest)
