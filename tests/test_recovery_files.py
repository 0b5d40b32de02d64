"""What a killed run leaves on disk is removed by the next run (permanence/warehouse/recovery.py): child-level
copies on temporary names in published/, half-archived raw drops under the archive's `.incoming/`.
The kills themselves, for real, are in tests/test_recovery.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from permanence import pipeline
from permanence.config import Settings
from permanence.warehouse.recovery import remove_stale_temporaries


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
        "latest": pub / "parquet" / "LATEST",  # a real file of published/, not a temporary
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


def test_a_tracker_or_parquet_older_than_the_published_copies_is_regenerated(tmp_path):
    """Killed right after the publish: the copies are new, the tracker and Parquet are not (here the
    helpers publish without the tracker step, as a run killed at that point would have). The next
    run regenerates them even though its own drop is skipped."""
    from permanence.synth import generate_region
    from tests.pipeline_helpers import run_drops

    [drop] = generate_region(tmp_path / "in", las=1, children=15, years=2, seed=41)
    settings = Settings(data_dir=tmp_path / "data")
    [run] = run_drops(settings, [(str(drop.path), drop.la_code)])
    assert run.status == "published", run.message
    tracker = settings.restricted_dir / f"spg-tracker-{drop.la_code}.xlsx"
    copy = settings.restricted_dir / settings.warehouse_path.name
    bi, latest = settings.published_dir / settings.warehouse_path.name, settings.published_dir / "parquet" / "LATEST"
    assert not tracker.exists()
    stale = latest.stat().st_mtime - 60
    os.utime(latest, (stale, stale))
    os.utime(bi, (stale + 30, stale + 30))  # the BI copy newer than its Parquet
    pipeline.prepare(settings)
    assert tracker.exists() and tracker.stat().st_mtime >= copy.stat().st_mtime
    assert oct(tracker.stat().st_mode & 0o777) == "0o600"
    assert latest.stat().st_mtime > bi.stat().st_mtime
    before = (tracker.stat().st_mtime_ns, latest.stat().st_mtime_ns)
    pipeline.prepare(settings)  # nothing stale now: nothing rewritten
    assert (tracker.stat().st_mtime_ns, latest.stat().st_mtime_ns) == before
