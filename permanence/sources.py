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

from permanence.extract import Issue, StructuralError
from permanence.security import check_la_code, source_with_credentials, strip_credentials
from validations.rules import rule

MANIFEST = "manifest.json"
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})$")
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


def extract_date_of(manifest: dict, root: str, override: dt.date | None) -> dt.date:
    """--as-at wins, then the manifest's extract_date, then a YYYY-MM-DD ending the folder name."""
    if override:
        return override
    if manifest.get("extract_date"):
        return dt.date.fromisoformat(str(manifest["extract_date"]))
    m = _DATE_IN_NAME.search(root.rstrip("/").rsplit("/", 1)[-1])
    if m:
        return dt.date.fromisoformat(m.group(1))
    raise _refused(
        root.rstrip("/").rsplit("/", 1)[-1],
        "PERM-EXTRACT-DATE",
        'no extract date: add manifest.json {"extract_date": "YYYY-MM-DD"}, end the folder name with the date, or pass --as-at',
    )


def _make_read_only(folder: Path) -> None:
    # Read-only for the service account alone: raw extracts hold full DOBs and CMS ids.
    for p in folder.iterdir():
        p.chmod(stat.S_IRUSR)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)


def pull(source: str, la_code: str, archive_dir: Path, as_at: dt.date | None = None) -> ArchivedDrop:
    """Copy every file of the drop into the archive, hashing as it goes; archive once per content.

    `source` may be the credential-free form of a registered URL (permanence.security); what is
    recorded (ArchivedDrop.source, messages) never holds a user name or password."""
    check_la_code(la_code)  # before anything is written: the code names the archive folder
    fs, root = fsspec.core.url_to_fs(source_with_credentials(source))
    source = strip_credentials(source)
    if not fs.isdir(root):
        raise _refused(source, "PERM-SOURCE")
    manifest = read_manifest(fs, root)
    if manifest.get("la_code") and str(manifest["la_code"]) != str(la_code):
        raise _refused(MANIFEST, "PERM-LA-CODE", f"manifest is for LA {manifest['la_code']}, not {la_code}")
    extract_date = extract_date_of(manifest, root, as_at)

    staging = archive_dir / la_code / ".incoming" / f"{os.getpid()}-{dt.datetime.now().strftime('%H%M%S%f')}"
    staging.mkdir(mode=0o700, parents=True)
    files: list[ArchivedFile] = []
    try:
        for info in sorted(fs.ls(root, detail=True), key=lambda i: i["name"]):
            if info.get("type") != "file":
                continue
            name = info["name"].rstrip("/").rsplit("/", 1)[-1]
            h, size = hashlib.sha256(), 0
            with fs.open(info["name"], "rb") as src, open(staging / name, "wb") as dst:
                while chunk := src.read(_CHUNK):
                    h.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
            files.append(ArchivedFile(name, h.hexdigest(), size))
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
    return ArchivedDrop(source, la_code, extract_date, final, fingerprint, files, already)
