"""Shared shapes passed between pipeline steps: one extract file as a frame, and a finding about it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from permanence.contract import Table

ROW = "_row"  # line number in the source file (the header is line 1), as a user sees it in Excel

SEVERITIES = ("structural", "error", "warning")
ISSUE_COLUMNS = [
    "file_name",
    "table_name",
    "rule_code",
    "rule",
    "severity",
    "row_number",
    "column_name",
    "count",
]


@dataclass
class ExtractFrame:
    """One table read from one file of a drop.

    `frame` holds the contract's columns that the file has, as strings (None for blank), codes
    upper-cased, plus ROW. Columns the contract does not know are dropped by the reader and
    reported as a warning.
    """

    table: Table
    file_name: str
    frame: pd.DataFrame

    @property
    def rows(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class Issue:
    """One validation finding. Never carries a value from the extract: only where and which rule."""

    file_name: str
    table_name: str | None
    rule_code: str
    rule: str
    severity: str  # structural | error | warning
    row_number: int | None = None
    column_name: str | None = None
    count: int = 1

    def line(self) -> str:
        where = self.file_name
        if self.row_number is not None:
            where += f", row {self.row_number}"
        if self.column_name:
            where += f", column {self.column_name}"
        return f"{where}: rule {self.rule_code} ({self.rule}) [{self.severity}]"


def issues_frame(issues: list[Issue]) -> pd.DataFrame:
    return pd.DataFrame([i.__dict__ for i in issues], columns=ISSUE_COLUMNS)


class StructuralError(Exception):
    """A drop that cannot be trusted at all: it is quarantined and nothing new is published."""

    def __init__(self, issue: Issue):
        super().__init__(issue.line())
        self.issue = issue
