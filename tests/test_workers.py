"""Cleaning drops in worker processes gives what cleaning them in the run's process gives, in order;
the held connection serves every write of a stretch and is closed once."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from permanence import pipeline, warehouse
from permanence.config import Settings
from permanence.ingest.distinct import map_distinct
from permanence.ingest.pull import pull
from permanence.synth import generate_region, write_defective_drop
from permanence.ingest.workers import Cleaner, worker_count
from tests.pipeline_helpers import ingest


@pytest.fixture(scope="module")
def drops(tmp_path_factory):
    out = tmp_path_factory.mktemp("drops")
    region = generate_region(out, las=3, children=40, years=2, seed=11)
    bad = write_defective_drop(region[1].path, out / "bad" / region[1].path.name, "mass_bad_rows")
    return [(str(d.path), d.la_code) for d in region] + [(str(bad), region[1].la_code)]


def _pulled(drops, archive):
    runs = []
    for source, la in drops:
        run = pipeline.begin(source, la, None)
        run.drop = pull(source, la, archive, None)
        runs.append(run)
    return runs


def _content(run) -> tuple:
    """What a cleaned run would load, without its (random) load id."""
    return (
        run.status,
        run.message,
        sorted((i.file_name, i.rule_code, i.row_number or 0) for i in run.issues),
        [(t.table, t.file_name, t.rows.drop(["load_id"]).to_pylist()) for t in run.tables],
    )


def test_worker_processes_clean_as_the_run_process_does_and_keep_the_order(drops, tmp_path):
    with Cleaner(b"k", 0.05, workers=1) as c:
        alone = list(c.clean(_pulled(drops, tmp_path / "a1")))
    with Cleaner(b"k", 0.05, workers=2) as c:
        pooled = list(c.clean(_pulled(drops, tmp_path / "a2")))
    assert [r.status for r in pooled] == ["cleaned", "cleaned", "cleaned", "quarantined"]
    assert [(r.source, r.la_code) for r in pooled] == drops
    assert [_content(r) for r in pooled] == [_content(r) for r in alone]
    # measured in the worker, recorded by the run's process
    assert all({t.step for t in r.timings} >= {"validate"} for r in pooled)
    assert not any(r.frames for r in pooled)


def test_skipped_drops_pass_through_uncleaned(drops, tmp_path):
    runs = _pulled(drops[:2], tmp_path / "a")
    runs[0].status = "skipped"
    with Cleaner(b"k", 0.05, workers=2) as c:
        out = list(c.clean(runs))
    assert out[0] is runs[0] and out[0].timings == []
    assert out[1].status == "cleaned"


def test_a_run_of_several_drops_loads_them_all_through_workers(drops, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", workers=2)
    runs = ingest(settings, drops)
    assert [r.status for r in runs] == ["loaded", "loaded", "loaded", "quarantined"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        steps = con.execute("select step, count(*) from audit.load_steps group by step order by step").fetchall()
        loaded = con.execute("select count(*) from raw.episodes").fetchone()[0]
    assert dict(steps) == {"pull": 4, "clean_wait": 4, "validate": 4, "pseudonymise": 3, "record": 4, "load": 3}
    episodes = [n for r in runs for f, n in r.loaded_per_file.items() if r.tables_per_file[f] == "episodes"]
    assert loaded == sum(episodes) > 0 and len(episodes) == 3


def test_drops_waiting_when_the_workers_are_ahead_load_in_one_transaction(drops, tmp_path, monkeypatch):
    """The run's process loads the cleaned drops already waiting together, at most LOAD_BATCH a
    commit; each is still its own load, with its own rows, steps and findings."""
    from flows import nightly

    from permanence.warehouse.backends import DuckDBBackend

    batches, inserts = [], []
    real, real_insert = pipeline.load_rows_step, DuckDBBackend.insert_frame

    def counted(settings_, runs):
        batches.append([r.la_code for r in runs])
        inserts.append([])
        return real(settings_, runs)

    def insert(self, table, rows, columns=None):
        if table.startswith("raw.") and inserts:
            inserts[-1].append(table)
        return real_insert(self, table, rows, columns)

    monkeypatch.setattr(Cleaner, "ready", lambda self: True)  # as when the workers are ahead
    monkeypatch.setattr(nightly, "LOAD_BATCH", 2)
    monkeypatch.setattr(pipeline, "load_rows_step", counted)
    monkeypatch.setattr(DuckDBBackend, "insert_frame", insert)
    settings = Settings(data_dir=tmp_path / "data", workers=2)
    runs = ingest(settings, drops)
    assert batches == [[drops[0][1], drops[1][1]], [drops[2][1]]]  # the quarantined drop loads nothing
    # each raw table once a batch, its drops' rows together
    assert all(len(tables) == len(set(tables)) and "raw.episodes" in tables for tables in inserts), inserts
    assert [(r.la_code, r.status) for r in runs] == [(la, s) for (_, la), s in
                                                      zip(drops, ["loaded", "loaded", "loaded", "quarantined"])]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        per_load = dict(con.execute("select load_id, count(*) from raw.episodes group by 1").fetchall())
        findings = {r[0] for r in con.execute("select distinct load_id from audit.validation_results").fetchall()}
        steps = con.execute("select load_id, count(*) from audit.load_steps where step = 'load' group by 1").fetchall()
    for run in runs[:3]:
        episodes = sum(n for f, n in run.loaded_per_file.items() if run.tables_per_file[f] == "episodes")
        assert per_load[run.load_id] == episodes > 0
    assert {r.load_id for r in runs if r.issues} <= findings
    assert sorted(n for _, n in steps) == [1, 1, 1]


def test_a_batch_that_fails_to_load_leaves_none_of_its_drops_in_raw(drops, tmp_path, monkeypatch):
    from flows import nightly

    calls = []
    real = warehouse.register_load

    def failing_second(con, tables, **kw):
        calls.append(kw["load_id"])
        if len(calls) == 2:
            raise OSError("disk full")
        return real(con, tables, **kw)

    monkeypatch.setattr(Cleaner, "ready", lambda self: True)
    monkeypatch.setattr(nightly, "LOAD_BATCH", 3)
    monkeypatch.setattr(warehouse, "register_load", failing_second)
    settings = Settings(data_dir=tmp_path / "data", workers=2)
    with pytest.raises(OSError):
        ingest(settings, drops[:3])
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        raw = con.execute("select count(*) from raw.episodes").fetchone()[0]
        current = con.execute("select count(*) from raw.current_load").fetchone()[0]
        finals = {r[0] for r in con.execute("select status from audit.loads").fetchall()}
    assert raw == 0 and current == 0  # the batch's rows, inserted before the failure, went back with it
    assert finals == {"failed"}


def test_ready_says_whether_the_next_drop_waits_on_a_worker(drops, tmp_path):
    from concurrent.futures import wait

    with Cleaner(b"k", 0.05, workers=1) as alone:
        assert not alone.ready()  # cleaned in this process when asked for: never there yet
    with Cleaner(b"k", 0.05, workers=2) as c:
        cleaned = c.clean(_pulled(drops[:3], tmp_path / "a"))
        first = next(cleaned)
        assert first.status == "cleaned"
        wait([f for f in c._window])
        assert c.ready()
        assert [r.status for r in cleaned] == ["cleaned", "cleaned"]
        assert c.ready()  # nothing left to wait for


def test_worker_count_follows_the_setting_and_the_drops():
    assert worker_count(1, 50) == 1
    assert worker_count(3, 2) == 2
    assert worker_count(0, 1) == 1  # one drop: cleaned in the run's own process
    assert 1 <= worker_count(0, 100)


def test_held_connection_serves_every_connect_and_closes_once(tmp_path):
    path = tmp_path / "w.duckdb"
    with warehouse.held(path) as con:
        con.execute("create table t (x integer)")
        with warehouse.connect(path) as inner:
            inner.execute("insert into t values (1)")
        # the inner `with` did not close it
        assert con.execute("select count(*) from t").fetchone() == (1,)
        with warehouse.held(path) as again:  # nested: the same connection
            again.execute("insert into t values (2)")
    with duckdb.connect(str(path), read_only=True) as ro:  # released: another process could open it now
        assert ro.execute("select sum(x) from t").fetchone() == (3,)


def test_map_distinct_gathers_one_result_per_row_and_keeps_nulls():
    values = pd.Series(["b", None, "a", "b", np.nan, "a"])
    calls = []

    def upper(u):
        calls.append(list(u))
        return [v.upper() for v in u]

    assert list(map_distinct(values, upper)) == ["B", None, "A", "B", None, "A"]
    assert calls == [["b", "a"]]  # each distinct value once, nulls never
    assert list(map_distinct(pd.Series([], dtype=object), upper)) == []


# One worker cleans in the run's process, drop by drop: the first two are loaded before the third
# is pulled. Two pull ahead of the cleaning: the failure comes before anything is loaded.
@pytest.mark.parametrize("workers", [1, 2])
def test_a_drop_that_cannot_be_pulled_fails_the_run_and_every_load_it_began(drops, tmp_path, workers):
    from permanence.contract.frames import StructuralError

    settings = Settings(data_dir=tmp_path / "data", workers=workers)
    missing = (str(tmp_path / "nowhere" / "332_2025-03-31"), drops[1][1])
    with pytest.raises(StructuralError):
        ingest(settings, [drops[0], drops[2], missing, drops[1]])
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        finals = con.execute("select la_code, status, message from audit.loads order by la_code").fetchall()
        raw = con.execute("select count(*) from raw.episodes").fetchone()[0]
        current = con.execute("select count(*) from raw.current_load").fetchone()[0]
        loads = con.execute("select count(*) from audit.load_steps where step = 'load'").fetchone()[0]
    assert loads == (2 if workers == 1 else 0)
    # the two drops pulled (and perhaps loaded) before it, and itself; the drop after it never began
    assert sorted(la for la, _, _ in finals) == sorted([drops[0][1], drops[2][1], missing[1]])
    assert {status for _, status, _ in finals} == {"failed"}
    assert all("stopped before the build (StructuralError)" in message for _, _, message in finals)
    assert raw == 0 and current == 0  # nothing of the stopped run stays to be built
    assert pipeline.prepare(settings) == []  # and the next run finds nothing left unfinished
