import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from permanence.cli import app

runner = CliRunner()


def test_help_is_fast_and_lists_commands():
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "permanence.cli", "--help"], capture_output=True, text=True, check=True)
    assert {"run", "synth", "demo"} <= {w.strip("│ ") for w in out.stdout.split()}
    assert time.perf_counter() - t0 < 10  # generous: the benchmark records the real figure


def test_synth_writes_region(tmp_path):
    result = runner.invoke(app, ["synth", "--out", str(tmp_path), "--las", "2", "--children", "20", "--years", "2"])
    assert result.exit_code == 0, result.output
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 2


@pytest.mark.slow
def test_run_on_structurally_broken_drop_fails_with_one_clear_line(tmp_path, monkeypatch):
    from permanence.synth import generate_region, write_defective_drop

    [drop] = generate_region(tmp_path / "in", las=1, children=20, years=2, seed=1)
    bad = write_defective_drop(drop.path, tmp_path / "bad_2025-03-31", "missing_column")
    monkeypatch.setenv("PERMANENCE_HMAC_KEY", "dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98")
    result = subprocess.run(
        [sys.executable, "-m", "permanence.cli", "run", "--source", str(bad), "--la", drop.la_code,
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    error, hint = [l for l in result.stderr.splitlines() if l.strip()][-2:]
    assert error.startswith("error: drop quarantined:") and "REC" in error and "rule" in error
    assert hint.startswith("hint: ") and "full log: " in hint
    assert "Traceback" not in result.stderr + result.stdout
    # the load is named, with the command that shows its evidence chain
    audit_cmd = re.search(r"permanence audit --load (\S+) --data-dir (\S+);", hint)
    assert audit_cmd and audit_cmd.group(2) == str(tmp_path / "data"), hint
    # steps that did not run say so, never a green tick
    lines = result.stderr.splitlines()
    for label in ("dbt build", "mart checks (Great Expectations)", "publish", "SPG tracker workbook"):
        (line,) = [l for l in lines if l.startswith(("- ", "✓ ", "✗ ")) and l[2:].startswith(label + " ")]
        assert line.startswith("- ") and "skipped: nothing" in line and "✓" not in line, line
    log = Path(hint.split("full log: ", 1)[1])
    assert "Traceback" in log.read_text()  # kept for the on-call engineer, off the screen


def test_a_command_without_a_warehouse_names_the_directory_and_points_at_the_demo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["report", "--quarter", "2024-Q4"])
    assert result.exit_code == 1
    error, hint = result.output.strip().splitlines()[-2:]
    assert error == ("error: no restricted copy (written by the nightly load) in data directory data "
                     "(looked for data/restricted/permanence.duckdb)")
    assert hint.startswith("hint: ") and "--data-dir" in hint
    # after `make demo`, the commands that default to data/ say where the demo's warehouse is
    for folder in ("restricted", "warehouse"):
        (tmp_path / "data" / "demo" / folder).mkdir(parents=True)
        (tmp_path / "data" / "demo" / folder / "permanence.duckdb").touch()
    for cmd in (["tracker"], ["report", "--quarter", "2024-Q4"], ["audit", "--load", "x"], ["dfe-rules"]):
        result = runner.invoke(app, cmd)
        assert result.exit_code == 1 and result.output.strip().splitlines()[-1] == \
            "hint: the demo's is in data/demo: add --data-dir data/demo", result.output


def test_usage_errors_have_their_own_exit_code_and_one_line(tmp_path):
    """click's usage errors exit 2, which here means quarantined: the console script maps them to 4."""
    for args, says in ((["run", "--bogus"], "No such option: --bogus"),
                       (["run", "--source", "x", "--la", "894", "--as-at", "2024-13-01"], "--as-at"),
                       (["report"], "Missing option '--quarter'")):
        out = subprocess.run([sys.executable, "-m", "permanence.cli", *args], capture_output=True, text=True,
                             cwd=tmp_path, timeout=120)
        assert out.returncode == 4, out.stderr
        error, hint = out.stderr.strip().splitlines()[-2:]
        assert error.startswith("error: ") and says in error and hint.startswith("hint: permanence "), out.stderr
        assert "Traceback" not in out.stderr
    bare = subprocess.run([sys.executable, "-m", "permanence.cli"], capture_output=True, text=True, timeout=120)
    assert bare.returncode == 0 and "Usage: permanence" in bare.stdout + bare.stderr


def test_a_setting_out_of_range_is_one_line_naming_it_not_a_traceback(tmp_path):
    """A PERMANENCE_* value the typed settings refuse: the setting is named, its value never echoed
    (it may be the pseudonymisation key), exit 4 as any usage error."""
    for name, value, says in (("PERMANENCE_WORKERS", "-3", "greater than or equal to 0"),
                              ("PERMANENCE_DUCKDB_MEMORY_LIMIT", "plenty-of-ram", "not a size")):
        out = subprocess.run([sys.executable, "-m", "permanence.cli", "report", "--quarter", "2024-Q4"],
                             capture_output=True, text=True, cwd=tmp_path, timeout=120,
                             env={**os.environ, name: value})
        assert out.returncode == 4, out.stdout + out.stderr
        error, hint = (out.stdout + out.stderr).strip().splitlines()[-2:]
        assert error.startswith(f"error: setting {name}: ") and says in error, error
        assert hint.startswith("hint: ") and "Traceback" not in out.stderr and value not in out.stdout + out.stderr


def test_the_duckdb_memory_limit_reaches_dbt():
    from permanence.config import Settings
    from permanence.pipeline import _dbt_target

    env = _dbt_target(Settings(duckdb_memory_limit="3GB"))["extra_env"]
    assert env["PERMANENCE_DUCKDB_MEMORY_LIMIT"] == "3GB"
    assert "{{ env_var('PERMANENCE_DUCKDB_MEMORY_LIMIT'" in (Path(__file__).resolve().parents[1] / "dbt_project" / "profiles.yml").read_text()


def test_a_temporary_prefect_server_too_slow_to_start_is_one_line_not_a_traceback(tmp_path):
    """Without `permanence serve`, a run starts Prefect's temporary server; on a loaded machine it may
    miss its start limit (forced here to 1 s on a fresh Prefect home, which no start meets)."""
    from permanence.synth import generate_region

    [drop] = generate_region(tmp_path / "in", las=1, children=10, years=1, seed=3)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "1",
           "PERMANENCE_HMAC_KEY": "dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98"}
    env.pop("PREFECT_API_URL", None)
    out = subprocess.run([sys.executable, "-m", "permanence.cli", "run", "--source", str(drop.path), "--la", drop.la_code,
                          "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 1, out.stderr[-2000:]
    error, hint = out.stderr.strip().splitlines()[-2:]
    assert error == "error: Prefect's temporary API server did not start in time (a loaded machine?)"
    assert "permanence serve" in hint and "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in hint
    assert "Traceback" not in out.stderr and "Traceback" in Path(hint.split("full log: ", 1)[1]).read_text()
    assert not (tmp_path / "data" / "archive").exists()  # nothing was pulled
