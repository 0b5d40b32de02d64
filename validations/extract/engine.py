"""validate_drop: the one entry point. Structural, then per-row (pandera), then cross-file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from permanence.contract import collection_year
from permanence.contract.frames import ROW, ExtractFrame, Issue, issues_frame
from validations.extract.cross_file import cross_file_issues
from validations.extract.row_rules import row_issues
from validations.extract.rules import rule
from validations.extract.structural import structural_issues


@dataclass
class ValidationOutcome:
    issues: list[Issue]
    # file_name -> line numbers excluded (severity 'error'); a 'repair' row is kept and loaded,
    # so it never counts towards the bad-row threshold.
    rejected_rows: dict[str, set[int]]
    rows_checked: int

    @property
    def structural(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "structural"]

    def bad_row_share(self) -> float:
        rejected = sum(len(rows) for rows in self.rejected_rows.values())
        return rejected / self.rows_checked if self.rows_checked else 0.0

    def frame_issues(self) -> pd.DataFrame:
        return issues_frame(self.issues)


def validate_drop(frames: list[ExtractFrame], extract_date: dt.date, year: str | None = None) -> ValidationOutcome:
    """`year`: the collection year ('2024-25') the DfE's year-bound rules judge; by default the
    year of the extract date."""
    issues = structural_issues(frames)
    # A file missing a required column is quarantined with the drop; its rows are not
    # row-checked, since every row would fail the same way and bury the one real message.
    broken = {i.file_name for i in issues if i.rule_code == "PERM-COLUMN-MISSING"}
    for ef in frames:
        if ef.file_name not in broken:
            issues += _episode_duplicates_repaired(ef, row_issues(ef, extract_date))
    issues += cross_file_issues(frames, _rejected(issues), year or collection_year(extract_date))
    return ValidationOutcome(
        issues=issues,
        rejected_rows=_rejected(issues),
        rows_checked=sum(ef.rows for ef in frames),
    )


def _rejected(issues: list[Issue]) -> dict[str, set[int]]:
    rejected: dict[str, set[int]] = {}
    for i in issues:
        if i.severity == "error" and i.row_number is not None:
            rejected.setdefault(i.file_name, set()).add(i.row_number)
    return rejected


def _episode_duplicates_repaired(ef: ExtractFrame, issues: list[Issue]) -> list[Issue]:
    """Two episodes of a child starting the same day are repair 1 of docs/measures.md#repairs (dbt keeps one), so both
    are loaded; only an exact copy of an earlier row is rejected, which loses nothing."""
    if ef.table.name != "episodes" or not any(i.rule_code == "PERM-DUP" for i in issues):
        return issues
    data = [c for c in ef.frame.columns if c != ROW]
    copies = set(ef.frame.loc[ef.frame[data].astype(object).duplicated(keep="first"), ROW].tolist())
    r = rule("PERM-DUP-START")
    return [
        Issue(i.file_name, i.table_name, r.code, r.text, r.severity, i.row_number, i.column_name)
        if i.rule_code == "PERM-DUP" and i.row_number not in copies else i
        for i in issues
    ]
