"""DfE return readiness, every night: the DfE's whole 903 rule pack on a published load's drop.

The nightly run queues each load it publishes (`audit.dfe_queue`); the `dfe-rules` flow (its own
deployment, and `permanence dfe-rules`) takes the queue later, so the DfE's validator, seconds per
thousand rows, never holds the warehouse lock or delays a run. The drop as archived is read
again and handed to the DfE's validator (validations/dfe/validator.py) with the rule pack of its collection
year: the return the LA will submit, so the findings are what the DfE's tool would show today, not
in a hurry at year end. Findings go to `audit.validation_results` with `source = 'dfe'`, apart from
our own rules (`source = 'ours'`), and to a section of the load's validation report: counts by rule
and the lines to fix (file and line, never a value).

Which year: a yearly return's own; for a CMS extract, the collection year holding its reporting
date D (or extract date E). The pack runs on the rows of the drop as received: on an extract with
years of history, rules that look at one year's return may also fire on earlier years' rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from permanence.contract import collection_year
from permanence.audit.validation_report import _md  # file names and rule texts as inert Markdown, as in our own report

SOURCE = "dfe"
SEVERITY = "dfe"  # the DfE's pack mixes errors and queries; we act on none, we show them
LINES_PER_RULE = 20  # in the report; every line is in audit.validation_results


@dataclass
class Readiness:
    load_id: str
    ruleset: str
    year: str
    findings: pd.DataFrame  # the rows of audit.validation_results
    failed: list[str]  # rules the validator could not run on this data


@dataclass(frozen=True)
class Queued:
    """A published load awaiting the DfE pack: what the check needs, kept in `audit.dfe_queue` (paths
    inside the data directory, never a value from the drop)."""

    load_id: str
    la_code: str
    folder: Path  # the archived drop (for stitched returns, the latest return: the one to submit)
    year: str  # the collection year whose rule pack applies
    file_prefix: str  # stitched loads name files '<return>/<file>'
    report_dir: Path | None
    docs_dir: Path | None  # the Data Docs of the build that published the load

    @classmethod
    def of(cls, run, docs_dir: Path | None) -> "Queued":
        drop = run.returns[-1] if run.returns else run.drop
        return cls(run.load_id, run.la_code, Path(drop.folder), year_of(drop, run.as_at),
                   f"{drop.label}/" if run.returns else "", run.report_dir, docs_dir)

    def row(self, queued_at) -> dict:
        return {"load_id": self.load_id, "la_code": self.la_code, "drop_folder": str(self.folder),
                "collection_year": self.year, "file_prefix": self.file_prefix,
                "report_dir": str(self.report_dir) if self.report_dir else None,
                "docs_dir": str(self.docs_dir) if self.docs_dir else None, "queued_at": queued_at}


# Queued loads the pack has not yet run on (its step not recorded 'ok'), oldest first; a load
# erased or past retention since (no longer published) is left out.
PENDING_SQL = """
select q.load_id, q.la_code, q.drop_folder, q.collection_year, q.file_prefix, q.report_dir, q.docs_dir
from audit.dfe_queue as q
where ({every} or not exists (select 1 from audit.load_steps as s
                              where s.load_id = q.load_id and s.step = 'dfe_rules' and s.status = 'ok'))
  and (select l.status from audit.loads as l where l.load_id = q.load_id
       order by l.finished_at desc limit 1) = 'published'
  {where}
order by q.queued_at, q.load_id
"""


def queued(con, la_code: str | None = None, load_ids: list[str] | None = None) -> list[Queued]:
    """The loads to check: those not yet checked, or (load_ids) these loads again."""
    where, params = "", []
    if la_code:
        where += " and q.la_code = ?"
        params.append(la_code)
    if load_ids:
        where += f" and q.load_id in ({', '.join('?' for _ in load_ids)})"
        params += list(load_ids)
    sql = PENDING_SQL.format(every="true" if load_ids else "false", where=where)
    seen, out = set(), []
    for load_id, la, folder, year, prefix, report, docs in con.execute(sql, params).fetchall():
        if load_id not in seen:  # queued twice (republished): checked once
            seen.add(load_id)
            out.append(Queued(load_id, la, Path(folder), year, prefix or "", Path(report) if report else None,
                              Path(docs) if docs else None))
    return out


def year_of(drop, as_at) -> str:
    return drop.collection_year or collection_year(as_at or drop.extract_date)


def check_load(load: Queued) -> Readiness:
    """The DfE pack on a queued load's archived drop."""
    from permanence.ingest.read import read_drop
    from validations.dfe.validator import dfe_findings

    year, prefix = load.year, load.file_prefix
    frames, _ = read_drop(load.folder)
    result = dfe_findings(frames, year)
    rows = [{
        "load_id": load.load_id, "file_name": prefix + f.file_name, "table_name": f.table, "rule_code": f.code,
        "rule": result.rules.get(f.code, ("DfE rule " + f.code, []))[0], "severity": SEVERITY,
        "row_number": f.row, "column_name": ",".join(result.rules.get(f.code, ("", []))[1]) or None,
        "count": 1, "source": SOURCE,
    } for f in result.findings]
    columns = ["load_id", "file_name", "table_name", "rule_code", "rule", "severity", "row_number",
               "column_name", "count", "source"]
    findings = pd.DataFrame(rows, columns=columns)
    findings["row_number"] = findings["row_number"].astype("Int64")
    return Readiness(load.load_id, result.ruleset, year, findings, result.failed)


def report_section(r: Readiness) -> list[str]:
    """Markdown for the load's validation report: counts by rule, then the lines to fix."""
    lines = ["", f"## DfE return readiness ({r.year}, the DfE's rule pack {r.ruleset})", "",
             "The DfE's own 903 rules (Data to Insight's `csc-validator-be-903`), run after the publish on "
             "the drop as received. They change nothing that was loaded; they are what the DfE's tool "
             "will show when the return is submitted. Our own rules are above.", ""]
    if r.findings.empty:
        lines.append("No DfE rule fired.")
    else:
        counts = Counter(zip(r.findings["rule_code"], r.findings["rule"]))
        lines += ["| DfE rule | description | rows |", "|---|---|---|"]
        lines += [f"| {code} | {_md(text)} | {n} |" for (code, text), n in counts.most_common()]
        lines += ["", f"### Lines to fix (first {LINES_PER_RULE} per rule; all are in audit.validation_results)", ""]
        for code, group in r.findings.groupby("rule_code", sort=True):
            where = [f"{_md(f)} line {n}" for f, n in zip(group["file_name"], group["row_number"])][:LINES_PER_RULE]
            more = f" and {len(group) - LINES_PER_RULE} more" if len(group) > LINES_PER_RULE else ""
            lines.append(f"- {code}: {', '.join(where)}{more}")
    if r.failed:
        lines += ["", f"Rules the DfE validator could not run on this drop: {', '.join(sorted(r.failed))}."]
    return lines


def append_to_report(report_dir: Path | None, r: Readiness) -> None:
    if report_dir is None:
        return
    path = Path(report_dir) / "validation.md"
    if path.exists():
        with path.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(report_section(r)) + "\n")


def add_to_data_docs(docs_dir: Path, r: Readiness, la_code: str) -> Path | None:
    """A page of the findings (counts by rule, no values) beside the mart checks' Data Docs of the
    same build, linked from their index, so an auditor opening the Data Docs sees both."""
    import html

    index = Path(docs_dir) / "index.html"
    if not index.exists():
        return None
    from validations.marts.datadocs import NOTE, OFFLINE_CSS

    page = index.with_name(f"dfe-readiness-{la_code}.html")
    counts = r.findings.groupby(["rule_code", "rule"]).size().sort_values(ascending=False)
    rows = "".join(f"<tr><td>{html.escape(code)}</td><td>{html.escape(text)}</td><td>{n}</td></tr>"
                   for (code, text), n in counts.items())
    title = f"DfE return readiness: LA {la_code}, {r.year} ({r.ruleset})"
    page.write_text(
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{OFFLINE_CSS}</style></head><body>{NOTE}<h1>{html.escape(title)}</h1>"
        "<p>The DfE's own 903 rule pack, run after the publish on the drop as received (load "
        f"{html.escape(r.load_id)}). Rows flagged per rule; the file and line of each are in the load's "
        "validation report and audit.validation_results (source dfe). No values.</p>"
        + (f"<table><thead><tr><th>DfE rule</th><th>description</th><th>rows</th></tr></thead><tbody>{rows}"
           "</tbody></table>" if rows else "<p>No DfE rule fired.</p>")
        + "</body></html>", encoding="utf-8")
    text = index.read_text(encoding="utf-8")
    link = f'<p><a href="{page.name}">{html.escape(title)}</a></p>'
    if link not in text:
        index.write_text(text.replace("</body>", link + "</body>", 1), encoding="utf-8")
    return page
