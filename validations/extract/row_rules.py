"""Run a table's pandera model over one file and turn failures into value-free Issues.

PRIVACY: pandera's SchemaErrors carries the failing values (failure_cases.failure_case, .data,
and its message). We read only the column, the check name and the row position, map the position
to the row number a user sees (ROW) ourselves, and never let a pandera exception or its text
escape this module. Validating by position means a repeated row number (a reader's bug, two
records of an XML export) can never break validation.
"""

from __future__ import annotations

import copy
import datetime as dt

import pandas as pd
import pandera.pandas as pa

from permanence.contract import collection_year
from permanence.contract.frames import ROW, ExtractFrame, Issue
from validations.extract.checks import RowContext, row_context
from validations.extract.dates import collection_years
from validations.extract.rules import rule
from validations.extract.schemas import MODELS

# pandera check name -> our rule code
_CHECK_RULES = {
    "not_nullable": "PERM-NULL",
    "dd_mm_yyyy": "PERM-DATE",
    "not_after_extract": "PERM-FUTURE",
    "whole_number": "PERM-INT",
    "codes_in_year": "PERM-CODE",
    "multiple_fields_uniqueness": "PERM-DUP",
    "field_uniqueness": "PERM-DUP",
}


class RowValidationFailed(Exception):
    """Validation itself broke on a file. Names the file and table only, never a value."""


def _check_rule(check: str) -> str:
    # pandera renders parametrised checks as 'codes_in_year(codes=RNE)'
    return _CHECK_RULES.get(check.split("(", 1)[0].strip(), "PERM-SCHEMA")


def _schema_for(ef: ExtractFrame) -> pa.DataFrameSchema:
    # to_schema() is cached by pandera: work on a copy so one file's tweaks don't leak.
    schema = copy.copy(MODELS[ef.table.name].to_schema())
    absent_optional = [
        c.name for c in ef.table.columns if not c.required and c.name not in ef.frame.columns
    ]
    if absent_optional:
        schema = schema.remove_columns(absent_optional)
    if schema.unique:
        schema.unique = [k for k in schema.unique if k in ef.frame.columns] or None
    # The first row with a key is kept; later copies are the ones excluded.
    schema.report_duplicates = "exclude_first"
    return schema


def _row_years(ef: ExtractFrame, extract_date: dt.date, index: pd.Index) -> pd.Series:
    default = collection_year(extract_date)
    year_col = ef.table.year_from
    if year_col and year_col in ef.frame.columns:
        # A row whose year date does not parse falls back to the extract's year; its date is
        # reported by PERM-DATE, so the code check still runs rather than silently passing.
        return collection_years(pd.Series(ef.dates(year_col), index=index), default)
    return pd.Series(default, index=index, dtype=object)


def row_issues(ef: ExtractFrame, extract_date: dt.date) -> list[Issue]:
    if ef.table.name not in MODELS or ef.rows == 0:
        return []
    frame = ef.frame.copy(deep=False)
    frame.index = pd.RangeIndex(ef.rows)  # unique by construction; mapped to ROW in _issues
    ctx = RowContext(pd.Timestamp(extract_date), _row_years(ef, extract_date, frame.index), ef)
    try:
        with row_context(ctx):
            _schema_for(ef).validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases[["column", "check", "index"]]
    except Exception:  # noqa: BLE001  (pandera messages may embed values: drop them)
        raise RowValidationFailed(
            f"row validation failed on {ef.file_name} ({ef.table.name})"
        ) from None
    return _issues(ef, failures)


def _issues(ef: ExtractFrame, failures: pd.DataFrame) -> list[Issue]:
    failures = failures[failures["index"].notna()]
    rows = ef.frame[ROW].to_numpy()
    key_columns = ", ".join(ef.table.key)
    out = []
    seen: set[tuple] = set()
    for column, check, index in failures.itertuples(index=False, name=None):
        code = _check_rule(str(check))
        r = rule(code)
        # Uniqueness failures name each key column; one issue per row is enough.
        col = key_columns if code == "PERM-DUP" else column
        row = int(rows[int(index)])
        key = (code, row, col)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            Issue(
                file_name=ef.file_name,
                table_name=ef.table.name,
                rule_code=code,
                rule=r.text,
                severity=r.severity_for(ef.table.name, column),
                row_number=row,
                column_name=col,
            )
        )
    return out
