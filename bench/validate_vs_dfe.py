"""Our validate step against the DfE's rules validator, side by side on the same drop (issue 18 point 4).

    python -m bench.validate_vs_dfe DROP --extract-date 2018-03-31 [--copies 1,10] [--repeat 3]

DROP is a folder of 903 tables (any file names; the reader knows the tables by their columns), such
as the DfE validator's own public fake data. For each number of copies (bench.repeat_drop: every row
repeated, each copy's children distinct) it times, in this process after a warm-up:

- validate: the pipeline's own step (`pipeline._validate`: read every file, the pandera models, the
  cross-file rules, the bad-row judgement), best of --repeat, wall and CPU seconds;
- the DfE's validator (csc-validator-be-903 in .venv-dfe, `validations.dfe.validator.dfe_findings`):
  its whole rule pack for the drop's collection year on the same frames, in its own process as the
  nightly check runs it, best of --repeat, wall seconds (its CPU is the child process's).

Keep the copies out of the repository: they hold whatever the source holds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bench.repeat_drop import repeat_drop


def _cpu(who=resource.RUSAGE_SELF) -> float:
    u = resource.getrusage(who)
    return u.ru_utime + u.ru_stime


def time_validate(folder: Path, extract_date: dt.date, repeat: int) -> tuple[float, float, int]:
    """Best wall and CPU seconds of the pipeline's validate step on the drop, and its rows."""
    from permanence import pipeline, progress
    from permanence.ingest.pull import pull

    progress.console.quiet = True
    archive = Path(tempfile.mkdtemp(prefix="validate-bench-"))
    try:
        best = (float("inf"), float("inf"), 0)
        for i in range(repeat + 1):  # the first is a warm-up: imports, first parses
            run = pipeline.begin(str(folder), "894", None, extract_date)
            run.drop = pull(str(folder), "894", archive, extract_date)
            w0, c0 = time.perf_counter(), _cpu()
            pipeline._validate(run, 1.0)
            wall, cpu = time.perf_counter() - w0, _cpu() - c0
            if i and wall < best[0]:
                best = (wall, cpu, run.rows_in)
        return best
    finally:
        shutil.rmtree(archive, ignore_errors=True)


def time_dfe(folder: Path, extract_date: dt.date, repeat: int) -> tuple[float, float, int]:
    """Best wall seconds of the DfE's pack on the drop, the child process's CPU, and its findings."""
    from permanence.contract import collection_year
    from permanence.ingest.read import read_drop
    from validations.dfe.validator import available, dfe_findings

    if not available():
        raise SystemExit("error: the DfE validator is not installed\nhint: make .venv-dfe")
    frames, _ = read_drop(folder)
    best = (float("inf"), 0.0, 0)
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
        result = dfe_findings(frames, collection_year(extract_date))
        wall, cpu = time.perf_counter() - w0, _cpu(resource.RUSAGE_CHILDREN) - c0
        if wall < best[0]:
            best = (wall, cpu, len(result.findings))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("drop", type=Path)
    ap.add_argument("--extract-date", type=dt.date.fromisoformat, required=True)
    ap.add_argument("--copies", default="1,10")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="validate-vs-dfe-"))
    print("| copies | rows | validate wall s | validate CPU s | validate rows/s | DfE validator wall s "
          "| DfE CPU s | DfE findings | DfE / validate (wall) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for n in [int(c) for c in args.copies.split(",")]:
            folder = repeat_drop(args.drop, work / f"x{n}", n)
            wall, cpu, rows = time_validate(folder, args.extract_date, args.repeat)
            dwall, dcpu, found = time_dfe(folder, args.extract_date, args.repeat)
            print(f"| {n} | {rows:,} | {wall:.3f} | {cpu:.3f} | {rows / wall:,.0f} | {dwall:.2f} | {dcpu:.2f} "
                  f"| {found:,} | {dwall / wall:.1f} x |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
