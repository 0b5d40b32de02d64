"""Day arithmetic on ordinals, DfE date text, and code lists picked by collection year."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from permanence.contract import codelists, collection_year

YEAR = 365.25


@lru_cache(maxsize=None)
def fmt(day: int | None) -> str:
    """dd/mm/yyyy for an ordinal day; blank for None (a null in the extract)."""
    if day is None:
        return ""
    return dt.date.fromordinal(day).strftime("%d/%m/%Y")


@lru_cache(maxsize=None)
def year_of(day: int) -> str:
    return collection_year(dt.date.fromordinal(day))


def birthday(dob: int, years: int) -> int:
    d = dt.date.fromordinal(dob)
    try:
        return d.replace(year=d.year + years).toordinal()
    except ValueError:  # 29 February: the birthday falls on 1 March
        return dt.date(d.year + years, 3, 1).toordinal()


def age(dob: int, day: int) -> float:
    return (day - dob) / YEAR


@lru_cache(maxsize=None)
def valid_codes(list_name: str, year: str) -> frozenset[str]:
    return codelists()[list_name].valid_for(year)


def usable(list_name: str, code: str, day: int, extract_day: int) -> bool:
    """A code may start on `day` when it is valid then and still valid at the extract date.

    Requiring both ends keeps a placement that starts under an old code from having to be
    re-coded when a later legal-status change opens a new episode in a year that retired it.
    """
    return usable_in(list_name, code, year_of(day), year_of(extract_day))


def usable_in(list_name: str, code: str, year: str, extract_year: str) -> bool:
    return code in valid_codes(list_name, year) and code in valid_codes(list_name, extract_year)


def sex_code(male: bool | None, extract_day: int) -> str:
    """The header SEX code for the extract's collection year: 1/2 before 2024-25, then M/F/U."""
    valid = valid_codes("SEX", year_of(extract_day))
    options = {True: ("1", "M"), False: ("2", "F"), None: ("U",)}[male]
    for code in options:
        if code in valid:
            return code
    return next(c for c in ("1", "M") if c in valid)
