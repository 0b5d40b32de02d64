"""Find, recognise, convert and store published reference files (see permanence.reference)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import fsspec

from permanence import warehouse
from permanence.reference import store
from permanence.reference.reader import read_header, read_table
from permanence.reference.families import recognise


@dataclass
class FileResult:
    file: str
    sha256: str | None
    family: str | None  # None: not recognised
    table: str | None
    rows: int = 0
    skipped: int = 0
    message: str = ""

    @property
    def recognised(self) -> bool:
        return self.family is not None


@dataclass
class LoadReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def loaded(self) -> list[FileResult]:
        return [f for f in self.files if f.recognised]

    @property
    def unrecognised(self) -> list[FileResult]:
        return [f for f in self.files if not f.recognised]


def _expand(source: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of the file, or of every file in the folder (recursively, sorted)."""
    fs, root = fsspec.core.url_to_fs(source)
    if not fs.exists(root):
        raise FileNotFoundError(f"reference source {source} does not exist")
    if fs.isdir(root):
        paths = sorted(p for p in fs.find(root) if not Path(p).name.startswith("."))
    else:
        paths = [root]
    out = []
    for p in paths:
        with fs.open(p, "rb") as fh:
            out.append((p if fs.protocol in ("file", ("file", "local")) else fs.unstrip_protocol(p), fh.read()))
    return out


def _process(con, name: str, data: bytes, loaded_at: dt.datetime) -> FileResult:
    sha = hashlib.sha256(data).hexdigest()
    family = recognise(read_header(data))
    if family is None:
        return FileResult(name, sha, None, None, message="not recognised: its columns match no published file family")
    converted = family.convert(read_table(data), Path(name).name)
    meta = {"source_file": Path(name).name, "source_sha256": sha, "loaded_at": loaded_at}
    if family.table == "published_measures":
        meta["family"] = family.name
    if converted.rows:
        store.replace_rows(con, family.table, converted.rows, family.replace_on, meta)
    message = "; ".join([family.description, *converted.notes])
    if not converted.rows:
        message = "recognised but no rows to load; " + message
    return FileResult(name, sha, family.name, family.table, len(converted.rows), converted.skipped, message)


def load_into(con, sources: list[str]) -> LoadReport:
    """Load every source into an open warehouse connection, one transaction per file."""
    store.create_reference_schema(con)
    report = LoadReport()
    for source in sources:
        for name, data in _expand(source):
            loaded_at = dt.datetime.now().replace(microsecond=0)
            with warehouse.transaction(con):
                result = _process(con, name, data, loaded_at)
                store.record_load(con, file=result.file, sha256=result.sha256, family=result.family,
                                  table=result.table, rows=result.rows, skipped=result.skipped,
                                  message=result.message, loaded_at=loaded_at)
            report.files.append(result)
    return report


def load_sources(sources: list[str], warehouse: Path) -> LoadReport:
    """Open the warehouse, load every source, close. The caller holds the warehouse lock."""
    from permanence.warehouse import connect

    con = connect(Path(warehouse))
    try:
        return load_into(con, sources)
    finally:
        con.close()
