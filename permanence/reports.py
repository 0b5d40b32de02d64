"""The validation report of one load: what was checked, what fired, what was kept out.

Written for the data team and auditors. It names files, rows, columns and rules, never a value from
the extract: the raw files stay in the archive for anyone entitled to look.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

from permanence.extract import issues_frame
from permanence.security import strip_credentials

if TYPE_CHECKING:
    from permanence.pipeline import Ingested

DETAIL_LINES = 50


def _md(text) -> str:
    """A file name (the LA's, so untrusted) as inert Markdown: rendered to HTML it stays text."""
    return html.escape(str(text)).replace("|", "&#124;")


def write_validation_report(reports_dir: Path, load_id: str, run: Ingested, status: str) -> Path:
    out = reports_dir / load_id
    out.mkdir(parents=True, exist_ok=True)
    issues = issues_frame(run.issues)
    issues.to_csv(out / "validation.csv", index=False)

    summary = (
        issues.groupby(["file_name", "rule_code", "rule", "severity"], dropna=False)["count"]
        .sum()
        .reset_index()
        .sort_values(["severity", "count"], ascending=[True, False])
    )
    drop = run.drop
    lines = [
        f"# Validation report: load {load_id}",
        "",
        f"- LA: {run.la_code}",
        f"- source: {_md(strip_credentials(run.source))}",
        f"- extract date: {drop.extract_date if drop else 'unknown'}",
        f"- drop sha256: {drop.drop_sha256 if drop else 'n/a'}",
        f"- archived at: {drop.folder if drop else 'n/a'}",
        f"- status: **{status}**",
        f"- rows read: {run.rows_in}; rows loaded: {run.rows_loaded}; rows rejected: {run.rows_rejected}",
        f"- message: {run.message or '-'}",
        "",
        "## Files",
        "",
        "| file | table | sha256 | rows | rejected |",
        "|---|---|---|---|---|",
    ]
    for f in drop.files if drop else []:
        lines.append(
            f"| {_md(f.name)} | {run.tables_per_file.get(f.name, '-')} | `{f.sha256[:16]}…` | "
            f"{run.rows_per_file.get(f.name, 0)} | {len(run.rejected_rows.get(f.name, ()))} |"
        )
    lines += ["", "## Rules that fired", ""]
    if summary.empty:
        lines.append("None.")
    else:
        lines += ["| file | rule | description | severity | rows |", "|---|---|---|---|---|"]
        for r in summary.itertuples():
            lines.append(f"| {_md(r.file_name)} | {r.rule_code} | {r.rule} | {r.severity} | {r.count} |")
        lines += ["", f"## First {DETAIL_LINES} findings (all are in validation.csv)", ""]
        lines += [f"- {_md(i.line())}" for i in run.issues[:DETAIL_LINES]]
    (out / "validation.md").write_text("\n".join(lines) + "\n")
    (out / "summary.json").write_text(
        json.dumps(
            {
                "load_id": load_id,
                "la_code": run.la_code,
                "status": status,
                "extract_date": str(drop.extract_date) if drop else None,
                "rows_in": run.rows_in,
                "rows_loaded": run.rows_loaded,
                "rows_rejected": run.rows_rejected,
                "issues_by_severity": issues.groupby("severity")["count"].sum().to_dict(),
                "message": run.message,
            },
            indent=2,
            default=str,
        )
    )
    return out
