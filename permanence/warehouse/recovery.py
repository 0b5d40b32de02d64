"""After a crash, the next run finishes the job: what a killed run left half-done is removed.

Every writer here works on a temporary name and renames it into place (the published copy, Parquet
folders, the `latest` link, the tracker workbook, a drop being archived), so a run killed part way
leaves only those temporaries behind: child-level copies in published/ that BI readers could open,
and raw drops (full identifiers) half-copied under the archive's `.incoming/`. The next run removes
them before it writes anything, holding the warehouse lock, so no other run is writing them. A
temporary whose name carries the id of a live process (a `permanence tracker` writing beside a run)
is left alone; one without an id is removed once it is an hour old.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from permanence.config import Settings


def _temporaries(settings: Settings) -> list[Path]:
    found: list[Path] = []
    published = settings.published_dir
    for folder in (published, published / "parquet"):
        if folder.is_dir():
            # .permanence.duckdb.<pid>.tmp(.wal), .<date>.<pid>.tmp/, .latest.<pid>.tmp, .spg-tracker.xlsx.tmp ...
            found += [p for p in folder.iterdir()
                      if p.name.startswith(".") and (".tmp" in p.name or p.name.endswith(".old"))]
    archive = settings.archive_dir
    if archive.is_dir():
        found += [p for la in archive.iterdir() if (la / ".incoming").is_dir() for p in (la / ".incoming").iterdir()]
    return sorted(found)


_PID = re.compile(r"\.(\d+)\.(?:tmp|old)|^(\d+)-")
ORPHAN_AFTER_SECONDS = 3600


def _stale(path: Path) -> bool:
    m = _PID.search(path.name)
    if m:
        pid = int(m.group(1) or m.group(2))
        from permanence.ops.serve import alive

        return pid == os.getpid() or not alive(pid)
    try:
        return time.time() - path.lstat().st_mtime > ORPHAN_AFTER_SECONDS
    except FileNotFoundError:
        return False


def remove_stale_temporaries(settings: Settings) -> list[Path]:
    """Remove what killed runs left on temporary names; returns what was removed (paths, no contents)."""
    removed = []
    for path in _temporaries(settings):
        if not _stale(path):
            continue
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        elif path.is_dir():
            for sub in [path, *path.rglob("*")]:  # the archive's staging is made read-only as it is finished
                if sub.is_dir() and not sub.is_symlink():
                    sub.chmod(0o700)
            shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _older(path: Path, than: Path) -> bool:
    return not path.exists() or path.stat().st_mtime < than.stat().st_mtime


def refresh_stale_exports(settings: Settings) -> list[str]:
    """What a publish writes after its copies (the tracker workbook, the BI Parquet) but a kill cut
    short: regenerated from the copies when older than them. The rerun of the same drop is skipped,
    so without this the tracker would stay a quarter behind the published copy for good."""
    if settings.target != "duckdb":
        return []
    refreshed = []
    restricted = settings.restricted_dir / settings.warehouse_path.name
    from permanence.tracker.workbook import nightly_trackers, write_la_trackers

    trackers = nightly_trackers(settings.restricted_dir)
    if restricted.exists() and (not trackers or any(_older(t, restricted) for t in trackers)):
        write_la_trackers(restricted, settings.restricted_dir, run_label=str(restricted),
                          slicers=settings.tracker_slicers, workers=settings.workers)
        refreshed.append("SPG tracker")
    bi = settings.published_dir / settings.warehouse_path.name
    latest = settings.published_dir / "parquet" / "LATEST"
    if bi.exists() and _older(latest, bi):
        from permanence.publish.copies import export_parquet
        from permanence.ops.security import share_with_group

        share_with_group(export_parquet(bi, settings.published_dir / "parquet").parent, settings.bi_group)
        refreshed.append("Parquet")
    return refreshed
