"""validate_drop: the one entry point. Structural, then per-row (pandera), then cross-file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from permanence.extract import ExtractFrame, Issue, issues_frame
from validations.cross_file import cross_file_issues
from validations.row_rules import row_issues
from validations.structural import structural_issues


@dataclass
class ValidationOutcome:
    issues: list[Issue]
    rejected_rows: dict[str, set[int]]  # file_name -> line numbers excluded (severity 'error')
    rows_checked: int

    @property
    def structural(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "structural"]

    def bad_row_share(self) -> float:
        rejected = sum(len(rows) for rows in self.rejected_rows.values())
        return rejected / self.rows_checked if self.rows_checked else 0.0

    def frame_issues(self) -> pd.DataFrame:
        return issues_frame(self.issues)


def validate_drop(frames: list[ExtractFrame], extract_date: dt.date) -> ValidationOutcome:
    issues = structural_issues(frames)
    # A file missing a required column is quarantined with the drop; its rows are not
    # row-checked, since every row would fail the same way and bury the one real message.
    broken = {i.file_name for i in issues if i.rule_code == "PERM-COLUMN-MISSING"}
    for ef in frames:
        if ef.file_name not in broken:
            issues += row_issues(ef, extract_date)
    issues += cross_file_issues(frames)

    rejected: dict[str, set[int]] = {}
    for i in issues:
        if i.severity == "error" and i.row_number is not None:
            rejected.setdefault(i.file_name, set()).add(i.row_number)
    return ValidationOutcome(
        issues=issues,
        rejected_rows=rejected,
        rows_checked=sum(ef.rows for ef in frames),
    )
