"""Publish the built warehouse as a copy that readers open, replaced atomically.

DuckDB allows one writer or many readers, never both: BI tools read the published copy, never the
file the nightly run writes. The copy is written beside its final name and renamed over it, so a
reader sees the old copy or the new one, never half of either.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def publish_copy(warehouse: Path, published_dir: Path) -> Path:
    published_dir.mkdir(parents=True, exist_ok=True)
    target = published_dir / warehouse.name
    tmp = published_dir / f".{warehouse.name}.{os.getpid()}.tmp"
    shutil.copyfile(warehouse, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    tmp.chmod(0o444)
    os.replace(tmp, target)
    return target
