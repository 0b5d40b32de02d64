"""Deliberately damaged copies of a good drop, each recording exactly what it changed.

Messy-but-valid defects are what real CMS exports look like; the pipeline must accept them and
load the same data. Broken defects change as few rows as possible and write
manifest["defect"] = {"name", "description", "file", "rows": [line numbers, header = 1], ...}
so a test can assert the pipeline reports that exact file and row. `rows` is empty where the
finding is about the whole file (missing column, empty or unreadable file).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import zlib
from pathlib import Path
from typing import Callable

from permanence.contract import table, tables
from permanence.synth.writers import prepare_folder

DEFECTS: dict[str, str] = {
    # messy but valid
    "bom": "UTF-8 byte order mark at the start of every CSV",
    "crlf": "Windows (CRLF) line endings in every CSV",
    "trailing_blank_rows": "blank and comma-only lines at the end of every CSV",
    "lowercase_codes": "every coded value written in lower case",
    "extra_column": "an extra column the contract does not know, in the middle of episodes",
    # broken
    "missing_column": "episodes file without its REC column",
    "empty_file": "episodes file with a header row and no data rows",
    "bad_encoding": "header file with one row in Latin-1, so the file is not valid UTF-8",
    "unreadable": "the episodes file replaced by random binary bytes named episodes.csv",
    "bad_date": "one episodes DECOM set to the impossible date 31/02/2024",
    "bad_code": "one episodes PLACE set to Q9, which no code list holds",
    "dec_before_decom": "one episode ending the day before it started",
    "overlap": "one episode's DEC moved past the start of the child's next episode",
    "x1_no_continuation": "one X1 episode whose DEC matches no next DECOM",
    "child_not_in_header": "one episode for a child the header does not list",
    "episode_before_dob": "one episode starting the day before the child's date of birth",
    "ad1_without_adoption": "an AD1 row for a child who was never adopted",
    "duplicate_key": "one episodes row written twice",
    "mass_bad_rows": "more than 10% of episodes rows with the invalid LS code ZZ",
}
MESSY = ("bom", "crlf", "trailing_blank_rows", "lowercase_codes", "extra_column")


class CsvFile:
    """A drop CSV as lines of fields. The generator never quotes, so a comma split is exact."""

    def __init__(self, path: Path):
        self.path = path
        lines = path.read_text(encoding="utf-8").split("\n")
        self.header = lines[0].split(",")
        self.rows = [ln.split(",") for ln in lines[1:] if ln]

    def col(self, name: str) -> int:
        return self.header.index(name)

    @staticmethod
    def line(i: int) -> int:
        """The file line number of data row i (the header is line 1)."""
        return i + 2

    def save(self) -> None:
        text = "\n".join(",".join(r) for r in [self.header, *self.rows]) + "\n"
        self.path.write_text(text, encoding="utf-8")


def _day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def _text(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def identify_files(folder: Path) -> dict[str, Path]:
    """Table name -> file, matched on the header row as the pipeline's reader does."""
    by_header = {tuple(t.column_names): name for name, t in tables().items()}
    out = {}
    for p in sorted(folder.glob("*.csv")):
        first = p.open("rb").readline().decode("utf-8").strip().split(",")
        name = by_header.get(tuple(first))
        if name:
            out[name] = p
    return out


def write_defective_drop(good: Path, out: Path, defect: str) -> Path:
    """Copy the drop folder `good` to `out`, apply `defect` (a key of DEFECTS), return `out`."""
    if defect not in DEFECTS:
        raise ValueError(f"unknown defect {defect!r}; known: {', '.join(DEFECTS)}")
    good, out = Path(good), Path(out)
    prepare_folder(out)
    for p in sorted(good.iterdir()):
        if p.is_file():
            shutil.copyfile(p, out / p.name)
    manifest = json.loads((out / "manifest.json").read_text())
    files = identify_files(out)
    if "episodes" not in files:
        raise ValueError(f"{good} has no episodes CSV; defects apply to the CSV form of a drop")
    rng = random.Random(zlib.crc32(f"{manifest.get('seed')}:{manifest.get('la_code')}:{defect}".encode()))
    record = _APPLY[defect](files, rng, manifest)
    manifest["defect"] = {"name": defect, "description": DEFECTS[defect], **record}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out


# --------------------------------------------------------------------------- messy but valid


def _all_csvs(files: dict[str, Path], change: Callable[[bytes], bytes]) -> dict:
    for p in files.values():
        p.write_bytes(change(p.read_bytes()))
    return {"file": None, "files": sorted(p.name for p in files.values()), "rows": []}


def _bom(files, rng, manifest):
    return _all_csvs(files, lambda b: b"\xef\xbb\xbf" + b)


def _crlf(files, rng, manifest):
    return _all_csvs(files, lambda b: b.replace(b"\n", b"\r\n"))


def _trailing_blank_rows(files, rng, manifest):
    def add(b: bytes) -> bytes:
        commas = b"," * (b.split(b"\n", 1)[0].count(b","))
        return b + b"\n" + commas + b"\n" + commas + b"\n\n"

    return _all_csvs(files, add)


def _lowercase_codes(files, rng, manifest):
    for name, p in files.items():
        f = CsvFile(p)
        idx = [f.col(c.name) for c in table(name).of_kind("code")]
        for r in f.rows:
            for i in idx:
                r[i] = r[i].lower()
        f.save()
    return {"file": None, "files": sorted(p.name for p in files.values()), "rows": []}


def _extra_column(files, rng, manifest):
    f = CsvFile(files["episodes"])
    at = f.col("PLACE") + 1  # mid-row, so a reader that trusts positions goes wrong
    f.header.insert(at, "LOCAL_CASE_REF")
    for i, r in enumerate(f.rows):
        r.insert(at, f"REF{i + 1:07d}")
    f.save()
    return {"file": f.path.name, "rows": [], "column": "LOCAL_CASE_REF"}


# --------------------------------------------------------------------------- broken


def _episodes(files) -> tuple[CsvFile, dict[str, list[int]]]:
    f = CsvFile(files["episodes"])
    by_child: dict[str, list[int]] = {}
    for i, r in enumerate(f.rows):
        by_child.setdefault(r[0], []).append(i)
    return f, by_child


def _single_episode_rows(f: CsvFile, by_child, closed: bool | None = None, places=None) -> list[int]:
    """Rows of children with exactly one episode: changing one disturbs no chain."""
    dec, place = f.col("DEC"), f.col("PLACE")
    out = []
    for rows in by_child.values():
        if len(rows) != 1:
            continue
        r = f.rows[rows[0]]
        if closed is not None and (r[dec] != "") != closed:
            continue
        if places and r[place] not in places:
            continue
        out.append(rows[0])
    if not out:
        raise ValueError("no child with a single episode to damage; generate a larger drop")
    return out


def _one(f: CsvFile, i: int, **extra) -> dict:
    return {"file": f.path.name, "rows": [CsvFile.line(i)], **extra}


def _missing_column(files, rng, manifest):
    f = CsvFile(files["episodes"])
    at = f.col("REC")
    for r in [f.header, *f.rows]:
        del r[at]
    f.save()
    return {"file": f.path.name, "rows": [], "column": "REC"}


def _empty_file(files, rng, manifest):
    f = CsvFile(files["episodes"])
    f.rows = []
    f.save()
    return {"file": f.path.name, "rows": []}


def _bad_encoding(files, rng, manifest):
    # A CMS that exports in Windows-1252/Latin-1: one value with an accented letter.
    p = files["header"]
    f = CsvFile(p)
    upn = f.col("UPN")
    i = next((k for k, r in enumerate(f.rows) if r[upn]), 0)
    f.rows[i][upn] = (f.rows[i][upn] or "A") + "\u00e9"
    lines = [",".join(r) for r in [f.header, *f.rows]]
    data = b"".join((ln.encode("latin-1") if k == i + 1 else ln.encode("utf-8")) + b"\n" for k, ln in enumerate(lines))
    p.write_bytes(data)
    return _one(f, i, column="UPN")


def _unreadable(files, rng, manifest):
    p = files["episodes"]
    original = p.name
    p.unlink()
    # NUL and 0xFF up front: not UTF-8, not text; the rest is seeded noise.
    noise = b"\x00\xff\x00\x81" + bytes(rng.getrandbits(8) for _ in range(4092))
    (p.parent / "episodes.csv").write_bytes(noise)
    return {"file": "episodes.csv", "rows": [], "other_files": [original], "replaces": original}


def _bad_date(files, rng, manifest):
    f, by_child = _episodes(files)
    i = rng.choice(_single_episode_rows(f, by_child))
    f.rows[i][f.col("DECOM")] = "31/02/2024"
    f.save()
    return _one(f, i, column="DECOM")


def _bad_code(files, rng, manifest):
    f, _ = _episodes(files)
    i = rng.randrange(len(f.rows))
    f.rows[i][f.col("PLACE")] = "Q9"
    f.save()
    return _one(f, i, column="PLACE")


def _dec_before_decom(files, rng, manifest):
    f, by_child = _episodes(files)
    i = rng.choice(_single_episode_rows(f, by_child, closed=True))
    r = f.rows[i]
    r[f.col("DEC")] = _text(_day(r[f.col("DECOM")]) - dt.timedelta(days=1))
    f.save()
    return _one(f, i, column="DEC")


def _overlap(files, rng, manifest):
    f, by_child = _episodes(files)
    dec, decom, rec = f.col("DEC"), f.col("DECOM"), f.col("REC")
    extract = dt.date.fromisoformat(manifest["extract_date"])
    # Prefer two separate periods of one child: moving the first one's end past the second's
    # start makes an overlap and nothing else.
    candidates = [
        i
        for rows in by_child.values()
        for i, j in zip(rows, rows[1:])
        if f.rows[i][rec] not in ("X1", "") and _day(f.rows[j][decom]) + dt.timedelta(days=1) <= extract
        and (f.rows[j][dec] == "" or _day(f.rows[j][dec]) > _day(f.rows[j][decom]) + dt.timedelta(days=1))
    ]
    if not candidates:
        candidates = [i for rows in by_child.values() for i in rows[:-1]]
    i = rng.choice(candidates)
    nxt = f.rows[i + 1]
    f.rows[i][dec] = _text(_day(nxt[decom]) + dt.timedelta(days=1))
    f.save()
    return _one(f, i, column="DEC", related_rows=[CsvFile.line(i + 1)])


def _x1_no_continuation(files, rng, manifest):
    f, by_child = _episodes(files)
    dec, decom, rec = f.col("DEC"), f.col("DECOM"), f.col("REC")
    candidates = [
        i
        for rows in by_child.values()
        for i in rows[:-1]
        if f.rows[i][rec] == "X1" and (_day(f.rows[i][dec]) - _day(f.rows[i][decom])).days >= 3
    ]
    i = rng.choice(candidates)
    f.rows[i][dec] = _text(_day(f.rows[i][dec]) - dt.timedelta(days=1))
    f.save()
    return _one(f, i, column="DEC")


def _child_not_in_header(files, rng, manifest):
    f, by_child = _episodes(files)
    i = rng.choice(_single_episode_rows(f, by_child))
    known = set(by_child) | {r[0] for r in CsvFile(files["header"]).rows}
    new = manifest["la_code"] + "999999"
    while new in known:
        new = str(int(new) - 1)
    f.rows[i][0] = new
    f.save()
    return _one(f, i, column="CHILD")


def _episode_before_dob(files, rng, manifest):
    f, by_child = _episodes(files)
    # Foster placements: their codes are valid in every year, so only the date rule breaks.
    i = rng.choice(_single_episode_rows(f, by_child, places={"U1", "U2", "U3", "U4", "U5", "U6"}))
    h = CsvFile(files["header"])
    dob = {r[0]: r[h.col("DOB")] for r in h.rows}[f.rows[i][0]]
    f.rows[i][f.col("DECOM")] = _text(_day(dob) - dt.timedelta(days=1))
    f.save()
    return _one(f, i, column="DECOM")


def _ad1_without_adoption(files, rng, manifest):
    ep, by_child = _episodes(files)
    rec = ep.col("REC")
    adopted = {r[0] for r in ep.rows if r[rec] in ("E11", "E12")}
    h = CsvFile(files["header"])
    dob = {r[0]: r[h.col("DOB")] for r in h.rows}
    child = rng.choice(sorted(c for c in by_child if c not in adopted and c in dob))
    start = _day(ep.rows[by_child[child][0]][ep.col("DECOM")])
    a = CsvFile(files["ad1"])
    values = {
        "CHILD": child, "DOB": dob[child], "DATE_INT": _text(start + dt.timedelta(days=120)),
        "DATE_MATCH": _text(start + dt.timedelta(days=200)), "FOSTER_CARE": "0", "NB_ADOPTR": "2",
        "SEX_ADOPTR": "MF", "LS_ADOPTR": "L0",
    }
    a.rows.append([values[c] for c in a.header])
    a.save()
    return _one(a, len(a.rows) - 1)


def _duplicate_key(files, rng, manifest):
    f, _ = _episodes(files)
    i = rng.randrange(len(f.rows))
    f.rows.insert(i + 1, list(f.rows[i]))
    f.save()
    return _one(f, i + 1, related_rows=[CsvFile.line(i)])


def _mass_bad_rows(files, rng, manifest):
    f, _ = _episodes(files)
    n = len(f.rows)
    picked = sorted(rng.sample(range(n), n // 8 + 1))  # 12.5%: over the 10% threshold
    ls = f.col("LS")
    for i in picked:
        f.rows[i][ls] = "ZZ"
    f.save()
    return {"file": f.path.name, "rows": [CsvFile.line(i) for i in picked], "column": "LS"}


_APPLY: dict[str, Callable[[dict, random.Random, dict], dict]] = {
    name: globals()[f"_{name}"] for name in DEFECTS
}
