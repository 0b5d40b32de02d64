"""The byte-wise date parses (validations/extract/dates.py) against pandas' own, the reference they
stand in for: the strict parse PERM-DATE uses, and the DfE rules' lenient one. Each reads a column
held in Arrow (as the reader leaves it) from its bytes, and anything unusual through pandas; both
paths must give what pandas gives, and the file's first line what str.splitlines() gives."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from permanence.ingest.read import _first_line
from validations.extract.cross_file import dfe_dates
from validations.extract.dates import parse_dates

ODD = [
    "29/02/1900", "29/02/2000", "29/02/2023", "29/02/2024", "31/04/2024", "31/12/2024", "00/01/2024",
    "01/00/2024", "32/01/2024", "01/13/2024", "1/2/2020", "01/2/2020", "1/02/2020", " 01/02/2020",
    "01/02/2020 ", "01-02-2020", "2020-02-01", "01/02/20", "01/02/020", "01/02/20200", "0a/02/2020",
    "+1/02/2020", "-1/02/2020", "٠١/٠٢/٢٠٢٠", "０１/０２/２０２０", "01/02/２０２０", "01//02/2020",
    "01/02/1677", "31/12/1677", "01/01/1678", "31/12/2261", "01/01/2262", "01/01/1500", "31/12/9999",
    "01/01/0000", "01/01/0999", "é1/02/2020", "01/02/2020\n", "", " ", "soon", None,
]


def _every_day(years: range) -> list[str]:
    days = pd.date_range(f"{years.start}-01-01", f"{years.stop - 1}-12-31", freq="D")
    return list(days.strftime("%d/%m/%Y"))


def _strict_reference(text: list) -> np.ndarray:
    """What PERM-DATE takes as a date: pandas' parse of 'dd/mm/yyyy', in the years it holds in ns."""
    s = pd.Series(text, dtype=object)
    shaped = s.str.fullmatch(r"\d{2}/\d{2}/\d{4}").fillna(False).astype(bool)
    parsed = pd.to_datetime(s.where(shaped), format="%d/%m/%Y", errors="coerce")
    return parsed.where(parsed.dt.year.between(1678, 2261)).to_numpy(dtype="datetime64[ns]")


def _lenient_reference(text: list) -> np.ndarray:
    return pd.to_datetime(pd.Series(text, dtype=object), format="%d/%m/%Y", errors="coerce").to_numpy(
        dtype="datetime64[us]")


SAMPLES = {
    "odd": ODD,
    "every day of two leap cycles": _every_day(range(1999, 2005)),
    "the edges of the years held": _every_day(range(1678, 1679)) + _every_day(range(2261, 2262)),
}


@pytest.mark.parametrize("arrow", [True, False], ids=["arrow", "object"])
@pytest.mark.parametrize("sample", list(SAMPLES))
def test_the_strict_parse_is_pandas_strict_parse(sample, arrow):
    text = SAMPLES[sample]
    values = pd.Series(text, dtype="string[pyarrow]" if arrow else object)
    got = parse_dates(values).to_numpy(dtype="datetime64[ns]")
    np.testing.assert_array_equal(got, _strict_reference(text))


@pytest.mark.parametrize("arrow", [True, False], ids=["arrow", "object"])
def test_the_dfe_parse_is_pandas_lenient_parse(arrow):
    # the DfE validator's reading: one-digit days and months are dates too; years pandas holds in us
    text = [t for t in ODD if t is None or not t.strip() or t[-4:].isdigit() and 1678 <= int(t[-4:]) <= 2261]
    text += _every_day(range(2023, 2025))
    values = pd.Series(text, dtype="string[pyarrow]" if arrow else object)
    np.testing.assert_array_equal(dfe_dates(values), _lenient_reference(text))


def test_a_column_parsed_twice_reads_the_same_as_once():
    # the strict parse keeps what pandas made of odd strings for the process: the second read of a
    # column (the next drop's) must not differ from the first
    text = ODD * 3
    first = parse_dates(pd.Series(text, dtype="string[pyarrow]")).to_numpy()
    again = parse_dates(pd.Series(text, dtype="string[pyarrow]")).to_numpy()
    np.testing.assert_array_equal(first, again)


LINE_BREAKS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("text", [
    "", " ", "\n", "\n\nCHILD", "CHILD,DOB", " CHILD,DOB \n1,2",
    *(f"CHILD,DOB{a}1,2{b}" for a, b in itertools.product(LINE_BREAKS, ["", "\n"])),
])
def test_the_header_line_is_the_first_line_splitlines_gives(text):
    expected = text.splitlines()[0] if text.strip() else ""
    assert _first_line(text) == expected
