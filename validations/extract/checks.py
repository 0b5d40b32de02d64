"""Custom pandera checks used by the models in schemas.py, and the context they read.

A check in a DataFrameModel is fixed when the class is built, but two of ours depend on the
run: the extract date (nothing may be dated after it) and each row's collection year (which
code list applies). Both are run data, not model data, so the engine sets them in a
ContextVar around validation instead of building a model per run or per year.

Every check is vectorised (element_wise=False): at 1.5 million episodes a per-element Python
call would cost more than the rest of validation together.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandera.extensions import register_check_method

from permanence.contract import codelists
from permanence.contract.frames import ExtractFrame
from validations.extract.dates import parse_dates


@dataclass(frozen=True)
class RowContext:
    extract_date: pd.Timestamp
    years: pd.Series  # collection-year label per row, indexed like the frame being validated
    source: ExtractFrame | None = None  # the file being validated: its dates are parsed once

    def dates(self, series: pd.Series) -> pd.Series:
        """`series` parsed as dates, taken from the file's shared parse (ExtractFrame.dates).

        The engine validates a frame indexed by row position (row_rules), and pandera hands a
        check the column's non-null values only, so the parse is gathered by position; a series
        that cannot be matched position for position is parsed itself."""
        ef = self.source
        if ef is not None and series.name in ef.frame.columns:
            if series.index.equals(pd.RangeIndex(ef.rows)):  # the whole column: no gather
                return pd.Series(ef.dates(series.name), index=series.index)
            pos = series.index.to_numpy()
            if pos.dtype.kind in "iu" and (len(pos) == 0 or (pos.min() >= 0 and pos.max() < ef.rows)):
                return pd.Series(ef.dates(series.name)[pos], index=series.index)
        return parse_dates(series)

    def year_codes(self, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        """(per-row position into labels, distinct year labels), aligned to `index`."""
        years = self.years if self.years.index.equals(index) else self.years.reindex(index)
        return pd.factorize(years)


_CONTEXT: ContextVar[RowContext | None] = ContextVar("validation_row_context", default=None)


@contextlib.contextmanager
def row_context(ctx: RowContext):
    token = _CONTEXT.set(ctx)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def _context() -> RowContext:
    ctx = _CONTEXT.get()
    if ctx is None:
        raise RuntimeError("validation checks need a row_context (use validations.validate_drop)")
    return ctx


def _present(series: pd.Series) -> np.ndarray:
    return series.notna().to_numpy()


@register_check_method(check_type="vectorized")
def dd_mm_yyyy(series: pd.Series) -> pd.Series:
    return pd.Series(~_present(series) | _context().dates(series).notna().to_numpy(), index=series.index)


@register_check_method(check_type="vectorized")
def not_after_extract(series: pd.Series) -> pd.Series:
    # Unparseable dates pass here: PERM-DATE already reports them, once.
    parsed = _context().dates(series)
    ok = parsed.isna() | (parsed <= _context().extract_date)
    return pd.Series(ok.to_numpy(), index=series.index)


@register_check_method(check_type="vectorized")
def whole_number(series: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(series.astype("object"), use_na_sentinel=True)
    ok_unique = pd.Series(uniques, dtype="object").str.fullmatch(r"[+-]?\d+").fillna(False).to_numpy(bool)
    ok = np.ones(len(codes), dtype=bool)  # blanks pass: PERM-NULL owns them
    ok[codes >= 0] = ok_unique[codes[codes >= 0]]
    return pd.Series(ok, index=series.index)


@register_check_method(statistics=["codes"], check_type="vectorized")
def codes_in_year(series: pd.Series, *, codes: str) -> pd.Series:
    """Valid when the code is in list `codes` for the collection year of its own row."""
    year_pos, year_labels = _context().year_codes(series.index)
    value_pos, values = pd.factorize(series, use_na_sentinel=True)
    code_list = codelists()[codes]
    # A small (years x distinct values) table of validity, then one gather for all rows.
    distinct = np.asarray(values, dtype=object).tolist()
    valid = np.array(
        [[v in allowed for v in distinct] for allowed in map(code_list.valid_for, year_labels)], dtype=bool
    ).reshape(len(year_labels), len(values))
    ok = np.ones(len(series), dtype=bool)  # blanks pass: PERM-NULL owns them
    present = value_pos >= 0
    ok[present] = valid[year_pos[present], value_pos[present]]
    return pd.Series(ok, index=series.index)
