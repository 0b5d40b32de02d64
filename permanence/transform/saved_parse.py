"""dbt's saved parse, shared by the data directories of one installation.

dbt parses the whole project (~6 s on a 2-core machine) unless its target folder holds the parse
it saved last time (`partial_parse.msgpack`) and nothing that decides a parse has changed since:
the project's files, the vars, dbt's version and the profile's connection settings. A nightly run
keeps its data directory, so it pays ~0.5 s; a fresh data directory (a new warehouse, a test, the
bench) used to pay the full parse. The saved parse holds the project's SQL and yml, never a row of
data, so the installation keeps a copy of the latest one per project folder and dbt version, and a
target folder without one starts from it. dbt still checks it against everything above, and parses
again (and the copy is replaced) when anything differs: a stale copy costs a parse, never a wrong
build.

For the connection settings to match across data directories, run_dbt names the DuckDB file by its
name alone and runs dbt in the file's folder (permanence.transform.dbt).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

SAVED = "partial_parse.msgpack"


def default_cache() -> Path:
    """`$XDG_CACHE_HOME/permanence/dbt-parse` (`~/.cache/...` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "permanence" / "dbt-parse"


def cached_copy(cache: Path, project: Path) -> Path:
    """Where the saved parse of this project folder under this dbt is kept: the parse names the
    project's own files by their full path, so another folder's copy would never be accepted."""
    from importlib.metadata import version

    key = hashlib.sha256(f"{project.resolve()}\0dbt-core={version('dbt-core')}".encode()).hexdigest()[:16]
    return cache / key / SAVED


def seed(cache: Path, project: Path, target_path: Path) -> bool:
    """Give a target folder without a saved parse the installation's copy. True when one was given."""
    saved, copy = target_path / SAVED, cached_copy(cache, project)
    if saved.exists() or not copy.is_file():
        return False
    target_path.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(copy, saved)
    except OSError:
        saved.unlink(missing_ok=True)
        return False
    return True


def keep(cache: Path, project: Path, target_path: Path) -> bool:
    """After dbt ran: keep its saved parse as the installation's copy when it differs from the copy.
    Written aside and renamed, so a run reading the copy never sees half of one. True when kept.
    A cache folder that cannot be written is left alone: the next fresh directory parses in full."""
    saved, copy = target_path / SAVED, cached_copy(cache, project)
    if not saved.is_file():
        return False
    try:
        if copy.is_file() and copy.stat().st_size == saved.stat().st_size and copy.read_bytes() == saved.read_bytes():
            return False
        for folder in reversed([copy.parent, *copy.parent.parents][:3]):  # .../permanence/dbt-parse/<key>
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = copy.with_name(f".{SAVED}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(saved.read_bytes())
        os.replace(tmp, copy)
    except OSError:
        return False
    return True
