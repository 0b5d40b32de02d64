"""Strict date parsing and collection-year labels, vectorised.

One parser for both the row rules and the cross-file rules, so a date that fails PERM-DATE is
a null (skipped) in every cross-file rule rather than parsed differently by two engines.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

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
    parsed = pd.to_datetime(s.where(shaped), format="%d/%m/%Y", errors="coerce").to_numpy(dtype="datetime64[ns]")
    _PARSED.update(zip(text, parsed))


def parse_dates(values: pd.Series) -> pd.Series:
    """dd/mm/yyyy strings to datetime64; anything else (including '31/02/2024', '1/2/2024') is NaT."""
    # An extract repeats a few thousand distinct dates across a million rows: parse each once.
    codes, uniques = pd.factorize(values.astype("object"), use_na_sentinel=True)
    uniques = [str(u) for u in uniques]
    if len(_PARSED) > _KEEP:
        _PARSED.clear()
    new = [u for u in uniques if u not in _PARSED]
    if new:
        _parse_new(new)
    lookup = np.array([_PARSED[u] for u in uniques] + [_NAT], dtype="datetime64[ns]")
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
