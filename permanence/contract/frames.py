"""Shared shapes passed between pipeline steps: one extract file as a frame, and a finding about it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from permanence.contract import Table

# Where a row is in its file, as a user finds it: a CSV's line number (the header is line 1, as
# in Excel); an XML export's record number (docs/extract-contract.md, "903 XML export").
ROW = "_row"


def arrow_text(values: pd.Series) -> pa.Array | None:
    """A text column pandas holds in Arrow (as the reader leaves it) as one Arrow array, with no copy
    to Python objects; None for a column held any other way."""
    if not isinstance(values.array, pd.arrays.ArrowStringArray):
        return None
    arr = pa.array(values.array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


SEVERITIES = ("structural", "error", "repair", "warning")
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
    # Parsed date columns, by column name, in the frame's row order. Row rules, cross-file rules
    # and the typed load all need the same parse; a national run would otherwise parse each date
    # column four times.
    parsed_dates: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def rows(self) -> int:
        return len(self.frame)

    def dates(self, column: str) -> np.ndarray:
        """`column` as datetime64 (NaT where blank or not a valid dd/mm/yyyy), parsed once per file."""
        if column not in self.parsed_dates:
            from validations.extract.dates import parse_dates

            self.parsed_dates[column] = parse_dates(self.frame[column]).to_numpy()
        return self.parsed_dates[column]


@dataclass(frozen=True)
class Issue:
    """One validation finding. Never carries a value from the extract: only where and which rule."""

    file_name: str
    table_name: str | None
    rule_code: str
    rule: str
    severity: str  # structural | error | repair | warning
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
