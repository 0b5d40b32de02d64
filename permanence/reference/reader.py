"""Generic reader for published CSV files (DfE explore-education-statistics, ONS, DfE lookups).

Handles the quirks of the published shapes once, for every family:
- UTF-8 with or without a byte-order mark (falls back to cp1252 for old Excel exports);
- header and label whitespace (``"Close "``), blank trailing header cells (a trailing comma);
- duplicate column names (the 2021 neighbours model repeats ``SNP``): the second becomes
  ``snp__2``, the third ``snp__3``, ...;
- suppression markers c, z, x, k, low, u (and ``:``) -> no value plus a suppression code;
- numbers with thousands separators (``"12,183"``).

Column names are normalised for matching: stripped, lower-cased, runs of whitespace collapsed to
one space. Cell values are stripped strings ('' for blank).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

SUPPRESSION_CODES = {
    "c": "c",  # confidential / suppressed
    "z": "z",  # not applicable
    "x": "x",  # not available
    "k": "k",  # below 0.5% (rounds to 0)
    "low": "low",  # below 0.5%, older releases
    "u": "u",  # low reliability
    ":": "x",  # not available, ONS style
}


@dataclass
class Table:
    """A published file read as strings: normalised column names and one dict per row."""

    columns: list[str]
    rows: list[dict[str, str]]


def normalise_name(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("\ufeff", "")).strip().lower()


def normalise_label(label: str) -> str:
    """A label for keyword matching: lower-case, single spaces, no surrounding whitespace."""
    return re.sub(r"\s+", " ", label or "").strip().lower()


def dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}__{seen[n]}")
    return out


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def read_header(data: bytes) -> list[str]:
    """Normalised, deduplicated column names of a CSV (first line only); [] if not readable as CSV."""
    text = decode(data[: 1 << 16])
    first = text.splitlines()[0] if text.strip() else ""
    try:
        cells = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return []
    names = [normalise_name(c) for c in cells]
    while names and names[-1] == "":
        names.pop()
    return dedupe(names)


def read_table(data: bytes) -> Table:
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return Table([], [])
    names = dedupe([normalise_name(c) for c in header])
    keep = [i for i, n in enumerate(names) if n != ""]
    columns = [names[i] for i in keep]
    rows = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        rows.append({names[i]: (cells[i].strip() if i < len(cells) else "") for i in keep})
    return Table(columns, rows)


def parse_number(text: str | None) -> tuple[float | None, str | None]:
    """(value, suppression): '1,234' -> (1234.0, None); 'c' -> (None, 'c'); '' -> (None, None).

    Anything else that is not a number is reported as not available ('x').
    """
    s = (text or "").strip()
    if s == "":
        return None, None
    code = SUPPRESSION_CODES.get(s.lower())
    if code:
        return None, code
    try:
        return float(s.replace(",", "")), None
    except ValueError:
        return None, "x"


def year_ending(time_period: str) -> int | None:
    """DfE time_period as the calendar year the collection year ends in.

    '2025' (reporting year ending 31 March 2025) -> 2025; '202425' (academic/financial style) -> 2025.
    """
    s = (time_period or "").strip()
    if re.fullmatch(r"\d{4}", s):
        return int(s)
    if re.fullmatch(r"\d{6}", s):
        return int(s[:4]) + 1
    if re.fullmatch(r"\d{4}-\d{2}", s):
        return int(s[:4]) + 1
    return None


def period_label(year_end: int) -> str:
    """Collection year label: 2025 (year ending 31 March 2025) -> '2024-25'."""
    return f"{year_end - 1}-{year_end % 100:02d}"


def la_code(text: str | None) -> str | None:
    """DfE old 3-digit LA code, or None for blank, 'x' or combined codes like '940 / 941'."""
    s = (text or "").strip()
    return s if re.fullmatch(r"\d{3}", s) else None


GEOGRAPHIC_LEVELS = {"national": "national", "regional": "regional", "local authority": "local_authority"}


def geographic_level(text: str | None) -> str | None:
    return GEOGRAPHIC_LEVELS.get(normalise_label(text or ""))
