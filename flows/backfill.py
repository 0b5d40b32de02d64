"""Backfill: load a range of historical drops for one LA, oldest first, into one warehouse.

    root/894_2023-03-31/   root/894_2024-03-31/   root/894_2025-03-31/   (any fsspec URL)

Each drop's extract date comes from its manifest.json, else the date ending its folder name (the
same rule a nightly run uses). Drops in [start, end] are loaded in date order through the nightly
steps (each archived, validated, pseudonymised and loaded on its own; a drop already published is
skipped), then dbt builds and the warehouse is published once at the end: the models read each
LA's current load, which is the newest extract whatever order drops arrive in
(warehouse.set_current_load), so building after every older drop would be wasted work.

A quarantined drop does not stop the others; the run then ends Failed naming it (and notifies).
"""

from __future__ import annotations

import datetime as dt

import fsspec
from prefect import flow, get_run_logger

from flows.nightly import RunSummary, region
from permanence.ops import notify
from permanence.contract.frames import StructuralError
from permanence.ops.security import strip_credentials
from permanence.ingest.pull import extract_date_of, read_manifest


def list_drops(source_root: str, start: dt.date | None = None, end: dt.date | None = None) -> list[tuple[dt.date, str]]:
    """(extract date, URL) of every drop folder directly under source_root within [start, end], oldest first."""
    fs, root = fsspec.core.url_to_fs(source_root)
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    found = []
    for info in fs.ls(root, detail=True):
        if info.get("type") != "directory":
            continue
        path = info["name"].rstrip("/")
        if path.rsplit("/", 1)[-1].startswith("."):
            continue
        try:
            date = extract_date_of(read_manifest(fs, path), path, None)
        except StructuralError:
            continue  # not a drop folder (no date anywhere): nothing to backfill from it
        if (start and date < start) or (end and date > end):
            continue
        url = path if protocol in ("file", "local") else fs.unstrip_protocol(path)
        found.append((date, url))
    return sorted(found)


@flow(name="backfill", log_prints=False, on_failure=[notify.on_failure], on_crashed=[notify.on_crashed])
def backfill(
    source_root: str,
    la_code: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    warehouse: str | None = None,
    data_dir: str | None = None,
) -> list[RunSummary]:
    """Load every drop under source_root dated within [start, end], oldest first; build and publish once."""
    logger = get_run_logger()
    drops = list_drops(source_root, start, end)
    if not drops:
        logger.warning("no drops under %s between %s and %s", strip_credentials(source_root), start or "the first", end or "the last")
        return []
    logger.info("backfilling %d drops for LA %s: %s to %s", len(drops), la_code, drops[0][0], drops[-1][0])
    return region([(url, la_code) for _, url in drops], warehouse=warehouse, data_dir=data_dir)
