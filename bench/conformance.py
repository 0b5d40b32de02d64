"""Conformance on a real-shaped 903 extract: does what we publish mean what the DfE and docs/measures.md say?

    python -m bench.conformance DROP --la 894 --extract-date 2018-03-31 [--coverage-start 2017-04-01]
                                [--markdown FILE]

DROP is a folder of 903 tables as an LA or a public fake-data set has them (any file names; the
reader knows the tables by their columns). Two comparisons, each printed as a table:

1. Rules. Every DfE-coded rule of ours against the DfE's own validator (csc-validator-be-903, in
   .venv-dfe) on the same rows: the rows each flags, the rows both flag, agreement = both / either.
2. Measures. The drop runs through the real pipeline into a throwaway warehouse; every mart the
   independent computation (tests/reference_measures.py) covers is then recomputed from the drop's
   raw rows (every row whose child and dates can be read, not only the rows validation kept) and
   compared figure by figure (tests/reconcile.py). Each differing row of a child-level mart is
   put down to what the audit recorded for that child: a repair, a chain hole, a rejected row,
   or nothing (unexplained).

Nothing here is a test that CI runs: the public fake data sets are not ours to commit. The figures
and the command that produced them are recorded in docs/conformance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from tests import reconcile

# A new random key each run: the throwaway warehouse and the reference meet on the same pseudonyms,
# and a real drop's ids cannot be recovered from them by anyone who reads this file.
KEY = secrets.token_bytes(32)


# --------------------------------------------------------------------------- rules


def rule_agreement(frames, extract_date: dt.date) -> pd.DataFrame:
    from permanence.contract import collection_year
    from validations.extract import validate_drop
    from validations.dfe.validator import dfe_findings
    from validations.extract.rules import RULES

    shared = sorted({r.dfe_code for r in RULES.values() if r.dfe_code})
    ours = validate_drop(frames, extract_date)
    run = dfe_findings(frames, collection_year(extract_date), shared)
    rows = []
    for code in shared:
        mine = {(i.file_name, i.row_number) for i in ours.issues if i.rule_code == code}
        theirs = {(f.file_name, f.row) for f in run.findings if f.code == code}
        either = mine | theirs
        rows.append({"rule": code, "dfe_rows": len(theirs), "our_rows": len(mine), "both": len(mine & theirs),
                     "agreement": 1.0 if not either else len(mine & theirs) / len(either),
                     "note": "the DfE validator failed on this rule" if code in run.failed else ""})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- measures

_DATE = "%d/%m/%Y"


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format=_DATE, errors="coerce")


def _text(s: pd.Series) -> pd.Series:
    s = s.astype(object).where(s.notna(), None)
    return s.map(lambda v: None if v is None or str(v).strip() == "" else str(v).strip())


def _month(s: pd.Series) -> pd.Series:
    return _dates(s).dt.to_period("M").dt.to_timestamp()


_CAST = {"date": _dates, "text": _text, "month": _month}

# Our table -> (its staging view, the date a row needs to be usable, {staging column: (kind, raw column)}):
# the renames of dbt_project/models/staging, for the columns the reference reads.
RAW_STAGING = {
    "episodes": ("stg_ssda903__episodes", "DECOM", {
        "episode_start_date": ("date", "DECOM"), "episode_end_date": ("date", "DEC"),
        "reason_new_episode": ("text", "RNE"), "legal_status": ("text", "LS"), "category_of_need": ("text", "CIN"),
        "placement_type": ("text", "PLACE"), "placement_provider": ("text", "PLACE_PROVIDER"),
        "reason_episode_ceased": ("text", "REC")}),
    "header": ("stg_ssda903__header", "DOB", {
        "sex": ("text", "SEX"), "birth_month": ("month", "DOB"), "ethnicity": ("text", "ETHNIC")}),
    "ad1": ("stg_ssda903__ad1", "DOB", {
        "birth_month": ("month", "DOB"), "adoption_decision_date": ("date", "DATE_INT"),
        "adoption_match_date": ("date", "DATE_MATCH"), "adopted_by_foster_carer": ("text", "FOSTER_CARE")}),
    "reviews": ("stg_ssda903__reviews", "REVIEW", {
        "review_date": ("date", "REVIEW"), "review_participation": ("text", "REVIEW_CODE")}),
}


def raw_staging(frames, la_code: str, extract_date: dt.date, warehouse_staging: dict[str, pd.DataFrame]
                ) -> dict[str, pd.DataFrame]:
    """The drop's raw rows in the staging views' shape: every row whose child and key date parse.

    Children are pseudonymised with the run's key, so ids meet the marts'; dates of birth are
    month starts, as the pipeline keeps them. Other views (the extras beside the 903, or a 903 table
    the drop lacks) are the warehouse's own."""
    from permanence.contract.frames import ROW
    from permanence.ingest.pseudonymise import pseudonymise_series

    known: dict[str, str] = {}
    by_table = {ef.table.name: ef for ef in frames}
    out = dict(warehouse_staging)
    for name, (view, key_date, columns) in RAW_STAGING.items():
        ef = by_table.get(name)
        if ef is None:
            continue
        child = _text(ef.frame["CHILD"])
        usable = child.notna() & _dates(ef.frame[key_date]).notna()
        df = ef.frame[usable]
        out[view] = pd.DataFrame({
            "child_id": pseudonymise_series(KEY, la_code, child[usable], known),
            "la_code": la_code, "load_id": "raw", "extract_date": pd.Timestamp(extract_date),
            "source_row": df[ROW].astype("int64"),
            **{col: _CAST[kind](df[raw]) for col, (kind, raw) in columns.items()},
        }, index=df.index).reset_index(drop=True)
    return out


STAGING = ["stg_ssda903__episodes", "stg_ssda903__header", "stg_ssda903__ad1", "stg_ssda903__reviews",
           "stg_extras__cla_care_plan", "stg_extras__permanence", "stg_extras__no_parental_responsibility"]
CHILD_LEVEL = ("periods_of_care", "adoption_timeliness", "spg_cohort_children")


def _explain(settings, load_id: str, la_code: str, frames) -> dict[str, set[str]]:
    """Pseudonymous child ids with a repair, a chain hole or a rejected row recorded for this load."""
    import duckdb

    from permanence.contract.frames import ROW
    from permanence.ingest.pseudonymise import pseudonymise_series

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        def ids(sql: str) -> set[str]:
            return {r[0] for r in con.execute(sql).fetchall()}

        repaired = ids("select distinct child_id from intermediate.int_episodes__repaired where repair_type is not null")
        holes = ids("select distinct child_id from intermediate.int_episodes__sequenced where chain_hole is not null")
        rows = set(con.execute("select file_name, row_number from audit.validation_results "
                               "where load_id = ? and source = 'ours' and severity = 'error'", [load_id]).fetchall())
    rejected: set[str] = set()
    for ef in frames:
        hit = ef.frame[[(ef.file_name, int(r)) in rows for r in ef.frame[ROW]]]
        if len(hit) and "CHILD" in hit.columns:
            rejected |= set(pseudonymise_series(KEY, la_code, _text(hit["CHILD"]).dropna()))
    return {"repair": repaired, "chain hole": holes, "rejected row": rejected}


REASONS = ("incomplete_reason", "suppressed_reason", "status")


def _withheld(cmp, mart: pd.DataFrame, spec) -> int:
    """Differing figures the mart holds back on purpose: null there, with a reason on its row
    (incomplete history, not available, not yet due), where the reference gives a number."""
    reasons = [c for c in REASONS if c in mart.columns]
    if not reasons:
        return 0
    keys = list(spec.keys)
    why = mart[keys + reasons].copy()
    why["_reason"] = why[reasons].astype(object).where(why[reasons].notna(), None).apply(
        lambda r: next((v for v in r if v not in (None, "available")), None), axis=1)
    m = cmp.merged.merge(reconcile.norm(why[keys + ["_reason"]], keys, list(spec.dates)), on=keys, how="left")
    n = 0
    for c, ok in cmp.agree.items():
        held = ~ok.values & m[f"{c}_mart"].isna().values & m["_reason"].notna().values
        n += int(held.sum())
    return n


def measure_agreement(drop: Path, la_code: str, extract_date: dt.date, coverage_start: dt.date | None,
                      work: Path) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    import duckdb

    from permanence.config import Settings
    from permanence.ingest.read import read_drop
    from tests import reference_measures as rm
    from tests.pipeline_helpers import run_drops

    folder = work / "drop"
    shutil.copytree(drop, folder)
    given = folder / "manifest.json"
    manifest = json.loads(given.read_text()) if given.is_file() else {}
    manifest.update(la_code=la_code, extract_date=extract_date.isoformat())
    if coverage_start:
        manifest["coverage_start"] = coverage_start.isoformat()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    settings = Settings(data_dir=work / "data")
    [run] = run_drops(settings, [(str(folder), la_code)], key=KEY)
    if run.status != "published":
        raise SystemExit(f"error: the drop was {run.status}: {run.message}")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        staging = {name: con.sql(f"select * from staging.{name}").df() for name in STAGING}
        marts = {name: con.sql(f"select * from marts.{name}").df() for name in reconcile.SPECS}
    frames, _ = read_drop(folder)
    reference = rm.all_measures(raw_staging(frames, la_code, extract_date, staging))
    explained = _explain(settings, run.load_id, la_code, frames)
    rows, diffs = [], []
    for name, spec in reconcile.SPECS.items():
        mart = marts[name]
        if name == "spg_cohort_summary":  # the current date; a zero row for an empty cohort is the mart's own
            mart = mart[mart["is_current"].astype(bool) & ~(mart["children"] == 0).fillna(False).astype(bool)]
        cmp = reconcile.compare(reference[name], mart, spec)
        withheld = _withheld(cmp, mart, spec)
        row = {"mart": name, "figures": cmp.figures, "agree": cmp.figures - cmp.differing,
               "withheld with a reason": withheld}
        if name in CHILD_LEVEL:
            bad = cmp.rows_differing()
            for why, ids in explained.items():
                n = int(bad["child_id"].isin(ids).sum())
                row[why] = n
                bad = bad[~bad["child_id"].isin(ids)]
            row["unexplained rows"] = len(bad)
            diffs.append(bad.assign(mart=name))
        rows.append(row)
    table = pd.DataFrame(rows)
    unexplained = pd.concat(diffs, ignore_index=True) if diffs else pd.DataFrame()
    return table, unexplained, run.load_id


def _markdown(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for c, v in zip(cols, r.values):
            if pd.isna(v):
                cells.append("")
            elif c.startswith("agreement"):
                cells.append(f"{v:.1%}")
            else:
                cells.append(str(int(v)) if isinstance(v, float) and float(v).is_integer() else str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.conformance", description=__doc__.split("\n\n")[0])
    ap.add_argument("drop", type=Path)
    ap.add_argument("--la", default="894")
    ap.add_argument("--extract-date", type=dt.date.fromisoformat, required=True)
    ap.add_argument("--coverage-start", type=dt.date.fromisoformat)
    ap.add_argument("--skip-measures", action="store_true", help="compare the rules only")
    ap.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = ap.parse_args(argv)
    for off in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DBT_SEND_ANONYMOUS_USAGE_STATS", "GX_ANALYTICS_ENABLED"):
        os.environ.setdefault(off, "false")

    from permanence.contract.frames import StructuralError
    from permanence.ingest.read import read_drop

    try:
        frames, _ = read_drop(args.drop)
    except StructuralError as exc:
        raise SystemExit(f"error: {exc}") from None
    sections = []
    rules = rule_agreement(frames, args.extract_date)
    either = rules["dfe_rows"] + rules["our_rows"] - rules["both"]
    overall = rules["both"].sum() / either.sum() if either.sum() else 1.0
    sections.append(f"### Rules: ours against the DfE validator\n\n{_markdown(rules)}\n\n"
                    f"Overall: {rules['both'].sum()} rows flagged by both of {either.sum()} flagged by either "
                    f"({overall:.1%}).")
    if not args.skip_measures:
        with tempfile.TemporaryDirectory(prefix="conformance-") as tmp:
            os.chmod(tmp, 0o700)
            table, unexplained, _ = measure_agreement(args.drop, args.la, args.extract_date, args.coverage_start,
                                                      Path(tmp))
        total, agree, held = table["figures"].sum(), table["agree"].sum(), table["withheld with a reason"].sum()
        table["agreement"] = table["agree"] / table["figures"].where(table["figures"] > 0)
        table["agreement, withheld aside"] = table["agree"] / (table["figures"] - table["withheld with a reason"]
                                                               ).where(table["figures"] > 0)
        sections.append(f"### Measures: marts against the independent computation\n\n{_markdown(table)}\n\n"
                        f"Overall: {agree} of {total} figures agree ({agree / total:.2%}); {held} more are "
                        f"withheld by the mart with a reason, so {agree} of the {total - held} figures it "
                        f"publishes agree ({agree / (total - held):.2%}).")
        if len(unexplained):
            show = unexplained.drop(columns=["child_id"], errors="ignore").head(20)
            sections.append("Unexplained differing rows (first 20, child ids left out):\n\n```\n"
                            f"{show.to_string()}\n```")
    text = "\n\n".join(sections)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
