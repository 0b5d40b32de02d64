"""The published copy opens in the DuckDB clients BI tools ship (1.1 and later), not only ours."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from permanence.publish.copies import publish_warehouse

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "tests" / "clients" / "duckdb-1.1.lock"
CLIENT = ROOT / ".venv-clients" / "duckdb-1.1"

pytestmark = pytest.mark.slow


def _old_client() -> Path:
    """Python with DuckDB 1.1 (tests/clients/duckdb-1.1.lock), made once and kept."""
    python = CLIENT / "bin" / "python"
    stamp = CLIENT / ".installed"
    if stamp.is_file() and stamp.read_text() == LOCK.read_text():
        return python
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(CLIENT)], check=True, capture_output=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(LOCK)], check=True,
                       capture_output=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"could not install the DuckDB 1.1 client from {LOCK.name}: {type(exc).__name__}")
    stamp.write_text(LOCK.read_text())
    return python


READ = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
tables = con.execute("select table_schema || '.' || table_name from information_schema.tables order by 1").fetchall()
rows = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}
print(json.dumps({"version": duckdb.__version__, "rows": rows,
                  "sample": con.execute("select d::varchar, x from marts.m order by i limit 1").fetchall()}))
"""


def test_a_duckdb_1_1_client_opens_the_published_copy(tmp_path):
    wh = tmp_path / "permanence.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("create schema marts; create schema reference")
        con.execute("create table marts.m as select range as i, (0.5 * range)::double as x, date '2025-03-31' as d from range(100)")
        con.execute("create table reference.r as select 'x' as k")
    pub = publish_warehouse(wh, tmp_path / "pub", tier="restricted")
    done = subprocess.run([str(_old_client()), "-c", READ, str(pub.path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    got = json.loads(done.stdout)
    assert got["version"].startswith("1.1.")
    assert got["rows"] == {"marts.m": 100, "reference.r": 1}
    assert got["sample"] == [["2025-03-31", 0.0]]


def test_a_nightly_runs_copies_open_in_duckdb_1_1(tmp_path):
    """Every table of the real BI copy and of the restricted copy, as a nightly run writes them."""
    from permanence.config import Settings
    from permanence.synth import generate_region
    from tests.pipeline_helpers import run_drops

    [drop] = generate_region(tmp_path / "in", las=1, children=40, years=3, seed=23)
    settings = Settings(data_dir=tmp_path / "data")
    [run] = run_drops(settings, [(str(drop.path), drop.la_code)])
    assert run.status == "published", run.message
    count_all = ("import json, sys, duckdb\ncon = duckdb.connect(sys.argv[1], read_only=True)\n"
                 "t = con.execute(\"select table_schema || '.' || table_name from information_schema.tables\").fetchall()\n"
                 "print(json.dumps({n: con.execute(f'select count(*) from {n}').fetchone()[0] for (n,) in t}))")
    for copy in (settings.published_dir / "permanence.duckdb", settings.restricted_dir / "permanence.duckdb"):
        done = subprocess.run([str(_old_client()), "-c", count_all, str(copy)], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, f"{copy.parent.name}: {done.stderr[-300:]}"
        with duckdb.connect(str(copy), read_only=True) as con:
            ours = {n: con.execute(f"select count(*) from {n}").fetchone()[0] for (n,) in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables").fetchall()}
        assert json.loads(done.stdout) == ours and any(n.startswith("marts.") for n in ours)
