"""The auditor's evidence for one load: `permanence audit --load LOAD_ID`.

Reconstructs the chain from the warehouse's audit schema (read-only): the load and its status
history; the source files and their sha256; rows in, loaded and rejected per file and table, and the
rows of that load still in raw per table; every validation rule that fired and on how many rows; the
Great Expectations results on the marts; and which marts (with row counts) the load published, where.
No values: rule findings are counts by rule, never the offending data.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from permanence import contract


class UnknownLoad(LookupError):
    pass


@dataclass
class AuditTrail:
    load_id: str
    history: pd.DataFrame
    files: pd.DataFrame
    raw_rows: pd.DataFrame
    rules: pd.DataFrame
    expectations: pd.DataFrame
    published: pd.DataFrame
    steps: pd.DataFrame
    dbt_tests: pd.DataFrame = field(default_factory=pd.DataFrame)  # status, tests, failing rows
    dbt_not_passed: pd.DataFrame = field(default_factory=pd.DataFrame)  # unique_id, status, failures
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.history["status"].iloc[-1]) if not self.history.empty else "unknown"


def _has(con, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = 'audit' "
                            "and table_name = ?", [table]).fetchone()[0])


def _has_column(con, table: str, column: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.columns where table_schema = 'audit' "
                            "and table_name = ? and column_name = ?", [table, column]).fetchone()[0])


def audit_trail(warehouse: Path, load_id: str) -> AuditTrail:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        history = con.execute("select * from audit.loads where load_id = ? order by finished_at nulls first",
                              [load_id]).df()
        if history.empty:
            raise UnknownLoad(f"no load {load_id} in {warehouse} (see audit.loads)")
        files = con.execute("""select file_name, table_name, sha256, bytes, rows_in, rows_loaded, rows_rejected
                               from audit.load_files where load_id = ? order by file_name""", [load_id]).df()
        counts = []
        for t in contract.tables():
            n = con.execute(f"select count(*) from raw.{t} where load_id = ?", [load_id]).fetchone()[0]
            if n:
                counts.append({"table": f"raw.{t}", "rows_in_raw": n})
        raw_rows = pd.DataFrame(counts, columns=["table", "rows_in_raw"])
        # source: ours (acted on at load) or dfe (the DfE's pack, return readiness); old warehouses: ours
        source = "coalesce(source, 'ours')" if _has_column(con, "validation_results", "source") else "'ours'"
        rules = con.execute(f"""select {source} as source, file_name, table_name, rule_code, rule, severity,
                                      count(*) as findings, sum(coalesce(count, 1)) as rows
                               from audit.validation_results where load_id = ?
                               group by all order by source desc, severity, rows desc, rule_code""", [load_id]).df()
        notes = []
        if _has(con, "expectation_results"):
            expectations = con.execute("""select suite, expectation, columns, success, checked_at, docs_path
                                          from audit.expectation_results where load_id = ?
                                          order by success, suite, expectation""", [load_id]).df()
        else:
            expectations = pd.DataFrame(columns=["suite", "expectation", "columns", "success"])
        if _has(con, "published_marts"):
            published = con.execute("""select table_name, rows, published_at, published_path, parquet_dir
                                       from audit.published_marts where load_id = ? order by table_name""",
                                    [load_id]).df()
        else:
            published = pd.DataFrame(columns=["table_name", "rows"])
        steps = con.execute("""select step, status, started_at, finished_at,
                                      round(epoch(finished_at - started_at), 2) as seconds,
                                      round(cpu_seconds, 2) as cpu_seconds
                               from audit.load_steps where load_id = ? order by started_at""", [load_id]).df()
        if _has(con, "dbt_results"):
            dbt_tests = con.execute("""select status, count(*) as tests, sum(coalesce(failures, 0)) as failing_rows
                                       from audit.dbt_results where load_id = ? group by all order by 1""",
                                    [load_id]).df()
            dbt_not_passed = con.execute("""select unique_id, status, failures from audit.dbt_results
                                            where load_id = ? and status <> 'pass' order by status, unique_id""",
                                         [load_id]).df()
        else:
            dbt_tests = dbt_not_passed = pd.DataFrame()
    status = str(history["status"].iloc[-1])
    if status == "published" and raw_rows.empty:
        notes.append("raw rows of this load have since been replaced or discarded")
    if status != "published" and published.empty:
        notes.append(f"status {status}: this load published nothing; the previous published copy stayed")
    return AuditTrail(load_id, history, files, raw_rows, rules, expectations, published, steps,
                      dbt_tests, dbt_not_passed, notes)


def _last(trail: AuditTrail, column: str) -> str | None:
    """The load's latest non-blank value of an audit.loads column (None on an older warehouse)."""
    if column not in trail.history.columns:
        return None
    values = trail.history[column].dropna()
    return str(values.iloc[-1]) if len(values) else None


def _dbt_line(trail: AuditTrail) -> str:
    t = trail.dbt_tests
    if t.empty:
        return "not recorded for this load"
    return ", ".join(f"{int(r.tests)} {r.status}" for r in t.itertuples())


def _html_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p><em>none</em></p>"
    return df.to_html(index=False, escape=True, na_rep="", border=0)


def _links(trail: AuditTrail, here: Path | None) -> str:
    """The load's other evidence as links relative to the HTML file, so the folder can be copied."""
    import os

    targets = []
    e = trail.expectations
    if "docs_path" in e.columns and e["docs_path"].notna().any():
        targets.append(("Data Docs of the mart checks", Path(str(e["docs_path"].dropna().iloc[0]))))
    if here is not None:
        report = here.parent / "validation.md"
        if report.is_file():
            targets.append(("Validation report", report))
    items = []
    for label, target in targets:
        href = os.path.relpath(target, here.parent) if here is not None else str(target)
        items.append(f'<li><a href="{html.escape(Path(href).as_posix())}">{html.escape(label)}</a></li>')
    return f"<ul>{''.join(items)}</ul>" if items else ""


def to_html(trail: AuditTrail, here: Path | None = None) -> str:
    h = trail.history.iloc[-1]
    e = trail.expectations
    passed = int(e["success"].sum()) if not e.empty else 0
    sections = [
        ("Load and status history (audit.loads)", _html_table(trail.history)),
        ("Steps (audit.load_steps)", _html_table(trail.steps)),
        (f"dbt data tests of the build (audit.dbt_results): {_dbt_line(trail)}",
         _html_table(trail.dbt_not_passed) if not trail.dbt_not_passed.empty else "<p>every test passed</p>"
         if not trail.dbt_tests.empty else "<p><em>none recorded</em></p>"),
        ("Source files and sha256 (audit.load_files)", _html_table(trail.files)),
        ("Rows of this load in raw, per table", _html_table(trail.raw_rows)),
        ("Validation rules that fired (audit.validation_results; counts, no values)", _html_table(trail.rules)),
        (f"Expectations on the marts (audit.expectation_results): {passed} of {len(e)} passed", _html_table(e)),
        ("Marts published by this load (audit.published_marts)", _html_table(trail.published)),
    ]
    css = ("body{font-family:Arial,sans-serif;margin:1.5rem;color:#1b1b1b}table{border-collapse:collapse;font-size:.85rem}"
           "th,td{border:1px solid #bbb;padding:2px 6px;text-align:left}th{background:#deebf7}h2{color:#1f4e79}")
    notes = "".join(f"<p><strong>Note:</strong> {html.escape(n)}</p>" for n in trail.notes)
    body = "".join(f"<h2>{html.escape(t)}</h2>{s}" for t, s in sections)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Audit trail {html.escape(trail.load_id)}"
            f"</title><style>{css}</style></head><body><h1>Audit trail of load {html.escape(trail.load_id)}</h1>"
            f"<p>LA {html.escape(str(h['la_code']))}, extract date {html.escape(str(h['extract_date']))}, drop sha256 "
            f"<code>{html.escape(str(h['drop_sha256']))}</code>, final status <strong>{html.escape(trail.status)}</strong>."
            f"</p><p>Archived drop: <code>{html.escape(_last(trail, 'archive_path') or 'not recorded')}</code>; "
            f"code: <code>{html.escape(_last(trail, 'code_version') or 'not recorded')}</code>.</p>"
            f"{_links(trail, here)}{notes}{body}</body></html>")


def print_trail(trail: AuditTrail, console) -> None:
    from rich.table import Table

    def cell(column: str, value) -> str:
        if pd.isna(value):
            return ""
        # a hash is for matching, not reading: 16 characters identify it (the HTML has it whole)
        return f"{str(value)[:16]}…" if column.endswith("sha256") else str(value)

    def show(title: str, df: pd.DataFrame, cols: list[str] | None = None) -> None:
        t = Table(title=title, title_justify="left")
        cols = cols or list(df.columns)
        for c in cols:
            t.add_column(c, overflow="fold", no_wrap=c.endswith("sha256"))
        for _, r in df.iterrows():
            t.add_row(*[cell(c, r[c]) for c in cols])
        if df.empty:
            console.print(f"[bold]{title}[/]: none")
        else:
            console.print(t)

    h = trail.history.iloc[-1]
    console.print(f"[bold]load {trail.load_id}[/] LA {h['la_code']} extract {h['extract_date']} status "
                  f"[bold]{trail.status}[/]: {h['message']}", soft_wrap=True)
    console.print(f"archived drop: {_last(trail, 'archive_path') or 'not recorded'}", soft_wrap=True)
    console.print(f"code: {_last(trail, 'code_version') or 'not recorded'}", soft_wrap=True)
    show("status history", trail.history, ["status", "started_at", "finished_at", "rows_in", "rows_loaded", "rows_rejected"])
    show("steps", trail.steps, ["step", "status", "seconds"] if not trail.steps.empty else None)
    show("source files", trail.files)
    show("rows in raw", trail.raw_rows)
    show("validation rules fired", trail.rules, ["source", "file_name", "rule_code", "severity", "findings", "rows", "rule"])
    e = trail.expectations
    show(f"expectations: {int(e['success'].sum()) if not e.empty else 0} of {len(e)} passed",
         e, ["suite", "expectation", "columns", "success"] if not e.empty else None)
    console.print(f"dbt data tests: {_dbt_line(trail)}", soft_wrap=True)
    if not trail.dbt_not_passed.empty:
        show("dbt tests not passed", trail.dbt_not_passed)
    show("marts published", trail.published, ["table_name", "rows", "published_at"] if not trail.published.empty else None)
    for n in trail.notes:
        console.print(f"note: {n}", soft_wrap=True)


def write_html(trail: AuditTrail, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_html(trail, out), encoding="utf-8")
    return out
