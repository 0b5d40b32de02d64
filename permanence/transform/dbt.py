"""Run the dbt project (dbt_project/) in-process against the warehouse.

    from permanence.transform.dbt import run_dbt, DbtError
    outcome = run_dbt("build", warehouse=Path("data/warehouse.duckdb"))
    outcome = run_dbt("build", warehouse=wh, select="staging", vars={"as_at_date": "2025-03-31"},
                      artifacts_dir=tmp / "dbt")   # own target/ and logs/ for a parallel run
    run_dbt("parse", target="postgres")             # no server needed for parse
    run_dbt("docs generate", warehouse=wh)

On failure `DbtError` is raised with a one-line message naming the failing nodes and tests
(counts only, never row values); the outcome is on `err.outcome`. The data is about children,
so dbt's console output is kept to warnings and errors, failing rows are never stored
(data_tests +store_failures: false in dbt_project.yml) and quoted literals are stripped from
database error messages before they reach the exception.

dbt keeps process-global state (flags, adapter registry), so calls are serialised with a lock:
run separate processes for real parallelism, each with its own `artifacts_dir`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from permanence.transform import saved_parse

__all__ = ["DbtError", "DbtOutcome", "build_key", "dbt_project_dir", "project_vars", "run_dbt", "seed_rows"]

PROJECT_DIR_ENV = "PERMANENCE_DBT_PROJECT_DIR"
WAREHOUSE_ENV = "PERMANENCE_WAREHOUSE"
TARGETS = ("duckdb", "postgres")
_FAILED = {"error", "fail", "runtime error"}
_LOCK = threading.Lock()


@dataclass
class DbtOutcome:
    command: str
    success: bool
    failed_nodes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # status -> nodes, e.g. {"pass": 80}
    elapsed: float = 0.0  # seconds, wall clock of the whole invocation
    target_path: Path | None = None  # where manifest.json / run_results.json / catalog.json are
    error: str | None = None  # one-line reason when dbt itself failed (parse, connection, ...)

    def summary(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items())) or "no nodes"
        return f"dbt {self.command}: {'ok' if self.success else 'FAILED'} ({counts}) in {self.elapsed:.1f}s"


class DbtError(RuntimeError):
    """dbt failed; str(err) is one line naming what failed, err.outcome has the details."""

    def __init__(self, message: str, outcome: DbtOutcome):
        super().__init__(message)
        self.outcome = outcome


def dbt_project_dir() -> Path:
    override = os.environ.get(PROJECT_DIR_ENV)
    return Path(override).resolve() if override else Path(__file__).resolve().parents[2] / "dbt_project"



def project_vars() -> dict[str, Any]:
    """The vars of dbt_project.yml (thresholds, plan codes): Python that needs a threshold reads it
    here, so the figure the marts compute with and the one a report prints are written once."""
    from permanence import yamlfile

    return yamlfile.safe_load((dbt_project_dir() / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def seed_rows(name: str) -> list[dict[str, str]]:
    """The rows of one seed CSV (e.g. exit_routes), as strings: the same list the marts are tested
    against, read without a warehouse."""
    import csv

    with (dbt_project_dir() / "seeds" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))

# What a model's rows can depend on besides the data: these parts of the project (tests and docs
# cannot change a row) and the dbt versions. See build_key().
_BUILD_INPUTS = ("dbt_project.yml", "models", "macros", "seeds", "snapshots")
_BUILD_PACKAGES = ("dbt-core", "dbt-duckdb", "dbt-postgres")


def build_key(vars: dict[str, Any] | None = None, project: Path | None = None) -> str:
    """A fingerprint of everything besides the loads that decides the models' rows: the project's
    SQL, yml, macros and seeds, the vars given, and the dbt versions.

    The per-LA incremental models (dbt_project/macros/per_la_incremental.sql) keep an LA's rows
    only while its current load and this key are unchanged, so an edited model, a changed
    threshold or another reporting date rebuilds every LA, and nothing stale is ever kept.
    """
    from importlib.metadata import PackageNotFoundError, version

    project = project or dbt_project_dir()
    digest = hashlib.sha256()
    for name in _BUILD_INPUTS:
        root = project / name
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file():
                digest.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes() + b"\0")
    given = {k: v for k, v in (vars or {}).items() if k != "build_key"}
    digest.update(json.dumps(given, sort_keys=True, default=str).encode())
    for package in _BUILD_PACKAGES:
        try:
            digest.update(f"{package}={version(package)}".encode())
        except PackageNotFoundError:
            pass
    return digest.hexdigest()[:16]


def _one_line(text: str, limit: int = 240) -> str:
    """First meaningful content of a dbt/database message, one line, without quoted literals."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))
    text = re.sub(r"'(?:[^']|'')*'", "'?'", text)  # values appear as 'literals' in DB errors
    text = " ".join(part.strip() for part in text.splitlines() if part.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _describe(result: Any) -> tuple[str, str]:
    node = result.node
    kind = str(getattr(node, "resource_type", "node")).split(".")[-1].lower()
    status = str(getattr(result.status, "value", result.status)).lower()
    if status == "fail":
        n = getattr(result, "failures", None)
        detail = f"failed ({n} row{'s' if n != 1 else ''})" if n is not None else "failed"
    else:
        message = re.sub(r"^\s*[\w ]*Error in \w+ \S+ \([^)]*\)\s*", "", str(result.message or ""))
        detail = f"error: {_one_line(message, 160)}"
    return f"{kind} {node.name}", detail


def run_dbt(
    command: str = "build",
    warehouse: Path | str | None = None,
    target: str = "duckdb",
    select: str | None = None,
    vars: dict[str, Any] | None = None,
    *,
    artifacts_dir: Path | str | None = None,
    exclude: str | None = None,
    full_refresh: bool = False,
    raise_on_failure: bool = True,
    extra_env: dict[str, str] | None = None,
    parse_cache: Path | None = None,
) -> DbtOutcome:
    """Invoke `dbt <command>` on the project; raise DbtError (one line) when it fails.

    command: build, run, test, parse, compile, "docs generate", ... (split on spaces).
    warehouse: the DuckDB file (required for target duckdb; ignored by postgres, whose
        connection comes from PERMANENCE_PG_* env vars, see dbt_project/profiles.yml).
    artifacts_dir: dbt's target/ and logs/ go under it (default: dbt_project/target and
        dbt_project/logs). Give each concurrent run its own.
    extra_env: environment set for the invocation only, e.g. Settings.pg_env() for target postgres.
    parse_cache: the installation's copy of dbt's saved parse (permanence.transform.saved_parse,
        Settings.dbt_parse_cache): a target folder without a saved parse starts from it.
    """
    from dbt.cli.main import dbtRunner  # heavy import: only when dbt is actually run

    if target not in TARGETS:
        raise ValueError(f"unknown dbt target {target!r}; expected one of {TARGETS}")
    words = command.split()
    if not words:
        raise ValueError("empty dbt command")
    project = dbt_project_dir()
    if artifacts_dir is None:
        target_path, log_path = project / "target", project / "logs"
    else:
        # absolute: dbt reads relative paths from the project folder, not from where the run started
        target_path, log_path = Path(artifacts_dir).resolve() / "target", Path(artifacts_dir).resolve() / "logs"

    env = {**(extra_env or {}), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PERMANENCE_DBT_TARGET": target}
    workdir = None
    if target == "duckdb":
        if warehouse is None:
            raise ValueError("run_dbt: warehouse (the DuckDB file) is required for target duckdb")
        if words[0] != "parse" and not Path(warehouse).is_file():
            raise FileNotFoundError(f"run_dbt: warehouse {warehouse} does not exist (run the load step first)")
        # The file by its name, dbt run in its folder: dbt keeps its saved parse only while the
        # profile's connection settings are unchanged, and a full path would tie the parse to one
        # data directory (permanence.transform.saved_parse).
        workdir = Path(warehouse).resolve().parent
        if workdir.is_dir():
            env[WAREHOUSE_ENV] = Path(warehouse).name
        else:  # a parse before the warehouse's folder exists: dbt does not open the file
            workdir, env[WAREHOUSE_ENV] = None, str(Path(warehouse).resolve())
    elif warehouse is not None:
        env[WAREHOUSE_ENV] = str(Path(warehouse).resolve())
    else:
        env.setdefault(WAREHOUSE_ENV, os.environ.get(WAREHOUSE_ENV, ""))

    args = [
        *words,
        "--project-dir", str(project),
        "--profiles-dir", str(project),
        "--target", target,
        "--target-path", str(target_path),
        "--log-path", str(log_path),
        "--log-level", "warn",  # console: warnings and errors only
        "--no-use-colors",
    ]
    if select:
        args += ["--select", select]
    if exclude:
        args += ["--exclude", exclude]
    args += ["--vars", json.dumps({**(vars or {}), "build_key": build_key(vars, project)}, default=str)]
    if full_refresh:
        args.append("--full-refresh")

    started = time.monotonic()
    # The working folder, like the environment, is the process's: both are set under the lock.
    with _LOCK, _env(env), contextlib.chdir(workdir or Path.cwd()):
        if parse_cache is not None:
            saved_parse.seed(parse_cache, project, target_path)
        try:
            res = dbtRunner().invoke(args)
            success, result, exc = bool(res.success), res.result, res.exception
        except Exception as e:  # dbt normally reports through res.exception; be safe
            success, result, exc = False, None, e
        if parse_cache is not None and result is not None:
            saved_parse.keep(parse_cache, project, target_path)
    elapsed = time.monotonic() - started

    counts: Counter[str] = Counter()
    failed: list[str] = []
    details: list[str] = []
    for r in getattr(result, "results", None) or []:
        status = str(getattr(r.status, "value", r.status)).lower()
        counts[status] += 1
        if status in _FAILED:
            name, detail = _describe(r)
            failed.append(name)
            details.append(f"{name} {detail}")
    outcome = DbtOutcome(
        command=" ".join(words),
        success=success,
        failed_nodes=failed,
        counts=dict(counts),
        elapsed=round(elapsed, 2),
        target_path=target_path,
        error=f"{type(exc).__name__}: {_one_line(exc)}" if exc is not None else None,
    )
    if not success and raise_on_failure:
        if details:
            msg = f"dbt {outcome.command} failed on {len(details)} node(s): " + "; ".join(details)
        elif outcome.error:
            msg = f"dbt {outcome.command} failed: {outcome.error}"
        else:
            msg = f"dbt {outcome.command} failed (see {log_path / 'dbt.log'})"
        raise DbtError(_one_line(msg, 1000), outcome)
    return outcome
