"""Time cleaning drops (read, validate, pseudonymise, type) in one process, without Prefect or a warehouse.

    python -m bench.clean_drops --drops bench/.data/national-153x650x10-s2025 [--count 15]

The per-drop cost that the worker processes pay; prints seconds per drop (after one warm-up drop)
and a digest of what would be loaded, so a speed change can be checked not to change the rows.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

from permanence import pipeline, progress
from permanence.ingest.pull import pull


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--drops", type=Path, required=True)
    ap.add_argument("--count", type=int, default=15)
    args = ap.parse_args()
    progress.console.quiet = True
    folders = sorted(p for p in args.drops.iterdir() if p.is_dir())[: args.count + 1]
    archive = Path(tempfile.mkdtemp(prefix="clean-drops-"))
    runs = []
    for folder in folders:
        run = pipeline.begin(str(folder), folder.name.split("_")[0], None)
        run.drop = pull(str(folder), run.la_code, archive, None)
        runs.append(run)
    pipeline.clean_drop(runs[0], b"benchmark-key", 0.05)  # warm-up: imports, first parses
    t0 = time.perf_counter()
    cleaned = [pipeline.clean_drop(r, b"benchmark-key", 0.05) for r in runs[1:]]
    per_drop = (time.perf_counter() - t0) / max(len(cleaned), 1)
    digest = hashlib.sha256()
    for r in cleaned:
        for t in r.tables:  # load ids are random per run: leave them out
            digest.update(repr(t.rows.drop(["load_id"]).to_pydict()).encode())
    rows = sum(t.count for r in cleaned for t in r.tables)
    print(f"{len(cleaned)} drops, {rows:,} rows: {per_drop:.3f} s per drop; rows digest {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
