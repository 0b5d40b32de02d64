"""`make bench`: the nightly run at three scales, per stage, against the floor of reading the CSVs.

    python -m bench.harness [--scales la,region,national] [--repeat 3] [--out docs/performance.md]

For each scale it generates seeded synthetic drops once (kept under bench/.data), then runs the
real flow `--repeat` times, each in a fresh process and a fresh data directory, and reports the
median of each figure. Per-stage wall time, CPU time and peak memory come from the audit table
`audit.load_steps` that every run writes; the floor is DuckDB reading every CSV of the drops once.
At the scales of several LAs it then runs `--repeat` next nights on the warehouse the last run
left: each night one LA sends a new month's drop, as a consortium's or national warehouse meets it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".data"
STAGES = ["pull", "validate", "pseudonymise", "load", "transform", "checks", "publish"]
# Every other step a run records (permanence.progress.timeline): with STAGES they cover the run.
# `startup` is the process's start (imports, Prefect's temporary server) to the flow's first step;
# `orchestration` is the time between two steps (Prefect's task calls, recording step figures).
OTHER_STEPS = ["startup", "prepare", "recover", "clean_wait", "record", "stage_copies", "tracker",
               "dfe_queue", "retention", "summary", "orchestration"]
# The DfE's rule pack runs after the run, in the dfe-rules flow (flows/dfe_rules.py): measured apart,
# beside validate, on the scales named by --dfe-scales (at national scale it takes far longer than the run).
AFTER_RUN = "dfe_rules"
# Per-drop stages, overlapping: workers clean (validate, pseudonymise) while the run's process loads.
INGEST_STAGES = ["pull", "validate", "pseudonymise", "load"]
ANALYSIS_MARKER = "<!-- findings: kept by bench/harness.py -->"


@dataclass(frozen=True)
class Scale:
    name: str
    las: int
    children: int
    years: int
    target: str
    # the target as figures: which wall time ('pipeline' or 'process') must stay at or under how many
    # seconds in every run, and the peak memory (MB) of any process of the run
    limit: tuple[str, float] | None = None
    peak_mb: float | None = None


SCALES = {
    "la": Scale("one LA", 1, 1000, 10, "whole run <= 20 s, not counting a Prefect server start", ("pipeline", 20.0)),
    "region": Scale("region (11 LAs)", 11, 700, 10, "-"),
    "national": Scale("national (153 LAs)", 153, 650, 10, "<= 120 s and <= 4 GB peak memory", ("process", 120.0),
                      4096.0),
}


def target_line(scale: Scale, runs: list[dict]) -> str | None:
    """Each run against the scale's target: met in every run, or not (never a median alone)."""
    if not scale.limit:
        return None
    which, limit = scale.limit
    walls = [run["pipeline_wall"] if which == "pipeline" else run["process"]["wall_seconds"] for run in runs]
    met = sum(w <= limit for w in walls)
    every = met == len(runs)
    line = (f"- target, each run's {which} wall time <= {limit:.0f} s: " + ", ".join(f"{w:.1f} s" for w in walls)
            + f"; met in {met} of {len(runs)}")
    if scale.peak_mb:
        peaks = [max(run["process"]["peak_rss_mb"], run["process"].get("children_peak_rss_mb", 0)) for run in runs]
        line += (f"; peak memory of any one process <= {scale.peak_mb:.0f} MB: "
                 + ", ".join(f"{p:.0f} MB" for p in peaks) + f", met in {sum(p <= scale.peak_mb for p in peaks)} of {len(runs)}")
        every = every and all(p <= scale.peak_mb for p in peaks)
    return line + (" (**met every time**)" if every else " (**not met every time**)")


def generate(key: str, scale: Scale, seed: int = 2025) -> Path:
    from permanence.synth import generate_region

    out = WORK / f"{key}-{scale.las}x{scale.children}x{scale.years}-s{seed}"
    if not (out / ".complete").exists():
        shutil.rmtree(out, ignore_errors=True)
        generate_region(out, las=scale.las, children=scale.children, years=scale.years, seed=seed)
        (out / ".complete").touch()
    return out


def generate_next_night(key: str, scale: Scale, night: int, seed: int = 2025) -> Path:
    """The first LA's drop `night` months after the region's: what a warm warehouse meets next."""
    from permanence.synth import generate_region
    from permanence.synth.generator import DEFAULT_EXTRACT_DATE

    out = WORK / f"{key}-next{night}-{scale.children}x{scale.years}-s{seed}"
    if not (out / ".complete").exists():
        shutil.rmtree(out, ignore_errors=True)
        month = DEFAULT_EXTRACT_DATE.month + night + 1  # the month after the night's: its first day - 1
        extract = dt.date(DEFAULT_EXTRACT_DATE.year + (month - 1) // 12, (month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
        generate_region(out, las=1, children=scale.children, years=scale.years, seed=seed + night,
                        extract_date=extract)
        (out / ".complete").touch()
    return out


def floor_seconds(drops: Path) -> tuple[float, int]:
    """DuckDB reading every CSV of the drops once: the least any pipeline must spend on input."""
    files = sorted(str(p) for p in drops.glob("*/*.csv"))
    con = duckdb.connect()
    t0 = time.perf_counter()
    rows = 0
    for f in files:
        rows += con.execute("select count(*) from read_csv(?, all_varchar = true, header = true)", [f]).fetchone()[0]
    return time.perf_counter() - t0, rows


def stage_figures(warehouse: Path, since: float = 0.0) -> dict[str, dict[str, float]]:
    """Per stage: elapsed (its first start to its last finish), the sum of its steps' wall times,
    CPU (summed over the processes that ran it), and peak RSS of any one of them.

    Drops are cleaned two at a time in worker processes while the run's process loads, so the
    per-drop stages overlap: their elapsed times do not add up to the run's, and summed step time
    is more than elapsed."""
    out: dict[str, dict[str, float]] = {}
    for step, wall, cpu, rss, start, end in _step_rows(warehouse, since):
        s = out.setdefault(step, {"wall": 0.0, "cpu": 0.0, "rss": 0.0, "start": start, "end": end})
        s["wall"] += wall
        s["cpu"] += cpu or 0.0
        s["rss"] = max(s["rss"], rss or 0.0)
        s["start"], s["end"] = min(s["start"], start), max(s["end"], end)
    for s in out.values():
        s["elapsed"] = s["end"] - s["start"]
    return out


def _step_rows(warehouse: Path, since: float = 0.0) -> list[tuple]:
    """Each step of the runs since `since` once: a step that served several loads (dbt, checks,
    publish, and the steps between) is recorded against each, with the same start and end."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            """select distinct step, epoch(finished_at) - epoch(started_at), cpu_seconds, peak_rss_mb,
                      epoch(started_at), epoch(finished_at)
               from audit.load_steps where epoch(finished_at) >= ?""", [since]
        ).fetchall()


def covered_seconds(rows: list[tuple], start: float, end: float) -> float:
    """Seconds of [start, end] inside at least one recorded step (steps overlap when workers clean)."""
    covered, reach = 0.0, start
    for s, e in sorted((max(r[4], start), min(r[5], end)) for r in rows):
        if e > reach:
            covered += e - max(s, reach)
            reach = e
    return covered


def _span(stages: dict[str, dict[str, float]], names) -> float:
    got = [stages[n] for n in names if n in stages]
    return max(s["end"] for s in got) - min(s["start"] for s in got) if got else 0.0


def dfe_after(run_dir: Path, env: dict) -> None:
    """What the dfe-rules deployment does after the run: the DfE's pack on the loads it queued."""
    code = ("import sys; from flows.dfe_rules import check_queued; from permanence.config import Settings; "
            "check_queued(Settings(data_dir=sys.argv[1]))")
    proc = subprocess.run([sys.executable, "-c", code, str(run_dir)], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"DfE rule pack after the run failed:\n{proc.stderr[-3000:]}")


def one_run(drops: Path, run_dir: Path, warm: bool = False, dfe: bool = False) -> dict:
    """The flow over every drop in `drops`, in a fresh process: on a fresh data directory, or with
    `warm` on the one an earlier run left (figures then count this run's loads only). `dfe`: then
    the DfE's pack on its queue, as the dfe-rules flow runs it after the run (not in the run's figures)."""
    if not warm:
        shutil.rmtree(run_dir, ignore_errors=True)
    # audit timestamps are naive local times, which DuckDB's epoch() reads as UTC: do the same here
    since = dt.datetime.now().replace(tzinfo=dt.UTC).timestamp() - 1
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING", "PERMANENCE_HMAC_KEY": "dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98",
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "GX_ANALYTICS_ENABLED": "false"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run_once", "--drops", str(drops), "--data-dir", str(run_dir)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark run failed:\n{proc.stderr[-3000:]}")
    process = json.loads(proc.stdout.strip().splitlines()[-1])
    if dfe:
        dfe_after(run_dir, env)
    warehouse = run_dir / "warehouse" / "permanence.duckdb"
    stages = stage_figures(warehouse, since if warm else 0.0)
    # The process's own wall time against the steps it recorded: what no step accounts for.
    p0 = dt.datetime.fromisoformat(process["started_at"]).replace(tzinfo=dt.UTC).timestamp()
    p1 = dt.datetime.fromisoformat(process["finished_at"]).replace(tzinfo=dt.UTC).timestamp()
    rows = [r for r in _step_rows(warehouse, since if warm else 0.0) if r[0] != AFTER_RUN]
    first = min((r[4] for r in rows if r[0] != "startup"), default=p0)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows_in = con.execute(
            "select sum(rows_in) from audit.loads where status = 'published' and epoch(finished_at) >= ?",
            [since if warm else 0.0],
        ).fetchone()[0] or 0
    return {
        "process": process,
        "stages": stages,
        "pipeline_wall": _span(stages, STAGES),  # first stage's start to the last one's end
        "ingest_wall": _span(stages, INGEST_STAGES),
        "pipeline_cpu": sum(stages[n]["cpu"] for n in STAGES if n in stages),
        "unaccounted": (p1 - p0) - covered_seconds(rows, p0, p1),
        "before_flow": max(first - p0, 0.0),  # imports, Prefect's start, the flow run's creation
        "rows_in": rows_in,
        "warehouse_mb": warehouse.stat().st_size / 2**20,
        "published_mb": sum(p.stat().st_size for p in (run_dir / "published").rglob("*") if p.is_file()) / 2**20,
    }


def median(values):
    return statistics.median(values) if values else 0.0


def machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem_gb:.0f} GiB memory, {platform.machine()}, Python {platform.python_version()}"


def report(results: dict, command: str) -> str:
    lines = [
        "# Performance",
        "",
        f"Measured {dt.date.today():%d %B %Y} on {machine()}, with:",
        "",
        f"    {command}",
        "",
        "Each figure is the median of the runs named under each scale, each run in a fresh process and",
        "data directory. Stage figures come from `audit.load_steps` (every run records them).",
        "",
        "- *elapsed*: the stage's first start to its last finish. In a run of several drops the drops are",
        "  cleaned (validate, pseudonymise) two at a time in worker processes while the run's process",
        "  loads the ones already cleaned, so these per-drop stages overlap; *ingest* is their joint",
        "  elapsed time, and *step s* sums each drop's own step time (more than elapsed when they overlap).",
        "- *pipeline*: the first stage's start (pull) to the last one's end (publish). The rows under it",
        "  are the run's other steps: with the stages they cover the whole process (`startup`: process",
        "  start to the flow's first step, i.e. imports and Prefect's temporary API server; `orchestration`:",
        "  the time between two steps, Prefect's task calls and writing step figures; `dfe_queue`: queueing",
        "  the published loads for the DfE's validator, which runs after the run in the dfe-rules flow).",
        "  *process* is run_once's wall time, from its first line to the flow's",
        "  return; *unaccounted* is what of it no recorded step covers.",
        "- *CPU*: summed over the processes that ran the stage (the run's process and its workers);",
        "  *process* CPU counts the run's process, its workers and Prefect's temporary API server.",
        "- *CPU floor*: the process's CPU seconds over the machine's cores, the least wall time the run",
        "  could take if no core ever waited: a target below it needs CPU removed, not overlap.",
        "- *peak RSS*: the high-water RSS of the one process running the stage (a worker for validate",
        "  and pseudonymise). Workers exit before dbt starts, so the run's peak is the largest of",
        "  (run process during ingest + workers) and (run process during dbt).",
        "- *floor*: DuckDB reading every CSV of the drops once (`read_csv`, all columns as text).",
        "",
    ]
    for key, r in results.items():
        scale: Scale = r["scale"]
        runs = r["runs"]
        title = r.get("title") or f"{scale.name}: {scale.las} LA(s), ~{scale.children} children each, {scale.years} years"
        lines += [f"## {title}", ""]
        lines += [f"Rows read: {runs[0]['rows_in']:,}. Runs: {r['repeat']}. Target: {r.get('target', scale.target)}.", ""]
        lines += ["| stage | elapsed s | step s | CPU s | peak RSS MB | rows/s |", "|---|---:|---:|---:|---:|---:|"]

        def fig(stage: str, what: str) -> float:
            return median([run["stages"].get(stage, {}).get(what, 0) for run in runs])

        for stage in STAGES:
            if not any(stage in run["stages"] for run in runs):
                continue
            e = fig(stage, "elapsed")
            rps = runs[0]["rows_in"] / e if e else 0
            lines.append(f"| {stage} | {e:.2f} | {fig(stage, 'wall'):.2f} | {fig(stage, 'cpu'):.2f} | "
                         f"{fig(stage, 'rss'):.0f} | {rps:,.0f} |")
            if stage == INGEST_STAGES[-1]:
                iw = median([run["ingest_wall"] for run in runs])
                lines.append(f"| *ingest (pull to load, overlapping)* | *{iw:.2f}* | | | | "
                             f"*{runs[0]['rows_in'] / iw if iw else 0:,.0f}* |")
        pw = median([run["pipeline_wall"] for run in runs])
        pc = median([run["pipeline_cpu"] for run in runs])
        lines.append(f"| **pipeline** | **{pw:.2f}** | | **{pc:.2f}** | "
                     f"{median([max(run['stages'][n]['rss'] for n in STAGES if n in run['stages']) for run in runs]):.0f} | "
                     f"{runs[0]['rows_in'] / pw if pw else 0:,.0f} |")
        for stage in OTHER_STEPS:
            if any(stage in run["stages"] for run in runs):
                # orchestration is many short stretches across the run: its first-to-last span means nothing
                elapsed = "" if stage == "orchestration" else f"{fig(stage, 'elapsed'):.2f}"
                lines.append(f"| {stage} | {elapsed} | {fig(stage, 'wall'):.2f} | "
                             f"{fig(stage, 'cpu'):.2f} | {fig(stage, 'rss'):.0f} | |")
        pr = median([run["process"]["wall_seconds"] for run in runs])
        lines.append(f"| process (every step above, and what none records) | {pr:.2f} | | "
                     f"{median([run['process']['cpu_seconds'] for run in runs]):.2f} | "
                     f"{median([run['process']['peak_rss_mb'] for run in runs]):.0f} | |")
        un = [run["unaccounted"] for run in runs if "unaccounted" in run]
        share = [run["unaccounted"] / run["process"]["wall_seconds"] for run in runs if "unaccounted" in run]
        lines += [
            "",
            "- unaccounted (process wall minus the time inside recorded steps): per run "
            + ", ".join(f"{u:.2f} s ({sh:.1%})" for u, sh in zip(un, share))
            + "; before the flow's first step (imports, Prefect's start; recorded as `startup`): "
            + ", ".join(f"{run['before_flow']:.2f} s" for run in runs),
            *([target_line(scale, runs)] if "title" not in r and target_line(scale, runs) else []),
            _cpu_line(runs),
            _validation_line(runs),
            f"- floor (DuckDB reads the CSVs once): {r['floor']:.2f} s; pipeline = {pw / r['floor']:.0f} x the floor",
            f"- warehouse file: {median([run['warehouse_mb'] for run in runs]):.0f} MB; "
            f"published copy: {median([run['published_mb'] for run in runs]):.0f} MB",
            "",
        ]
    return "\n".join(lines)


def _cpu_line(runs: list[dict]) -> str:
    """Where the process's CPU went, and the wall time it implies on this machine's cores."""
    cores = len(os.sched_getaffinity(0))
    cpu = median([run["process"]["cpu_seconds"] for run in runs])
    server = median([run["process"].get("server_cpu_seconds", 0.0) for run in runs])
    return (f"- CPU: {cpu:.1f} s in all (median), of which Prefect's temporary API server {server:.1f} s; "
            f"CPU floor on {cores} cores: {cpu / cores:.1f} s, against a process wall time of "
            f"{median([run['process']['wall_seconds'] for run in runs]):.1f} s")


def _validation_line(runs: list[dict]) -> str:
    """validate's throughput, and the DfE's validator (`dfe_rules`, the flow after the run) beside it."""
    rows = runs[0]["rows_in"]
    per_cpu = median([rows / run["stages"]["validate"]["cpu"] for run in runs
                      if run["stages"].get("validate", {}).get("cpu")])
    per_step = median([rows / run["stages"]["validate"]["wall"] for run in runs
                       if run["stages"].get("validate", {}).get("wall")])
    line = (f"- validate: {per_step:,.0f} rows/s of step time ({per_cpu:,.0f} rows per CPU second), "
            f"summed over the processes that validated")
    dfe = [run["stages"]["dfe_rules"] for run in runs if "dfe_rules" in run["stages"]]
    if dfe and all(d["wall"] for d in dfe):
        ratio = median([run["stages"]["dfe_rules"]["wall"] / run["stages"]["validate"]["wall"] for run in runs
                        if "dfe_rules" in run["stages"] and run["stages"].get("validate", {}).get("wall")])
        line += (f"; the DfE's validator on the same published drops (`dfe_rules`, the dfe-rules flow after the run) "
                 f"{median([d['wall'] for d in dfe]):.2f} s, {ratio:.0f} x validate's step time")
    return line


def save_dbt_parse() -> None:
    """The installation's saved dbt parse, as an installation has after its first run
    (permanence.transform.saved_parse): every timed run then starts from it, as an LA's new data
    directory on an installed tool does. Without it the first timed run alone would parse in full."""
    import tempfile

    from permanence.config import Settings
    from permanence.pipeline import save_dbt_parse as save

    with tempfile.TemporaryDirectory() as tmp:
        save(Settings(data_dir=Path(tmp)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="la,region,national")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--repeat-national", type=int, default=None,
                    help="runs at national scale (default: --repeat); each takes minutes")
    ap.add_argument("--dfe-scales", default="la,region",
                    help="scales whose fresh runs are followed by the DfE's rule pack (the dfe-rules flow), "
                         "measured beside validate")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = ap.parse_args()
    command = "make bench" if args.scales == "la,region,national" and args.repeat == 3 \
        and args.repeat_national is None else " ".join(["python -m bench.harness", *sys.argv[1:]])
    results = {}
    save_dbt_parse()
    for key in args.scales.split(","):
        scale = SCALES[key]
        print(f"[bench] {scale.name}: generating", flush=True)
        drops = generate(key, scale)
        fl, _ = floor_seconds(drops)
        runs = []
        repeat = args.repeat_national if key == "national" and args.repeat_national else args.repeat
        for i in range(repeat):
            print(f"[bench] {scale.name}: run {i + 1}/{repeat}", flush=True)
            runs.append(one_run(drops, WORK / "runs" / key, dfe=key in args.dfe_scales.split(",")))
            print(f"[bench]   pipeline {runs[-1]['pipeline_wall']:.1f} s, process {runs[-1]['process']['wall_seconds']:.1f} s", flush=True)
        results[key] = {"scale": scale, "runs": runs, "floor": fl, "repeat": repeat}
        if scale.las > 1:
            # The nights after: one LA sends a new drop to the warehouse the last run left, and the
            # per-LA incremental models rebuild that LA alone.
            nights = [generate_next_night(key, scale, n) for n in range(1, repeat + 1)]
            warm = []
            for n, night in enumerate(nights, 1):
                print(f"[bench] {scale.name}: next night {n}/{repeat} (one LA's new drop, warm warehouse)", flush=True)
                warm.append(one_run(night, WORK / "runs" / key, warm=True))
                print(f"[bench]   pipeline {warm[-1]['pipeline_wall']:.1f} s, process {warm[-1]['process']['wall_seconds']:.1f} s", flush=True)
            results[f"{key}-next"] = {
                "scale": scale, "runs": warm, "floor": floor_seconds(nights[0])[0], "repeat": repeat,
                "title": f"{scale.name}, the next nights: one LA's new drop into the warm warehouse",
                "target": "- (the nightly case for a consortium or national warehouse)",
            }
    # The hand-written findings below the marker survive a re-run; the figures above it are replaced.
    kept = ""
    if args.out.exists() and ANALYSIS_MARKER in args.out.read_text():
        kept = args.out.read_text().split(ANALYSIS_MARKER, 1)[1]
    args.out.write_text(report(results, command) + "\n" + ANALYSIS_MARKER + kept)
    print(f"[bench] wrote {args.out}")


if __name__ == "__main__":
    main()
