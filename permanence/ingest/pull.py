"""Pull a drop from wherever the LA puts it and archive it untouched.

A source is any fsspec URL (a local folder by default; sftp://, s3://, smb:// with their extras).
The archive is content-addressed: the same files arriving twice land in the same folder, which is
how a repeated drop is recognised and skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

import fsspec

from permanence.contract.frames import Issue, StructuralError
from permanence.ops.security import check_la_code, source_with_credentials, strip_credentials
from validations.extract.rules import rule

MANIFEST = "manifest.json"
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})$")
# A yearly return's folder: "2017", "2017-18", "903_2017_18", "returns-2017-2018" (the start year).
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:[-_]((?:19|20)?\d{2}))?$")
DATA_SUFFIXES = {".csv", ".txt", ".xml"}
_CHUNK = 1 << 20


def _refused(where: str, code: str, detail: str | None = None) -> StructuralError:
    r = rule(code)
    return StructuralError(Issue(where, None, code, detail or r.text, r.severity))


@dataclass(frozen=True)
class ArchivedFile:
    name: str
    sha256: str
    bytes: int


@dataclass
class ArchivedDrop:
    source: str
    la_code: str
    extract_date: dt.date
    folder: Path
    drop_sha256: str
    files: list[ArchivedFile] = field(default_factory=list)
    already_archived: bool = False
    # Where extract_date came from: --extract-date, manifest, folder name, end of its collection
    # year (a yearly return), or the day of the pull.
    extract_date_from: str = "manifest"
    # A yearly 903 return's collection year ('2017-18'); None for a CMS extract.
    collection_year: str | None = None
    # Coverage start C: care histories before it are not in the drop; None = the whole history.
    coverage_start: dt.date | None = None

    @property
    def label(self) -> str:
        """How a return is named among the others of a stitched load (its year, else its extract date)."""
        return self.collection_year or self.extract_date.isoformat()


def drop_fingerprint(files: list[ArchivedFile]) -> str:
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.name):
        h.update(f"{f.name}\0{f.sha256}\n".encode())
    return h.hexdigest()


def read_manifest(fs, root: str) -> dict:
    path = f"{root.rstrip('/')}/{MANIFEST}"
    if not fs.exists(path):
        return {}
    with fs.open(path, "rb") as fh:
        try:
            return json.loads(fh.read().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _refused(MANIFEST, "PERM-MANIFEST") from None


def _manifest_date(manifest: dict, key: str) -> dt.date | None:
    if not manifest.get(key):
        return None
    try:
        return dt.date.fromisoformat(str(manifest[key]))
    except ValueError:
        raise _refused(MANIFEST, "PERM-MANIFEST", f"manifest.json {key} is not a YYYY-MM-DD date") from None


def _folder_name(root: str) -> str:
    return root.rstrip("/").rsplit("/", 1)[-1]


def _extract_date_and_origin(manifest: dict, root: str, override: dt.date | None) -> tuple[dt.date, str] | None:
    if override:
        return override, "--extract-date"
    if (day := _manifest_date(manifest, "extract_date")) is not None:
        return day, "manifest"
    m = _DATE_IN_NAME.search(_folder_name(root))
    if m:
        return dt.date.fromisoformat(m.group(1)), "folder name"
    return None


def extract_date_of(manifest: dict, root: str, override: dt.date | None) -> dt.date:
    """The extract date E: --extract-date wins, then the manifest's extract_date, then a YYYY-MM-DD
    ending the folder name. Refused (PERM-EXTRACT-DATE) when none says it."""
    found = _extract_date_and_origin(manifest, root, override)
    if found:
        return found[0]
    raise _refused(
        _folder_name(root),
        "PERM-EXTRACT-DATE",
        'no extract date: add manifest.json {"extract_date": "YYYY-MM-DD"}, end the folder name with the date, or pass --extract-date',
    )


def return_year_of(manifest: dict, root: str) -> str | None:
    """A yearly 903 return's collection year: the manifest's collection_year, else a year ending the
    folder name ("2017", "2017-18"). None when neither says (a CMS extract, or a return whose year
    its own dates must tell)."""
    from permanence.contract import collection_year

    declared = manifest.get("collection_year")
    if declared:
        m = _YEAR_IN_NAME.search(str(declared).strip())
        if not m:
            raise _refused(MANIFEST, "PERM-MANIFEST", "manifest.json collection_year is not a year such as 2017-18")
        return collection_year(dt.date(int(m.group(1)), 4, 1))
    if _DATE_IN_NAME.search(_folder_name(root)):
        return None
    m = _YEAR_IN_NAME.search(_folder_name(root))
    return collection_year(dt.date(int(m.group(1)), 4, 1)) if m else None


def year_end(collection_year_label: str) -> dt.date:
    """31 March ending a collection year ('2017-18' -> 2018-03-31)."""
    return dt.date(int(collection_year_label[:4]) + 1, 3, 31)


def coverage_of(manifest: dict, override: dt.date | None, year: str | None) -> dt.date | None:
    """Coverage start C: --coverage-start, else the manifest's coverage_start, else 1 April of a
    yearly return's collection year; None when the drop holds the whole history."""
    from permanence.contract import collection_year_start

    if override:
        return override
    if (day := _manifest_date(manifest, "coverage_start")) is not None:
        return day
    return collection_year_start(year) if year else None


def is_returns_folder(source: str) -> bool:
    """A folder of yearly return folders: sub-folders and no data file of its own."""
    fs, root = fsspec.core.url_to_fs(source)
    if not fs.isdir(root):
        return False
    entries = fs.ls(root, detail=True)
    has_data = any(e.get("type") == "file" and Path(e["name"]).suffix.lower() in DATA_SUFFIXES for e in entries)
    subfolders = [e for e in entries if e.get("type") == "directory" and not _folder_name(e["name"]).startswith(".")]
    return not has_data and bool(subfolders)


def returns_in(source: str) -> list[str]:
    """The return folders directly under a folder of yearly returns, as URLs, in name order."""
    fs, root = fsspec.core.url_to_fs(source)
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    out = []
    for e in sorted(fs.ls(root, detail=True), key=lambda e: e["name"]):
        if e.get("type") != "directory" or _folder_name(e["name"]).startswith("."):
            continue
        path = e["name"].rstrip("/")
        out.append(path if protocol in ("file", "local") else fs.unstrip_protocol(path))
    return out


def _make_read_only(folder: Path) -> None:
    # Read-only for the service account alone: raw extracts hold full DOBs and CMS ids.
    for p in folder.iterdir():
        p.chmod(stat.S_IRUSR)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)


def _refuse_unarchivable(info: dict, name: str) -> None:
    """A link or special file cannot be archived as the drop's own bytes: skipping it would
    publish a run without that table, so the whole drop is refused."""
    if info.get("islink"):
        raise _refused(name, "PERM-SYMLINK")
    if info.get("type") not in ("file", "directory"):
        raise _refused(name, "PERM-UNREADABLE", "not a regular file (device, pipe or socket)")


def _copy_in(fs, path: str, name: str, dest: Path) -> ArchivedFile:
    """Copy one file into the archive, hashing it. A failure to read the source (not to write the
    archive) is the drop's fault: PERM-UNREADABLE names the file."""
    h, size = hashlib.sha256(), 0
    try:
        src = fs.open(path, "rb")
    except OSError:
        raise _refused(name, "PERM-UNREADABLE") from None
    with src, open(dest, "wb") as dst:
        while True:
            try:
                chunk = src.read(_CHUNK)
            except OSError:
                raise _refused(name, "PERM-UNREADABLE") from None
            if not chunk:
                break
            h.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    return ArchivedFile(name, h.hexdigest(), size)


def reach(source: str) -> None:
    """The source answers: its folder can be listed. Network trouble raises (the caller waits and
    tries again, outside the warehouse lock); a source that answers but is no folder is refused."""
    fs, root = fsspec.core.url_to_fs(source_with_credentials(source))
    if not fs.isdir(root):
        raise _refused(strip_credentials(source), "PERM-SOURCE")
    fs.ls(root)


def pull(
    source: str,
    la_code: str,
    archive_dir: Path,
    extract_date: dt.date | None = None,
    coverage_start: dt.date | None = None,
    max_file_bytes: int | None = None,
) -> ArchivedDrop:
    """Copy every file of the drop into the archive, hashing as it goes; archive once per content.
    A file over `max_file_bytes` refuses the drop before any byte of it is copied.

    The extract date E: `extract_date` (--extract-date), the manifest, a date ending the folder
    name, for a yearly return the 31 March ending its collection year, else the day of the pull.
    A return of a stitched load whose year neither its manifest nor its folder name gives has it
    set from its own dates when it is read (pipeline.clean_drop).

    `source` may be the credential-free form of a registered URL (permanence.ops.security); what is
    recorded (ArchivedDrop.source, messages) never holds a user name or password."""
    check_la_code(la_code)  # before anything is written: the code names the archive folder
    fs, root = fsspec.core.url_to_fs(source_with_credentials(source))
    source = strip_credentials(source)
    if not fs.isdir(root):
        raise _refused(source, "PERM-SOURCE")
    manifest = read_manifest(fs, root)
    if manifest.get("la_code") and str(manifest["la_code"]) != str(la_code):
        raise _refused(MANIFEST, "PERM-LA-CODE", f"manifest is for LA {manifest['la_code']}, not {la_code}")
    year = return_year_of(manifest, root)
    found = _extract_date_and_origin(manifest, root, extract_date)
    if found:
        extract_date, origin = found
    elif year:
        extract_date, origin = min(year_end(year), dt.date.today()), "end of its collection year"
    else:
        extract_date, origin = dt.date.today(), "day of the pull"
    coverage = coverage_of(manifest, coverage_start, year)

    staging = archive_dir / la_code / ".incoming" / f"{os.getpid()}-{dt.datetime.now().strftime('%H%M%S%f')}"
    staging.mkdir(mode=0o700, parents=True)
    files: list[ArchivedFile] = []
    try:
        listing = []
        for info in sorted(fs.ls(root, detail=True), key=lambda i: i["name"]):
            name = info["name"].rstrip("/").rsplit("/", 1)[-1]
            _refuse_unarchivable(info, name)
            if info.get("type") != "file":
                continue  # a sub-folder is not part of the drop
            if max_file_bytes is not None and (info.get("size") or 0) > max_file_bytes:
                raise _refused(name, "PERM-FILE-SIZE", f"file is {info['size']:,} bytes, over the limit of "
                                                       f"{max_file_bytes:,} (PERMANENCE_MAX_FILE_MB)")
            listing.append((info["name"], name))
        for path, name in listing:
            files.append(_copy_in(fs, path, name, staging / name))
        fingerprint = drop_fingerprint(files)
        final = archive_dir / la_code / extract_date.isoformat() / fingerprint[:16]
        already = final.exists()
        if already:
            shutil.rmtree(staging)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            _make_read_only(staging)
            os.replace(staging, final)
    except BaseException:
        if staging.exists():
            staging.chmod(0o700)
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return ArchivedDrop(source, la_code, extract_date, final, fingerprint, files, already,
                        extract_date_from=origin, collection_year=year, coverage_start=coverage)
