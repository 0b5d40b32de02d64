"""Strict date parsing and collection-year labels, vectorised.

One parser for both the row rules and the cross-file rules, so a date that fails PERM-DATE is
a null (skipped) in every cross-file rule rather than parsed differently by two engines.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from permanence.contract.frames import arrow_text

_DD_MM_YYYY = r"\d{2}/\d{2}/\d{4}"


# Each date string's parse, kept for the process: a drop's date columns share a few thousand
# dates, and so do the next drop's. Bounded: cleared when it grows past _KEEP entries.
_PARSED: dict[str, np.datetime64] = {}
_KEEP = 200_000
_NAT = np.datetime64("NaT", "ns")


def _parse_new(text: list[str]) -> None:
    s = pd.Series(text, dtype="object")
    shaped = s.str.fullmatch(_DD_MM_YYYY).fillna(False).astype(bool)
    # An explicit format rejects impossible calendar dates; errors='coerce' makes them NaT
    # instead of raising with the offending value in the message.
    parsed = pd.to_datetime(s.where(shaped), format="%d/%m/%Y", errors="coerce")
    # A year datetime64[ns] cannot hold would wrap round into another (01/01/1500 read as a day in
    # 2084): a typing error, never a child's date, so it fails as any impossible date does.
    parsed = parsed.where(parsed.dt.year.between(*_FAST_YEARS)).to_numpy(dtype="datetime64[ns]")
    _PARSED.update(zip(text, parsed))


def _parse_cached(uniques: list) -> np.ndarray:
    """Each distinct value parsed by pandas, through the process-wide cache."""
    uniques = [str(u) for u in uniques]
    if len(_PARSED) > _KEEP:
        _PARSED.clear()
    new = [u for u in uniques if u not in _PARSED]
    if new:
        _parse_new(new)
    return np.array([_PARSED[u] for u in uniques], dtype="datetime64[ns]")


# Years whose dates datetime64[ns] holds: the byte-wise parse reads these; a date of any other
# year goes through pandas, and fails (_parse_new).
_FAST_YEARS = (1678, 2261)
_DIGITS = [0, 1, 3, 4, 6, 7, 8, 9]  # byte positions of 'dd/mm/yyyy' that must be ASCII digits


def _ten_bytes(uniques: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(mask of the strings 10 bytes long, their bytes as an n x 10 uint8 matrix)."""
    text = uniques.cast(pa.binary())
    ten = pc.equal(pc.binary_length(text), 10).to_numpy(zero_copy_only=False)
    fixed = text.filter(pa.array(ten)).cast(pa.binary(10))
    raw = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)
    return ten, raw[fixed.offset * 10:(fixed.offset + len(fixed)) * 10].reshape(-1, 10)


def _parse_shaped(day: np.ndarray, month: np.ndarray, year: np.ndarray) -> np.ndarray:
    """pandas' strict '%d/%m/%Y' parse of dates already cut into numbers: a day or month out of
    range is NaT, as pandas makes it."""
    month_ok = (month >= 1) & (month <= 12)
    first = ((year - 1970) * 12 + np.where(month_ok, month - 1, 0)).astype("datetime64[M]")
    days = first.astype("datetime64[D]") + (day - 1)
    ok = month_ok & (day >= 1) & (days.astype("datetime64[M]") == first)
    return np.where(ok, days.astype("datetime64[ns]"), _NAT)


def usual_dates(uniques: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(mask of the strings in ASCII 'dd/mm/yyyy' of a year in _FAST_YEARS, their parse as
    datetime64[ns]), computed from their bytes: a regex or a value at a time cost more than the
    rest of the parse. For these strings pandas' '%d/%m/%Y' parse, strict or the DfE's, is the same."""
    ten, raw = _ten_bytes(uniques)
    digit = raw.astype(np.int64) - ord("0")
    shaped = ((digit[:, _DIGITS] >= 0) & (digit[:, _DIGITS] <= 9)).all(axis=1)
    shaped &= (raw[:, 2] == ord("/")) & (raw[:, 5] == ord("/"))
    day, month = digit[:, 0] * 10 + digit[:, 1], digit[:, 3] * 10 + digit[:, 4]
    year = digit[:, 6] * 1000 + digit[:, 7] * 100 + digit[:, 8] * 10 + digit[:, 9]
    usual = shaped & (year >= _FAST_YEARS[0]) & (year <= _FAST_YEARS[1])
    fast = np.zeros(len(uniques), dtype=bool)
    fast[ten] = usual
    return fast, _parse_shaped(day[usual], month[usual], year[usual])


def _parse_distinct(uniques: pa.Array) -> np.ndarray:
    """The parse of each distinct string: the usual ones in numpy, anything else through pandas,
    value by value as before."""
    fast, parsed = usual_dates(uniques)
    out = np.empty(len(uniques), dtype="datetime64[ns]")
    out[fast] = parsed
    if not fast.all():
        out[~fast] = _parse_cached(uniques.filter(pa.array(~fast)).to_pylist())
    return out


def distinct_text(values: pd.Series) -> tuple[np.ndarray, pa.Array] | None:
    """(each row's position in the distinct values, -1 for blank; the distinct values) of a column
    pandas holds in Arrow, encoded there; None for any other column."""
    arr = arrow_text(values)
    if arr is None:
        return None
    encoded = pc.dictionary_encode(arr)
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), encoded.dictionary


def parse_dates(values: pd.Series) -> pd.Series:
    """dd/mm/yyyy strings to datetime64; anything else (including '31/02/2024', '1/2/2024') is NaT."""
    # An extract repeats a few thousand distinct dates across a million rows: parse each once.
    encoded = distinct_text(values)
    if encoded is not None:
        codes, uniques = encoded
        lookup = _parse_distinct(uniques)
    else:
        codes, uniques = pd.factorize(values.astype("object"), use_na_sentinel=True)
        lookup = _parse_cached(list(uniques))
    lookup = np.append(lookup, _NAT)
    return pd.Series(lookup[codes], index=values.index)  # code -1 (blank) picks the trailing NaT


def collection_years(dates: pd.Series, fallback: str) -> pd.Series:
    """Collection-year label ('2023-24') of each date; `fallback` where the date is missing."""
    years = dates.dt.year.to_numpy(dtype="float64", na_value=np.nan)
    months = dates.dt.month.to_numpy(dtype="float64", na_value=np.nan)
    start = years - (months < 4)
    out = np.full(len(dates), fallback, dtype=object)
    known = ~np.isnan(start)
    if known.any():
        starts = start[known].astype(int)
        # Few distinct years: label each once rather than formatting every row.
        uniq, inverse = np.unique(starts, return_inverse=True)
        labels = np.array([f"{s}-{(s + 1) % 100:02d}" for s in uniq], dtype=object)
        out[known] = labels[inverse]
    return pd.Series(out, index=dates.index)


def as_timestamp(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)
