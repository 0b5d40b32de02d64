"""What a killed run leaves on disk is removed by the next run (permanence/recovery.py): child-level
copies on temporary names in published/, half-archived raw drops under the archive's `.incoming/`.
The kills themselves, for real, are in tests/test_recovery.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from permanence import pipeline
from permanence.config import Settings
from permanence.recovery import remove_stale_temporaries


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _leftovers(settings: Settings) -> dict[str, object]:
    dead, live = _dead_pid(), os.getppid()
    pub = settings.published_dir
    (pub / "parquet").mkdir(parents=True)
    made = {
        "copy": pub / f".permanence.duckdb.{dead}.tmp",
        "wal": pub / f".permanence.duckdb.{dead}.tmp.wal",
        "parquet": pub / "parquet" / f".2025-03-31.{dead}.tmp",
        "link": pub / "parquet" / f".latest.{dead}.tmp",
        "old tracker": pub / ".spg-tracker.xlsx.tmp",
        "staging": settings.archive_dir / "894" / ".incoming" / f"{dead}-101010000000",
    }
    keep = {
        "live writer": pub / f".permanence.duckdb.{live}.tmp",  # another process, still writing
        "fresh tracker": pub / ".spg-tracker-2025-04-01.xlsx.tmp",  # no pid: kept until an hour old
        "published": pub / "permanence.duckdb",
    }
    for name, path in {**made, **keep}.items():
        if name in ("parquet",):
            path.mkdir()
            (path / "periods_of_care.parquet").write_bytes(b"x")
        elif name == "staging":
            path.mkdir(parents=True)
            (path / "SSDA903_Header.csv").write_text("CHILD\n1\n")
            (path / "SSDA903_Header.csv").chmod(0o400)
            path.chmod(0o500)  # the archive's folders are made read-only as they are finished
        else:
            path.write_bytes(b"x")
    old = time.time() - 2 * 3600
    os.utime(made["old tracker"], (old, old))
    return {"removed": made, "kept": keep}


def test_a_killed_runs_temporaries_are_removed_and_a_live_writers_kept(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    paths = _leftovers(settings)
    removed = remove_stale_temporaries(settings)
    assert sorted(removed) == sorted(paths["removed"].values())
    assert not any(p.exists() for p in paths["removed"].values())
    assert all(p.exists() for p in paths["kept"].values())
    assert remove_stale_temporaries(settings) == []


def test_the_next_run_clears_them_before_it_writes(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    paths = _leftovers(settings)
    pipeline.prepare(settings)
    assert not any(p.exists() for p in paths["removed"].values())
