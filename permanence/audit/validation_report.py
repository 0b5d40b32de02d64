"""The validation report of one load: what was checked, what fired, what was kept out.

Written for the data team and auditors. It names files, rows, columns and rules, never a value from
the extract: the raw files stay in the archive for anyone entitled to look.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

from permanence.contract.frames import issues_frame
from permanence.ops.security import strip_credentials

# Chain holes (validations.extract.rules.HOLE_CODES; not imported here: validations pulls in pandera).
HOLE_CODES = ("PERM-HOLE-X1", "PERM-HOLE-START")

if TYPE_CHECKING:
    from permanence.ingest.load import Ingested

DETAIL_LINES = 50


def _holes(run: Ingested) -> list[str]:
    """Chain holes by file and kind, with their lines: the children whose history has a gap."""
    holes = [i for i in run.issues if i.rule_code in HOLE_CODES]
    lines = ["", "## Chain holes", ""]
    if not holes:
        return lines + ["None: every kept episode chain is whole."]
    lines += [
        "A gap in a child's chain of episodes (a continuation missing or rejected, or a period seen "
        "starting mid-chain): that child's figures are incomplete. Lines are file lines.",
        "",
        "| file | hole | rows | lines |",
        "|---|---|---|---|",
    ]
    by: dict[tuple[str, str], list[int]] = {}
    for i in holes:
        by.setdefault((i.file_name, i.rule_code), []).append(i.row_number)
    for (file_name, code), rows in sorted(by.items()):
        shown = ", ".join(str(r) for r in sorted(rows)[:DETAIL_LINES])
        more = f" (+{len(rows) - DETAIL_LINES} more in validation.csv)" if len(rows) > DETAIL_LINES else ""
        text = next(i.rule for i in holes if i.rule_code == code)
        lines.append(f"| {file_name} | {code}: {text} | {len(rows)} | {shown}{more} |")
    return lines


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
        f"- extract date E: {drop.extract_date if drop else 'unknown'}"
        + (f" (from {drop.extract_date_from})" if drop else ""),
        f"- reporting date D: {run.as_at or (drop.extract_date if drop else 'unknown')}",
        f"- coverage start C: {(drop.coverage_start or 'whole history') if drop else 'unknown'}",
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
    if run.returns:
        lines += ["", "## Yearly returns stitched into this load", "",
                  "| return | extract date | coverage from | files | source |", "|---|---|---|---|---|"]
        lines += [f"| {r.label} | {r.extract_date} | {r.coverage_start or '-'} | {len(r.files)} | {r.source} |"
                  for r in run.returns]
        lines += ["", "The same episode in two returns is one episode: the later return's row is kept "
                  "(int_episodes__repair_audit counts them)."]
    lines += _holes(run)
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
                "as_at_date": str(run.as_at or drop.extract_date) if drop else None,
                "coverage_start": str(drop.coverage_start) if drop and drop.coverage_start else None,
                "returns": [r.label for r in run.returns],
                "rows_in": run.rows_in,
                "rows_loaded": run.rows_loaded,
                "rows_rejected": run.rows_rejected,
                "issues_by_severity": issues.groupby("severity")["count"].sum().to_dict(),
                "chain_holes": sum(1 for i in run.issues if i.rule_code in HOLE_CODES),
                "message": run.message,
            },
            indent=2,
            default=str,
        )
    )
    return out
