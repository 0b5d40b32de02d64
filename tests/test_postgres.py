"""The PostgreSQL warehouse: a real throwaway server, the load, audit, lock, and the marts compared
row for row with DuckDB's on a synthetic region.

The fixture runs initdb into a temporary directory and starts `postgres` on a free loopback port
(as the `postgres` OS user when the tests run as root: initdb and postgres refuse root), creates a
non-superuser loader role `permanence` with trust auth on 127.0.0.1, and stops the server after.
The tests are skipped only when no PostgreSQL server binaries exist (.ci/run installs them and
sets PERMANENCE_TEST_REQUIRE_PG=1, which turns that skip into a failure).
"""

from __future__ import annotations

import datetime as dt
import decimal
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from permanence import warehouse
from permanence.config import Settings
from permanence.transform.dbt import dbt_project_dir

LOADER = "permanence"


def _pg_bin() -> Path | None:
    """The newest server's bin directory (Debian: /usr/lib/postgresql/<v>/bin), else PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres") and shutil.which("initdb") and shutil.which("pg_ctl")
    return Path(shutil.which("postgres")).parent if on_path else None


PG_BIN = _pg_bin()
REQUIRED = bool(os.environ.get("PERMANENCE_TEST_REQUIRE_PG"))  # .ci/run sets it: never skip in CI
pytestmark = pytest.mark.skipif(
    PG_BIN is None and not REQUIRED,
    reason="no PostgreSQL server binaries (initdb/pg_ctl/postgres): apt-get install postgresql",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="permanence-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb/postgres refuse to run as root
            user = "postgres"
            try:
                pw = pwd.getpwnam(user)
            except KeyError:
                pytest.skip("running as root and there is no 'postgres' OS user to run the server as")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", user, "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, text=True, cwd=self.root)

    def start(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "pgadmin", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", opts, "-w", "-t", "60", "start")
        with closing(self.admin()) as con, con.cursor() as cur:
            cur.execute(f"create role {LOADER} login")

    def admin(self, dbname: str = "postgres"):
        import psycopg2

        con = psycopg2.connect(host="127.0.0.1", port=self.port, user="pgadmin", dbname=dbname)
        con.autocommit = True
        return con

    def new_database(self) -> str:
        """A fresh database owned by the loader role (which is not a superuser)."""
        name = f"wh_{uuid.uuid4().hex[:10]}"
        with closing(self.admin()) as con, con.cursor() as cur:
            cur.execute(f"create database {name} owner {LOADER} template template0")
        return name

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    if PG_BIN is None:
        pytest.fail("PERMANENCE_TEST_REQUIRE_PG is set but no PostgreSQL server binaries were found")
    c = Cluster(PG_BIN)
    try:
        c.start()
    except subprocess.CalledProcessError as exc:
        log = c.root / "server.log"
        c.stop()
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr or exc}\n"
                           f"{log.read_text() if log.exists() else ''}") from None
    yield c
    c.stop()


@pytest.fixture
def pg_settings(cluster, tmp_path) -> Settings:
    return Settings(target="postgres", data_dir=tmp_path / "data", pg_host="127.0.0.1", pg_port=cluster.port,
                    pg_user=LOADER, pg_password="", pg_dbname=cluster.new_database())


def _query(settings: Settings, sql: str, params=None) -> list[tuple]:
    with warehouse.connect(settings) as con:
        return con.execute(sql, params).fetchall()


# --- the backend ------------------------------------------------------------------------------


def test_create_schema_maps_duckdb_types_and_is_idempotent(pg_settings):
    with warehouse.connect(pg_settings) as con:
        warehouse.create_schema(con)
        warehouse.create_schema(con)
    types = dict(_query(pg_settings, "select column_name, data_type from information_schema.columns "
                                     "where table_schema = 'audit' and table_name = 'load_steps'"))
    assert types["cpu_seconds"] == "double precision"
    assert types["started_at"] == "timestamp without time zone"
    raw = dict(_query(pg_settings, "select column_name, data_type from information_schema.columns "
                                   "where table_schema = 'raw' and table_name = 'episodes'"))
    assert raw["decom"] == "date" and raw["source_row"] == "integer" and raw["child"] == "character varying"


def test_insert_frame_keeps_nulls_empty_strings_dates_and_awkward_text(pg_settings):
    with warehouse.connect(pg_settings) as con:
        con.execute("create table public.t (s varchar, d date, i integer, x double precision, ts timestamp)")
        df = pd.DataFrame({
            "s": ["a,b", "", None, 'quote " and\nnewline', "%s ? \\N-ish"],
            "d": [dt.date(2024, 2, 29), None, dt.date(1999, 1, 1), None, None],
            "i": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "x": [1.5, None, 2.0, 3.0, 0.1],
            "ts": [dt.datetime(2025, 3, 31, 23, 59, 59, 123456)] + [None] * 4,
        })
        con.insert_frame("public.t", df)
        rows = con.execute("select s, d, i, x, ts from public.t where i is distinct from ? order by i nulls first",
                           [99]).fetchall()
    assert rows[0] == ("", None, None, None, None)
    assert rows[1] == ("a,b", dt.date(2024, 2, 29), 1, 1.5, dt.datetime(2025, 3, 31, 23, 59, 59, 123456))
    assert rows[2] == (None, dt.date(1999, 1, 1), 3, 2.0, None)
    assert rows[3][0] == 'quote " and\nnewline' and rows[4][0] == "%s ? \\N-ish" and rows[4][3] == 0.1


def test_exclusive_is_an_advisory_lock_per_database(pg_settings, cluster):
    other = pg_settings.model_copy(update={"pg_dbname": cluster.new_database()})
    with warehouse.exclusive(pg_settings):
        with pytest.raises(warehouse.WarehouseBusy, match="another run holds"):
            with warehouse.exclusive(pg_settings):
                pass
        with warehouse.exclusive(other):  # another database is another warehouse
            pass
    with warehouse.exclusive(pg_settings):  # released
        pass


# --- the pipeline on PostgreSQL ---------------------------------------------------------------


@pytest.fixture(scope="module")
def region_drops(tmp_path_factory):
    from permanence.synth import generate_region

    tmp = tmp_path_factory.mktemp("pg_region")
    drops = generate_region(tmp / "drops", las=2, children=150, years=4, seed=23)
    return [(str(d.path), d.la_code) for d in drops]


@pytest.fixture(scope="module")
def both_warehouses(cluster, region_drops, tmp_path_factory):
    """The same drops and key through the nightly tasks into DuckDB and into PostgreSQL."""
    from tests.pipeline_helpers import run_drops

    tmp = tmp_path_factory.mktemp("pg_compare")
    duck = Settings(data_dir=tmp / "duck")
    pg = Settings(target="postgres", data_dir=tmp / "pg", pg_host="127.0.0.1", pg_port=cluster.port,
                  pg_user=LOADER, pg_password="", pg_dbname=cluster.new_database())
    duck_runs = run_drops(duck, region_drops, key=b"compare-key")
    pg_runs = run_drops(pg, region_drops, key=b"compare-key")
    return duck, pg, duck_runs, pg_runs


@pytest.mark.slow
def test_pipeline_on_postgres_loads_audits_and_publishes_nothing(both_warehouses):
    duck, pg, duck_runs, pg_runs = both_warehouses
    assert [r.status for r in pg_runs] == ["published"] * len(pg_runs), [(r.la_code, r.message) for r in pg_runs]
    assert [r.rows_loaded for r in pg_runs] == [r.rows_loaded for r in duck_runs]
    assert not (pg.data_dir / "published").exists() and not pg.warehouse_path.exists()
    statuses = _query(pg, "select la_code, status from audit.loads order by la_code")
    assert statuses == sorted((r.la_code, "published") for r in pg_runs)
    steps = {s for (s,) in _query(pg, "select distinct step from audit.load_steps")}
    assert {"pull", "validate", "pseudonymise", "load", "transform", "checks"} <= steps
    # the same checks on PostgreSQL as on DuckDB: every cross-mart reconciliation (Great
    # Expectations) for each load, with the same audit rows, and every dbt data test's result
    import duckdb

    from validations.marts.expectations import RECONCILIATIONS

    expectations = "select suite, mart, expectation, columns, success from audit.expectation_results"
    on_pg = sorted(_query(pg, expectations))
    with duckdb.connect(str(duck.warehouse_path), read_only=True) as con:
        on_duck = sorted(con.execute(expectations).fetchall())
        duck_dbt = con.execute("select count(*) from audit.dbt_results").fetchone()[0]
    assert len(on_pg) == len(pg_runs) * len(RECONCILIATIONS) and on_pg == on_duck
    assert {suite for suite, *_ in on_pg} == set(RECONCILIATIONS)
    assert all(success for *_, success in on_pg)
    pg_dbt = _query(pg, "select count(*), count(*) filter (where status = 'pass') from audit.dbt_results")[0]
    assert pg_dbt[0] > 50 and pg_dbt[0] == pg_dbt[1] == duck_dbt  # each load's build, all passed
    assert (pg.reports_dir / "data-docs" / pg_runs[0].load_id / "index.html").exists()
    current = _query(pg, "select la_code, load_id from raw.current_load order by la_code")
    assert current == sorted((r.la_code, r.load_id) for r in pg_runs)
    # the same raw rows, the same pseudonyms (same key)
    with duckdb.connect(str(duck.warehouse_path), read_only=True) as con:
        duck_children = {r[0] for r in con.execute("select distinct child from raw.episodes").fetchall()}
    assert {r[0] for r in _query(pg, "select distinct child from raw.episodes")} == duck_children


@pytest.mark.slow
def test_same_drop_again_is_skipped_and_a_killed_run_is_discarded(both_warehouses, region_drops):
    from tests.pipeline_helpers import run_drops

    _, pg, _, first = both_warehouses
    again = run_drops(pg, region_drops[:1], key=b"compare-key")
    assert again[0].status == "skipped" and first[0].load_id in again[0].message
    # a killed run (steps recorded, no final status) is discarded by the next prepare
    with warehouse.connect(pg) as con:
        con.execute("insert into audit.load_steps (load_id, step, status) values ('killed-1', 'load', 'ok')")
        con.execute("insert into raw.episodes (child, load_id, la_code) values ('x', 'killed-1', '999')")
    from permanence import pipeline

    assert pipeline.prepare(pg) == ["killed-1"]
    assert _query(pg, "select count(*) from raw.episodes where load_id = 'killed-1'") == [(0,)]
    assert _query(pg, "select status from audit.loads where load_id = 'killed-1'") == [("crashed",)]


@pytest.mark.slow
def test_bi_role_is_refused_child_level_marts_and_the_restricted_role_sees_its_la_only(both_warehouses, cluster):
    """Issue 13 point 4 on PostgreSQL: the BI role reads schema bi (aggregate marts, small numbers
    null) and is refused marts; a restricted login reads the marts of the LA it is listed for, only."""
    import psycopg2
    import psycopg2.errors

    from permanence.publish.tiers import secure_postgres

    _, pg, _, pg_runs = both_warehouses
    la, other = pg_runs[0].la_code, pg_runs[1].la_code
    with closing(cluster.admin()) as con, con.cursor() as cur:  # the DBA's part (docs/deploy.md)
        for role, options in [(pg.pg_bi_role, "nologin"), ("bi_server", f"login in role {pg.pg_bi_role}"),
                              (pg.pg_restricted_role, "nologin"),
                              ("spg_reader", f"login in role {pg.pg_restricted_role}")]:
            cur.execute(f"create role {role} {options}")
    secure_postgres(pg)  # what the publish step does after each build, now that the roles exist
    with warehouse.connect(pg) as con:
        con.execute("insert into access.la_readers (member, la_code) values ('spg_reader', ?)", [la])

    def as_(user: str, sql: str) -> list[tuple]:
        with closing(psycopg2.connect(host="127.0.0.1", port=cluster.port, user=user, dbname=pg.pg_dbname)) as c:
            with c.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()

    # the attack: a BI reader asks for a child-level mart, or for the unsuppressed aggregates
    for table in ("marts.periods_of_care", "marts.spg_cohort_children", "marts.exits_by_year", "raw.episodes"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied"):
            as_("bi_server", f"select count(*) from {table}")
    with pytest.raises(psycopg2.errors.UndefinedTable):
        as_("bi_server", "select count(*) from bi.periods_of_care")
    [(rows, hidden, small)] = as_("bi_server", "select count(*), count(suppressed_reason), "
                                               "count(*) filter (where children between 1 and 5) from bi.exits_by_year")
    assert rows > 0 and hidden > 0 and small == 0
    # the descriptions dbt persisted on the marts reach the BI role's copies; the dimensions are there too
    [(about, column)] = _query(pg, "select obj_description('marts.exits_by_year'::regclass, 'pg_class'), "
                                   "col_description('marts.exits_by_year'::regclass, 4)")
    assert about and column
    assert as_("bi_server", "select obj_description('bi.exits_by_year'::regclass, 'pg_class'), "
                            "col_description('bi.exits_by_year'::regclass, 4)") == [(about, column)]
    assert as_("bi_server", "select count(*) from bi.dim_la")[0][0] == len(pg_runs)
    # the restricted login: every mart, child-level ones included, of its own LA only
    assert as_("spg_reader", "select distinct la_code from marts.periods_of_care") == [(la,)]
    assert as_("spg_reader", f"select count(*) from marts.spg_cohort_children where la_code = '{other}'") == [(0,)]
    assert _query(pg, f"select count(*) from marts.periods_of_care where la_code = '{other}'")[0][0] > 0
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        as_("spg_reader", "select count(*) from raw.episodes")


def _marts() -> list[str]:
    marts = dbt_project_dir() / "models" / "marts"
    return sorted(p.stem for p in marts.rglob("*.sql"))  # dimensions/ too: the semantic layer runs on both


def _frame(rows: list[tuple], cols: list[str]) -> pd.DataFrame:
    """Both sides in one shape: dates as ISO text, numbers as float, missing as None; sorted by all."""

    def norm(v):
        if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
            return None
        if isinstance(v, bool):
            return float(v)
        if isinstance(v, (int, float, decimal.Decimal)):
            return float(v)
        if isinstance(v, (dt.datetime, pd.Timestamp)):
            return pd.Timestamp(v).isoformat()
        if isinstance(v, dt.date):
            return v.isoformat()
        return str(v)

    data = [tuple(norm(v) for v in r) for r in rows]
    data.sort(key=lambda r: tuple((v is None, "" if v is None else (f"{v:.6f}" if isinstance(v, float) else v))
                                  for v in r))
    return pd.DataFrame(data, columns=cols, dtype=object)


@pytest.mark.slow
def test_marts_on_postgres_equal_marts_on_duckdb_row_for_row(both_warehouses):
    import duckdb

    duck, pg, _, _ = both_warehouses
    marts = _marts()
    assert len(marts) >= 13
    mismatches = []
    with duckdb.connect(str(duck.warehouse_path), read_only=True) as dcon, warehouse.connect(pg) as pcon:
        for mart in marts:
            cols = [r[0] for r in dcon.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position", [mart]).fetchall()]
            pg_cols = [r[0] for r in pcon.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position", [mart]).fetchall()]
            assert cols and cols == pg_cols, mart
            col_list = ", ".join(f'"{c}"' for c in cols)
            d = _frame(dcon.execute(f"select {col_list} from marts.{mart}").fetchall(), cols)
            p = _frame(pcon.execute(f"select {col_list} from marts.{mart}").fetchall(), cols)
            if len(d) != len(p):
                mismatches.append(f"{mart}: {len(d)} rows on DuckDB, {len(p)} on PostgreSQL")
                continue
            for c in cols:
                for i, (a, b) in enumerate(zip(d[c], p[c])):
                    same = (a == b) or (isinstance(a, float) and isinstance(b, float)
                                        and abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)))
                    if not same:
                        mismatches.append(f"{mart}.{c} row {i}: {a!r} (DuckDB) != {b!r} (PostgreSQL)")
                        break
            if d.empty:
                mismatches.append(f"{mart}: empty on both sides, so compared nothing (grow the region?)")
    assert not mismatches, "\n".join(mismatches[:40])
    assert _query(pg, "select count(*) from marts.periods_of_care")[0][0] > 100


@pytest.mark.slow
def test_dbt_tests_pass_on_postgres(both_warehouses):
    """The nightly build ran `dbt build` (models and their data tests) on postgres; check its results."""
    import json

    duck, pg, _, _ = both_warehouses

    def statuses(settings: Settings) -> dict[str, str]:
        results = json.loads((settings.dbt_target_dir / "target" / "run_results.json").read_text())["results"]
        return {r["unique_id"]: r["status"] for r in results}

    on_pg, on_duck = statuses(pg), statuses(duck)
    tests = {k: v for k, v in on_pg.items() if k.startswith(("test.", "unit_test."))}
    assert len(tests) > 50
    assert all(v in ("pass", "warn") for v in tests.values()), {k: v for k, v in tests.items() if v not in ("pass", "warn")}
    assert on_pg == on_duck  # the same models and tests, with the same outcomes, on both targets
    manifest = json.loads((pg.dbt_target_dir / "target" / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == "postgres"


@pytest.mark.slow
def test_incremental_build_on_postgres_matches_a_full_rebuild(cluster, region_drops, tmp_path):
    """The per-LA incremental path (pre-hook delete, filtered insert) on PostgreSQL: one LA's new drop,
    then the same loads rebuilt in full, row for row (tests/test_incremental.py does this on DuckDB)."""
    from permanence.synth import generate_region
    from tests.pipeline_helpers import build, model_rows, run_drops

    pg = Settings(target="postgres", data_dir=tmp_path / "pg", pg_host="127.0.0.1", pg_port=cluster.port,
                  pg_user=LOADER, pg_password="", pg_dbname=cluster.new_database())
    run_drops(pg, region_drops, key=b"compare-key")
    later = generate_region(tmp_path / "april", las=2, children=150, years=4, seed=24, extract_date=dt.date(2025, 4, 30))
    (run,) = run_drops(pg, [(str(later[0].path), later[0].la_code)], key=b"compare-key")
    assert run.status == "published", run.message
    rebuilt = _query(pg, "select distinct la_code, built_from_load from intermediate.int_episodes__sequenced order by 1")
    assert dict(rebuilt)[later[0].la_code] == run.load_id and len(rebuilt) == 2
    incremental = model_rows(pg)
    build(pg, full_refresh=True)
    full = model_rows(pg)
    assert [t for t in full if incremental.get(t) != full[t]] == []
    assert sum(len(v) for v in full.values()) > 1000


def test_marts_directory_is_what_the_comparison_walks():
    from permanence.publish.tiers import _mart_models

    assert {m["name"] for m in _mart_models(str(dbt_project_dir()))} <= set(_marts())
