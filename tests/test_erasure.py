"""Issue 13 point 5 and the end of point 3: retention, `permanence erase`, `permanence rekey`.

One small synthetic region is loaded and built once for the module (a 2-core CI machine runs
this): erase then rekey act on it in turn (the rekey test runs after the erase tests), and each is
compared with a fresh warehouse built from the edited archive, or with the old marts renamed. The
refusals, the archive rewrites and retention need no dbt build: loads are recorded and, for
retention, the clock is moved on."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from permanence import pipeline, warehouse

from permanence.ops import erasure

from permanence.ops import retention
from permanence.cli import app
from permanence.config import Settings
from permanence.publish.copies import latest_parquet
from permanence.ingest.pseudonymise import pseudonym
from permanence.ingest.read import read_drop
from permanence.ops.security import KeyMismatch, key_fingerprint
from permanence.synth import generate_region
from tests.pipeline_helpers import ingest, run_drops

STRONG = "dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98"
NEW = "99173182a2528c938e5a61ef263642c7a1b0f71316906e8acf66a0729f65b7c1"
CHILD = "894000001"  # in most of the synthetic drop's tables
LA = "894"
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()
ID_COLUMNS = ("load_id",)  # differ between two warehouses of the same history, by construction


def _data_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True)
    return path


def _rows(settings: Settings, schemas=("intermediate", "marts", "raw")) -> dict[str, list[tuple]]:
    """Every table's rows of the given schemas, sorted, without load ids and dbt's bookkeeping."""
    skip = {"built_from_load", "build_key", *ID_COLUMNS}
    out = {}
    with warehouse.connect(settings) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in (select unnest(?)) "
            "and table_type = 'BASE TABLE' and table_name <> 'current_load'", [list(schemas)]).fetchall()
        for schema, table in tables:
            cols = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, table]).fetchall() if c not in skip]
            rows = con.execute(f"select {', '.join(chr(34) + c + chr(34) for c in cols)} from {schema}.{table}").fetchall()
            rows = [tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in r) for r in rows]
            out[f"{schema}.{table}"] = sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r))
    return out


def _differing(a, b) -> list[str]:
    return sorted(t for t in a.keys() | b.keys() if a.get(t) != b.get(t))


def _archive_folder(settings: Settings) -> Path:
    [folder] = erasure.archived_folders(settings, LA)
    return folder


def _rebuilt_from_archive(settings: Settings, where: Path, key: str) -> Settings:
    """A fresh warehouse loaded and built from (a copy of) the first warehouse's archive."""
    drop = where / "drop"
    shutil.copytree(_archive_folder(settings), drop)
    drop.chmod(0o700)
    fresh = Settings(data_dir=_data_dir(where / "data"), hmac_key=key)
    run_drops(fresh, [(str(drop), LA)], key=key.encode())
    return fresh


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("erasure")
    # The XML export (903 tables in one XML file, the extras as CSV): both kinds of archived file.
    [drop] = generate_region(tmp / "in", las=1, children=40, years=2, seed=13, fmt="xml")
    settings = Settings(data_dir=_data_dir(tmp / "data"), hmac_key=STRONG)
    run_drops(settings, [(str(drop.path), drop.la_code)], key=STRONG.encode())
    return tmp, settings


OTHER = "894000002"
NOTE = "met the grandmother"


def _seed_actions(settings: Settings) -> None:
    """The SPG's action entries (permanence.tracker.actions) for the child to erase and for another child."""
    import duckdb

    from permanence.tracker import actions

    with duckdb.connect(str(actions.store_path(settings))) as con:
        actions._init(con)
        for seq, child in enumerate((CHILD, CHILD, OTHER), start=1):
            con.execute("insert into entries (la_code, child_id, cohort_id, notes, seq, import_id, recorded_at, "
                        "recorded_by) values (?, ?, 4, ?, ?, 'test', current_timestamp, 'test')",
                        [LA, pseudonym(STRONG.encode(), LA, child), NOTE, seq])


def _action_ids(settings: Settings) -> list[str]:
    from permanence.tracker import actions

    return sorted(actions.latest(actions.store_path(settings))["child_id"])


@pytest.fixture(scope="module")
def erased(region):
    tmp, settings = region
    folder = _archive_folder(settings)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    # An older snapshot, as an earlier night would have left: erase must reach it too.
    parquet = settings.published_dir / "parquet"
    shutil.copytree(latest_parquet(parquet), parquet / YESTERDAY)
    _seed_actions(settings)
    job = erasure.erase(settings, LA, CHILD)
    return tmp, settings, job, before


@pytest.mark.slow
def test_erase_removes_the_child_everywhere_and_records_it_without_identifiers(erased):
    tmp, settings, job, before = erased
    p = pseudonym(STRONG.encode(), LA, CHILD)
    assert job.rows_removed > 0 and "episodes" in job.rows_per_table
    assert job.parquet_files == 0  # the BI Parquet holds aggregate marts only (two tiers): no child in it
    assert {rw.path.suffix for rw in job.files} == {".xml", ".csv"}
    folder = _archive_folder(settings)
    frames, _ = read_drop(folder)
    assert all(not (ef.frame[ef.table.child_column] == CHILD).any() for ef in frames)
    # The archive keeps its modes; audit names the new hashes, which are the files' own.
    assert stat.S_IMODE(folder.stat().st_mode) == 0o500
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o400 for f in folder.iterdir())
    with warehouse.connect(settings) as con:
        files = con.execute("select file, old_sha256, new_sha256, records_removed from audit.erasure_files").fetchall()
        audit_rows = con.execute("select * from audit.erasures").fetchall()
        assert con.execute("select count(*) from raw.episodes where child = ?", [p]).fetchone()[0] == 0
    # the SPG's action entries of the child went, the file rewritten; another child's stay
    [store] = [f for f in files if f[0].endswith("spg-actions.duckdb")]
    assert job.actions_removed == 2 and store[3] == 2
    assert _action_ids(settings) == [pseudonym(STRONG.encode(), LA, OTHER)]
    assert p.encode() not in (settings.data_dir / store[0]).read_bytes()
    files.remove(store)
    assert len(files) == len(job.files)
    for file, old, new, removed in files:
        path = settings.data_dir / file
        assert before[path.name] == old and hashlib.sha256(path.read_bytes()).hexdigest() == new and removed > 0
    assert [r[3] for r in audit_rows] == ["erased", "published"]
    text = repr(audit_rows) + repr(files)
    assert CHILD not in text and p not in text  # the pseudonym's own hash only
    # Published copy and every Parquet snapshot: the pseudonym is nowhere.
    import duckdb

    with duckdb.connect(str(job.published), read_only=True) as con:
        assert con.execute("select count(*) from marts.spg_cohort_children where child_id = ?", [p]).fetchone()[0] == 0
        for (t,) in con.execute("select table_name from information_schema.columns where table_schema = 'marts' "
                                "and column_name = 'child_id'").fetchall():
            assert con.execute(f"select count(*) from marts.{t} where child_id = ?", [p]).fetchone()[0] == 0
        for f in (settings.published_dir / "parquet").glob("*/**/*.parquet"):
            cols = [r[0] for r in con.execute("select name from parquet_schema(?)", [str(f)]).fetchall()]
            if "child_id" in cols:
                assert con.execute(f"select count(*) from read_parquet('{f}') where child_id = ?", [p]).fetchone()[0] == 0


@pytest.mark.slow
def test_erase_leaves_the_warehouse_a_fresh_build_from_the_edited_archive_would_be(erased):
    tmp, settings, job, _ = erased
    fresh = _rebuilt_from_archive(settings, tmp / "fresh-erased", STRONG)
    a, b = _rows(settings), _rows(fresh)
    assert a["marts.periods_of_care"] and a["raw.episodes"]
    assert not _differing(a, b), f"differ from a fresh build: {_differing(a, b)}"


@pytest.mark.slow
def test_erase_again_is_refused_child_not_found(erased):
    _, settings, _, _ = erased
    with pytest.raises(erasure.Refused, match="no child with that id"):
        erasure.erase(settings, LA, CHILD)


@pytest.mark.slow
def test_rekey_renames_every_id_and_only_the_new_key_is_accepted_afterwards(erased, tmp_path):
    tmp, settings, _, _ = erased
    before = _rows(settings)
    key_file = tmp_path / "new.key"
    key_file.write_text(NEW)
    key_file.chmod(0o600)
    # Through the command, as an operator runs it: the current key from the environment.
    code, lines = _cli(["rekey", "--new-key-file", str(key_file), "--data-dir", str(settings.data_dir)],
                       {"PERMANENCE_HMAC_KEY": STRONG})
    assert code == 0, lines
    assert any(line.startswith("rekey ") and key_fingerprint(NEW.encode()) in line for line in lines)
    assert lines[-1].startswith("now: give the nightly run the new key")
    assert not any(NEW in line for line in lines)
    # Every value renamed as the archive's CMS ids say: the marts are the old ones under new names.
    mapping = {}
    for ef in read_drop(_archive_folder(settings))[0]:
        for col in ef.table.of_kind("child_id", "staff_id"):
            for v in ef.frame[col.name].dropna().unique():
                mapping[pseudonym(STRONG.encode(), LA, v)] = pseudonym(NEW.encode(), LA, v)
    renamed = {t: sorted((tuple(mapping.get(v, v) if isinstance(v, str) else v for v in r) for r in rows),
                         key=lambda r: tuple((v is None, str(v)) for v in r)) for t, rows in before.items()}
    after = _rows(settings)
    assert not _differing(renamed, after), f"differ after rekey: {_differing(renamed, after)}"
    assert not set(mapping) & {v for rows in after.values() for r in rows for v in r if isinstance(v, str)}
    import duckdb

    with duckdb.connect() as con:  # the older snapshot renamed too: no old pseudonym left anywhere
        for f in (settings.published_dir / "parquet" / YESTERDAY).rglob("*.parquet"):
            if "child_id" in [r[0] for r in con.execute("select name from parquet_schema(?)", [str(f)]).fetchall()]:
                ids = {r[0] for r in con.execute(f"select distinct child_id from read_parquet('{f}')").fetchall()}
                assert not ids & set(mapping) and (ids - {None}) <= set(mapping.values())
    assert _action_ids(settings) == [pseudonym(NEW.encode(), LA, OTHER)]  # the entries follow the child
    with warehouse.connect(settings) as con:
        warehouse.check_key(con, key_fingerprint(NEW.encode()))
        with pytest.raises(KeyMismatch):
            warehouse.check_key(con, key_fingerprint(STRONG.encode()))
        rekeys = con.execute("select status, new_fingerprint, rows_updated from audit.rekeys order by finished_at").fetchall()
    assert [r[0] for r in rekeys] == ["done", "published"] and rekeys[0][1] == key_fingerprint(NEW.encode())
    assert rekeys[0][2] > 0
    # The configured (old) key is now refused by erase too, with a hint.
    with pytest.raises(erasure.Refused, match="not this warehouse's"):
        erasure.erase(settings, LA, "894000002")


# --------------------------------------------------------------------------------- user errors


def _cli(args: list[str], env: dict[str, str]) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, args, env=env)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert "Traceback" not in result.output
    return result.exit_code, lines


def test_erase_unknown_la_and_unknown_child_end_with_error_and_hint(tmp_path):
    [drop] = generate_region(tmp_path / "in", las=1, children=10, years=2, seed=7)
    settings = Settings(data_dir=_data_dir(tmp_path / "data"), hmac_key=STRONG)
    # Loaded and recorded, not built: each refusal comes before any rebuild.
    _published(settings, ingest(settings, [(str(drop.path), LA)], key=STRONG.encode()))
    env = {"PERMANENCE_HMAC_KEY": STRONG}
    code, lines = _cli(["erase", "--la", "999", "--child", CHILD, "--data-dir", str(settings.data_dir)], env)
    assert code == 1 and lines[-2].startswith("error: LA 999") and lines[-1].startswith("hint: LAs here: 894")
    code, lines = _cli(["erase", "--la", "894", "--child", "nobody", "--data-dir", str(settings.data_dir)], env)
    assert code == 1 and lines[-2].startswith("error: no child") and lines[-1].startswith("hint:")
    code, lines = _cli(["erase", "--la", "../x", "--child", CHILD, "--data-dir", str(settings.data_dir)], env)
    assert code == 1 and lines[-2].startswith("error: LA code") and lines[-1].startswith("hint:")
    other = {"PERMANENCE_HMAC_KEY": NEW}
    code, lines = _cli(["erase", "--la", "894", "--child", CHILD, "--data-dir", str(settings.data_dir)], other)
    assert code == 1 and "not this warehouse's" in lines[-2] and lines[-1].startswith("hint: set PERMANENCE_HMAC_KEY")


def test_erase_with_another_key_is_refused_even_before_fingerprints_were_recorded(tmp_path):
    [drop] = generate_region(tmp_path / "in", las=1, children=10, years=2, seed=7)
    settings = Settings(data_dir=_data_dir(tmp_path / "data"), hmac_key=STRONG)
    ingest(settings, [(str(drop.path), LA)], key=STRONG.encode())  # no final audit row: no fingerprint
    with warehouse.connect(settings) as con:
        con.execute("update audit.loads set key_fingerprint = null")
    archived = {p.name: p.read_bytes() for p in _archive_folder(settings).iterdir()}
    with pytest.raises(erasure.Refused, match="not the key the loads were made with"):
        erasure.erase(Settings(data_dir=settings.data_dir, hmac_key=NEW), LA, CHILD)
    assert {p.name: p.read_bytes() for p in _archive_folder(settings).iterdir()} == archived


def test_an_archived_file_no_reader_parses_is_named_not_passed_over(tmp_path):
    from permanence.synth import write_defective_drop

    [drop] = generate_region(tmp_path / "in", las=1, children=10, years=2, seed=7)
    bad = write_defective_drop(drop.path, tmp_path / "bad_2025-03-15", "bad_encoding")  # a Latin-1 header file
    for p in bad.iterdir():
        if "Header" not in p.name and p.name != "manifest.json":
            p.unlink()
    settings = Settings(data_dir=_data_dir(tmp_path / "data"), hmac_key=STRONG)
    [run] = ingest(settings, [(str(bad), LA)], key=STRONG.encode())
    assert run.status == "quarantined"
    with pytest.raises(erasure.Refused, match="1 unparseable files of refused drops") as refused:
        erasure.erase(settings, LA, CHILD)
    assert "Header" in str(refused.value) and CHILD not in str(refused.value)


def test_rekey_weak_or_open_new_key_is_refused_with_a_hint(tmp_path):
    data = _data_dir(tmp_path / "data")
    weak = tmp_path / "weak.key"
    weak.write_text("secret")
    weak.chmod(0o600)
    env = {"PERMANENCE_HMAC_KEY": STRONG}
    code, lines = _cli(["rekey", "--new-key-file", str(weak), "--data-dir", str(data)], env)
    assert code == 1 and lines[-2].startswith("error:") and "placeholder" in lines[-2] and lines[-1].startswith("hint:")
    strong = tmp_path / "open.key"
    strong.write_text(NEW)
    strong.chmod(0o644)
    code, lines = _cli(["rekey", "--new-key-file", str(strong), "--data-dir", str(data)], env)
    assert code == 1 and "chmod 600" in lines[-2] and lines[-1].startswith("hint:")
    code, lines = _cli(["rekey", "--new-key-file", str(tmp_path / "none.key"), "--data-dir", str(data)], env)
    assert code == 1 and "not found" in lines[-2] and lines[-1].startswith("hint: generate")
    strong.chmod(0o600)  # a good key, but a mistyped data directory: nothing is created there
    code, lines = _cli(["rekey", "--new-key-file", str(strong), "--data-dir", str(tmp_path / "typo")], env)
    assert code == 1 and "no warehouse there" in lines[-2] and lines[-1].startswith("hint: give the nightly run's")
    assert not (tmp_path / "typo").exists()


# ------------------------------------------------------------------------------- archive files


@pytest.mark.parametrize("fmt, defect", [("csv", None), ("xml", None), ("csv", "crlf"), ("csv", "bom"),
                                         ("csv", "trailing_blank_rows")])
def test_an_archived_file_loses_only_the_childs_records_the_rest_renumbered(tmp_path, fmt, defect):
    from permanence.synth import write_defective_drop

    [drop] = generate_region(tmp_path / "in", las=1, children=12, years=2, seed=3, fmt=fmt)
    folder = write_defective_drop(drop.path, tmp_path / f"{defect}_2025-03-31", defect) if defect else drop.path
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".xml"))
    rewrites = [rw for p in paths if (rw := erasure.plan_rewrite(p, CHILD)) is not None]
    assert rewrites  # plan_rewrite reads each file back: every other record kept, at its new row
    for rw in rewrites:
        assert CHILD.encode() not in rw.data and rw.removed
        assert rw.new_sha256 == hashlib.sha256(rw.data).hexdigest() != rw.old_sha256
        if fmt == "csv":  # every other line byte for byte: BOM, line endings, trailing rows kept
            old_lines = rw.path.read_bytes().splitlines(keepends=True)
            assert rw.data.splitlines(keepends=True) == [
                line for i, line in enumerate(old_lines, start=1) if i not in rw.removed]
    assert erasure.plan_rewrite(paths[0], "not-a-child") is None


# ---------------------------------------------------------------------------------- retention


def _published(settings: Settings, runs) -> None:
    for r in runs:
        r.status = "published"
        pipeline.finish(settings, r)


def test_retention_deletes_only_what_is_due_and_records_each_deletion(tmp_path):
    from permanence.synth import write_defective_drop

    settings = Settings(data_dir=_data_dir(tmp_path / "data"), hmac_key=STRONG,
                        retain_raw_days=30, retain_archive_days=60, retain_quarantined_days=10,
                        retain_reports_days=60, retain_parquet_days=7)
    [old] = generate_region(tmp_path / "old", las=1, children=10, years=2, seed=5, extract_date=dt.date(2025, 2, 28))
    [new] = generate_region(tmp_path / "new", las=1, children=10, years=2, seed=5, extract_date=dt.date(2025, 3, 31))
    bad = write_defective_drop(old.path, tmp_path / "bad_2025-03-15", "missing_column")
    [first] = ingest(settings, [(str(old.path), LA)], key=STRONG.encode())
    _published(settings, [first])
    [second] = ingest(settings, [(str(new.path), LA)], key=STRONG.encode())
    _published(settings, [second])
    [refused] = ingest(settings, [(str(bad), LA)], key=STRONG.encode())
    assert refused.status == "quarantined"
    parquet = settings.published_dir / "parquet"
    today, yesterday = dt.date.today().isoformat(), (dt.date.today() - dt.timedelta(days=1)).isoformat()
    for day in (yesterday, today):
        (parquet / day).mkdir(parents=True)
        (parquet / day / "x.parquet").write_bytes(b"x" * 10)
    (parquet / "LATEST").write_text(f"{today}\n")

    assert retention.due(settings, now=dt.datetime.now() + dt.timedelta(days=5)) == []
    # The command, with the schedule from the environment: yesterday's snapshot is due at 1 day.
    env = {"PERMANENCE_HMAC_KEY": STRONG, "PERMANENCE_RETAIN_PARQUET_DAYS": "1"}
    code, lines = _cli(["retention", "--dry-run", "--data-dir", str(settings.data_dir)], env)
    assert code == 0 and f"due: parquet published/parquet/{yesterday} (10 bytes)" in "\n".join(lines)
    assert lines[-1] == "1 due (dry run: nothing deleted)" and (parquet / yesterday).exists()
    later = dt.datetime.now() + dt.timedelta(days=61)
    dry = retention.apply(settings, dry_run=True, now=later)
    assert {(d.klass, d.item) for d in dry} >= {("raw", first.load_id)}
    with warehouse.connect(settings) as con:
        assert con.execute("select count(*) from audit.retention").fetchone()[0] == 0
    deleted = retention.apply(settings, now=later)
    assert [(d.klass, d.item) for d in deleted] == [(d.klass, d.item) for d in dry]
    classes = {d.klass for d in deleted}
    assert classes == {"raw", "archive", "quarantined", "reports", "parquet"}
    with warehouse.connect(settings) as con:
        loads_in_raw = {r[0] for r in con.execute("select distinct load_id from raw.episodes").fetchall()}
        recorded = con.execute("select class, item, bytes, rows, reason from audit.retention").fetchall()
    assert loads_in_raw == {second.load_id}  # the current load's rows are never due
    assert len(recorded) == len(deleted) and all(r[4] for r in recorded)
    assert [r for r in recorded if r[0] == "raw"][0][3] > 0
    # The current load's archive and reports stay; the superseded and the quarantined go.
    left = erasure.archived_folders(settings, LA)
    assert [f.name for f in left] == [second.drop.drop_sha256[:16]]
    assert (settings.reports_dir / second.load_id).exists() and not (settings.reports_dir / first.load_id).exists()
    assert sorted(p.name for p in parquet.iterdir() if p.is_dir()) == [today]  # the latest is never due
    assert not any(CHILD in repr(r) for r in recorded)
    assert retention.due(settings, now=later) == []


def test_a_retention_failure_in_the_nightly_flow_is_a_warning_and_the_publish_stands(tmp_path, monkeypatch):
    from unittest import mock

    from flows import nightly

    def broken(*args, **kwargs):
        raise PermissionError("archive folder not writable")

    logger = mock.Mock()
    monkeypatch.setattr(retention, "apply", broken)
    monkeypatch.setattr(nightly, "get_run_logger", lambda: logger)
    assert nightly.retention.fn(Settings(data_dir=_data_dir(tmp_path / "data"))) == 0
    message = logger.warning.call_args[0][0] % logger.warning.call_args[0][1:]
    assert "retention failed (PermissionError" in message and "nothing published is undone" in message


def test_a_failed_rebuild_is_reported_and_the_same_command_finishes_it(tmp_path, monkeypatch):
    [drop] = generate_region(tmp_path / "in", las=1, children=10, years=2, seed=7)
    settings = Settings(data_dir=_data_dir(tmp_path / "data"), hmac_key=STRONG)
    _published(settings, ingest(settings, [(str(drop.path), LA)], key=STRONG.encode()))

    def failing(settings, run_name):
        raise erasure.RebuildFailed("dbt build failed: 1 of 300 models errored")

    def finishing(settings, run_name):  # the rebuild's bookkeeping, without dbt
        with warehouse.connect(settings) as con:
            warehouse.mark_rebuilt(con, f"rebuilt ({run_name})")

    monkeypatch.setattr(erasure, "rebuild_and_publish", failing)
    env = {"PERMANENCE_HMAC_KEY": STRONG}
    args = ["erase", "--la", LA, "--child", CHILD, "--data-dir", str(settings.data_dir)]
    code, lines = _cli(args, env)
    assert code == 1 and lines[-2].startswith("error: dbt build failed") and "previous one" in lines[-2]
    assert lines[-1].startswith("hint:") and "run the same command again" in lines[-1]
    p = pseudonym(STRONG.encode(), LA, CHILD)
    with warehouse.connect(settings) as con:
        assert len(warehouse.pending_rebuilds(con)) == 1  # the nightly run rebuilds everything until it is done
        assert con.execute("select count(*) from raw.header where child = ?", [p]).fetchone()[0] == 0

    monkeypatch.setattr(erasure, "rebuild_and_publish", finishing)
    code, lines = _cli(args, env)
    assert code == 0 and any("finished now" in line for line in lines)
    with warehouse.connect(settings) as con:
        assert warehouse.pending_rebuilds(con) == []
        statuses = [r[0] for r in con.execute("select status from audit.erasures order by erased_at").fetchall()]
    assert statuses.count("published") == 2 and statuses.count("erased") == 2


def test_a_rekey_whose_rebuild_failed_is_finished_by_the_same_command(tmp_path, monkeypatch):
    [drop] = generate_region(tmp_path / "in", las=1, children=10, years=2, seed=7)
    settings = Settings(data_dir=_data_dir(tmp_path / "data"), hmac_key=STRONG)
    _published(settings, ingest(settings, [(str(drop.path), LA)], key=STRONG.encode()))
    key_file = tmp_path / "new.key"
    key_file.write_text(NEW)
    key_file.chmod(0o600)

    def failing(settings, run_name):
        raise erasure.RebuildFailed("mart checks failed: 1 of 40")

    monkeypatch.setattr(erasure, "rebuild_and_publish", failing)
    with pytest.raises(erasure.RebuildFailed):
        erasure.rekey(settings, key_file)
    with warehouse.connect(settings) as con:
        [pending] = warehouse.pending_rebuilds(con)
        assert warehouse.warehouse_key(con)[0] == key_fingerprint(NEW.encode())  # raw is under the new key
        assert con.execute("select count(*) from raw.header where child = ?",
                           [pseudonym(NEW.encode(), LA, CHILD)]).fetchone()[0] == 1
    def finishing(settings, run_name):  # the rebuild's bookkeeping, without dbt
        with warehouse.connect(settings) as con:
            warehouse.mark_rebuilt(con, f"rebuilt ({run_name})")

    monkeypatch.setattr(erasure, "rebuild_and_publish", finishing)
    job = erasure.rekey(settings, key_file)  # the old key still configured: the same command
    assert job.resumed and job.rekey_id == pending
    with warehouse.connect(settings) as con:
        assert warehouse.pending_rebuilds(con) == []
