"""Read a drop's files into contract-shaped frames, recognising each table by its header row.

Every CMS names its export files differently, so a file's name says nothing: the header row (or,
for the 903 XML export, the element names) decides which contract table it holds. Files come as
real exports do: with or without a BOM, CRLF line endings, blank or comma-only trailing rows,
codes in any case, and columns we do not know (reported as warnings and not loaded). A file
whose header matches no contract table is archived with the drop, reported as a warning and not
loaded. A drop must hold its Header and Episodes tables, and only its own regular, readable files.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from permanence import contract
from permanence.ingest.distinct import map_distinct
from permanence.contract.frames import ROW, ExtractFrame, Issue, StructuralError, arrow_text
from validations.extract.rules import rule

DATA_SUFFIXES = {".csv", ".txt", ".xml"}
MANIFEST = "manifest.json"  # read by permanence.ingest.pull, not a table
REQUIRED_TABLES = ("header", "episodes")  # no care history can be built without both
MIN_HEADER_MATCH = 0.6  # share of a table's columns a header must name to be recognised as it


def _structural(file_name: str, code: str, detail: str | None = None, row: int | None = None,
                table: str | None = None) -> StructuralError:
    r = rule(code)
    return StructuralError(Issue(file_name, table, code, detail or r.text, r.severity, row))


def identify_table(header: list[str]) -> contract.Table | None:
    """The contract table whose columns this header names best, or None."""
    names = {h.strip().strip('"').upper() for h in header if h and h.strip()}
    best, best_score = None, (0.0, 0)
    for t in contract.tables().values():
        cols = {c.upper() for c in t.column_names}
        matched = len(cols & names)
        score = (matched / len(cols), matched)
        if matched >= 2 and score[0] >= MIN_HEADER_MATCH and score > best_score:
            best, best_score = t, score
    return best


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        raise _structural(path.name, "PERM-UNREADABLE") from None


def _unrecognised(file_name: str) -> Issue:
    r = rule("PERM-UNRECOGNISED")
    return Issue(file_name, None, r.code, r.text, r.severity)


def _decode(path: Path) -> str:
    raw = _read_bytes(path)
    if b"\x00" in raw[:4096]:
        raise _structural(path.name, "PERM-ENCODING", "file is not UTF-8 text (binary or UTF-16)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _structural(path.name, "PERM-ENCODING") from None


def _clean(value, upper: bool) -> str | None:
    text = str(value).strip()
    return (text.upper() if upper else text) or None


def _clean_arrow(arr: pa.Array, upper: bool) -> pa.Array:
    """_clean on a column pandas holds in Arrow, in Arrow's kernels: a national run reads 8.5 M
    rows, and a value at a time in Python was a tenth of a small drop's validation. The same result
    and dtype (tests/test_readers.py), but for upper-casing outside ASCII ('ß'), which no code has."""
    arr = pc.utf8_trim_whitespace(arr)
    if upper:
        arr = pc.utf8_upper(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def _normalise(df: pd.DataFrame, t: contract.Table) -> pd.DataFrame:
    """Strip cells, blank -> None, codes upper-case; drop rows that are entirely blank."""
    present = np.zeros(len(df), dtype=bool)
    for name in df.columns:
        if name == ROW:
            continue
        upper = t.column(name).kind == "code"
        values = df[name]
        arr = arrow_text(values)
        if arr is not None:
            arr = _clean_arrow(arr, upper)
            df[name] = pd.Series(pd.arrays.ArrowStringArray(arr, dtype=values.dtype), index=values.index)
            present |= pc.is_valid(arr).to_numpy(zero_copy_only=False)
        else:
            df[name] = map_distinct(values, lambda u, upper=upper: [_clean(v, upper) for v in u])
            present |= df[name].notna().to_numpy()
    # Most files have no blank row: the frame is then kept as it is rather than copied.
    if present.all() and df.index.equals(pd.RangeIndex(len(df))):
        return df
    return df[present].reset_index(drop=True)


# What str.splitlines() ends a line at.
_LINE_END = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _first_line(text: str) -> str:
    """text.splitlines()[0], "" for a blank text, without splitting (and copying) the whole file."""
    if not text or text.isspace():
        return ""
    end = _LINE_END.search(text)
    return text if end is None else text[:end.start()]


def read_csv_file(path: Path) -> tuple[ExtractFrame | None, list[Issue]]:
    """The file's table, or None with a PERM-UNRECOGNISED warning when its header names none."""
    text = _decode(path)
    first_line = _first_line(text)
    if not first_line.strip():
        raise _structural(path.name, "PERM-EMPTY", "file is empty: no header row")
    try:
        header = next(csv.reader([first_line]))
    except csv.Error:  # the csv module's 128 KB field limit: no header cell of a 903 file comes near it
        raise _structural(path.name, "PERM-FIELD-SIZE", row=1) from None
    t = identify_table(header)
    if t is None:
        return None, [_unrecognised(path.name)]
    by_upper = {c.upper(): c for c in t.column_names}
    # Blank lines are kept while parsing so that index + 2 is the line number a user sees.
    try:
        df = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            header=0,
            on_bad_lines="error",
        )
    except pd.errors.ParserError as exc:
        # pandas says "Expected N fields in line L, saw M": keep the line, never the content.
        line = re.search(r"line (\d+)", str(exc))
        raise _structural(path.name, "PERM-MALFORMED", row=int(line.group(1)) if line else None, table=t.name) from None
    issues: list[Issue] = []
    rename, keep = {}, []
    for col in df.columns:
        canon = by_upper.get(str(col).strip().upper())
        if canon is None or canon in keep:
            extra = rule("PERM-EXTRA-COLUMN")
            issues.append(Issue(path.name, t.name, extra.code, extra.text, extra.severity, None, str(col).strip()))
            continue
        rename[col] = canon
        keep.append(canon)
    if list(rename) == list(df.columns):
        df.columns = list(rename.values())  # the usual file: every column kept, relabelled in place
    else:
        df = df[list(rename)].rename(columns=rename)
    df[ROW] = df.index + 2
    return ExtractFrame(t, path.name, _normalise(df, t)), issues


# 903 XML export: element names differ from the CSV headers in two places.
_XML_RENAMES = {"CHILDID": "CHILD", "PL": "PLACE"}
# Nested elements of a <CHILD> and the table each becomes; the child's own leaves make the rest.
_XML_NESTED = {
    "EPISODE": "episodes",
    "AREVIEW": "reviews",
    "AMISSING": "missing",
    "PERMANENCE": "prev_perm",
    "AD_PLACED": "placed_adoption",
    "OC2": "oc2",
    "SW_EPISODE": "social_worker_episodes",
}
# Tables made from a child's own leaves, present when their marker element is.
_XML_CHILD_LEVEL = {"header": "CHILD", "uasc": "DUC", "ad1": "DATE_INT", "oc3": "IN_TOUCH"}


def _leaves(el) -> dict[str, str | None]:
    return {_XML_RENAMES.get(c.tag, c.tag): c.text for c in el if len(c) == 0 and isinstance(c.tag, str)}


def read_xml_file(path: Path) -> tuple[list[ExtractFrame], list[Issue]]:
    """Every table of a 903 XML export.

    A row's number is its record's place in the file, counted over every record the file holds in
    document order (a CHILD's own tables, Header first, then each nested record element), so it
    is unique across the file's tables and does not depend on how the XML is laid out in lines.
    """
    rows: dict[str, list[dict]] = defaultdict(list)
    record = 0
    if not path.is_file() or not os.access(path, os.R_OK):
        raise _structural(path.name, "PERM-UNREADABLE")
    try:
        for _, child in etree.iterparse(str(path), events=("end",), tag="CHILD", recover=False, huge_tree=True):
            base = _leaves(child)
            for table, marker in _XML_CHILD_LEVEL.items():
                if base.get(marker) is not None:
                    record += 1
                    rows[table].append({**base, ROW: record})
            for el in child.iter(*_XML_NESTED):
                record += 1
                rows[_XML_NESTED[el.tag]].append({**base, **_leaves(el), ROW: record})
            child.clear()
    except etree.XMLSyntaxError as exc:
        raise _structural(path.name, "PERM-XML", row=exc.lineno) from None
    except OSError:
        raise _structural(path.name, "PERM-UNREADABLE") from None
    if not rows:
        raise _structural(path.name, "PERM-EMPTY", "XML file holds no CHILD records")
    frames = []
    for table, recs in rows.items():
        t = contract.table(table)
        # XML leaves an empty field out rather than sending an empty column: absent means blank.
        df = pd.DataFrame.from_records(recs).reindex(columns=t.column_names + [ROW])
        frames.append(ExtractFrame(t, path.name, _normalise(df, t)))
    return frames, []


def _drop_entries(folder: Path) -> list[Path]:
    """The drop's files, refusing what cannot be trusted as the drop's own bytes."""
    out = []
    for path in sorted(folder.iterdir()):
        if path.is_symlink():
            raise _structural(path.name, "PERM-SYMLINK")
        if path.is_dir():
            continue
        if not path.is_file():
            raise _structural(path.name, "PERM-UNREADABLE", "not a regular file (device, pipe or socket)")
        out.append(path)
    return out


def read_drop(folder: Path) -> tuple[list[ExtractFrame], list[Issue]]:
    """Read every data file of a drop folder. Raises StructuralError for a drop that can't be trusted."""
    frames: list[ExtractFrame] = []
    issues: list[Issue] = []
    for path in _drop_entries(folder):
        suffix = path.suffix.lower()
        if suffix not in DATA_SUFFIXES:
            if path.name.lower() != MANIFEST:
                issues.append(_unrecognised(path.name))
            continue
        if suffix == ".xml":
            got, found = read_xml_file(path)
            frames.extend(got)
        else:
            ef, found = read_csv_file(path)
            if ef is not None:
                frames.append(ef)
        issues.extend(found)
    if not frames:
        raise _structural(folder.name, "PERM-NO-FILES")
    held = {ef.table.name for ef in frames}
    for name in REQUIRED_TABLES:
        if name not in held:
            title = contract.table(name).title
            raise _structural(folder.name, "PERM-TABLE-MISSING", f"drop holds no {title} table", table=name)
    return frames, issues
