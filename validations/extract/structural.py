"""Drop-level checks that quarantine the whole drop: a file we cannot read as its table."""

from __future__ import annotations

from collections import defaultdict

from permanence.contract.frames import ExtractFrame, Issue
from validations.extract.rules import rule


def _issue(ef: ExtractFrame, code: str, column: str | None = None) -> Issue:
    r = rule(code)
    return Issue(
        file_name=ef.file_name,
        table_name=ef.table.name,
        rule_code=code,
        rule=r.text,
        severity=r.severity,
        row_number=None,
        column_name=column,
    )


def structural_issues(frames: list[ExtractFrame]) -> list[Issue]:
    issues: list[Issue] = []
    by_table: dict[str, list[ExtractFrame]] = defaultdict(list)
    for ef in frames:
        by_table[ef.table.name].append(ef)
        issues += [
            _issue(ef, "PERM-COLUMN-MISSING", col)
            for col in ef.table.required_columns
            if col not in ef.frame.columns
        ]
        if ef.rows == 0:
            # No adoptions or missing episodes this year is normal; no children or no episodes is not.
            issues.append(_issue(ef, "PERM-NO-ROWS" if ef.table.may_be_empty else "PERM-EMPTY"))
    for same in by_table.values():
        if len(same) > 1:
            # Every file is named: which one is right is the data team's call, not ours.
            issues += [_issue(ef, "PERM-TABLE-TWICE") for ef in same]
    return issues
