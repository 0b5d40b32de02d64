"""dbt's saved parse carried from one data directory to a fresh one (permanence.transform.saved_parse)."""

import json
import stat
from pathlib import Path

import duckdb

from permanence import warehouse
from permanence.transform import saved_parse
from permanence.transform.dbt import dbt_project_dir, run_dbt


def _files_parsed(artifacts: Path) -> int:
    """How many of the project's files dbt parsed (0: its saved parse served)."""
    return json.loads((artifacts / "target" / "perf_info.json").read_text(encoding="utf-8"))["parsed_path_count"]


def test_a_fresh_data_directory_starts_from_the_installations_saved_parse(tmp_path):
    cache = tmp_path / "cache"
    first, second = tmp_path / "first", tmp_path / "second"
    for data in (first, second):
        (data / "warehouse").mkdir(parents=True)
        duckdb.connect(str(data / "warehouse" / "permanence.duckdb")).close()
    here = Path.cwd()

    run_dbt("parse", warehouse=first / "warehouse" / "permanence.duckdb", artifacts_dir=first / "dbt",
            parse_cache=cache)
    assert _files_parsed(first / "dbt") > 100
    copy = saved_parse.cached_copy(cache, dbt_project_dir())
    assert copy.read_bytes() == (first / "dbt" / "target" / saved_parse.SAVED).read_bytes()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700

    # Another data directory, another warehouse path: dbt accepts the copy (the profile names the
    # file by its name, dbt runs in its folder). With the full path it said "profile has changed"
    # and parsed every file again.
    run_dbt("parse", warehouse=second / "warehouse" / "permanence.duckdb", artifacts_dir=second / "dbt",
            parse_cache=cache)
    assert _files_parsed(second / "dbt") == 0
    assert Path.cwd() == here


def test_the_build_still_finds_the_warehouse_by_name_in_its_folder(tmp_path):
    (tmp_path / "wh").mkdir()
    wh = tmp_path / "wh" / "named.duckdb"
    with warehouse.connect(wh) as con:
        warehouse.create_schema(con)
    here = Path.cwd()
    run_dbt("run", warehouse=wh, artifacts_dir=tmp_path / "dbt", select="stg_ssda903__header")
    assert Path.cwd() == here
    with duckdb.connect(str(wh), read_only=True) as con:
        built = con.execute("select table_name from information_schema.tables where table_name = "
                            "'stg_ssda903__header'").fetchall()
    assert built == [("stg_ssda903__header",)]


def test_seed_gives_a_copy_only_where_there_is_no_saved_parse(tmp_path):
    cache, project = tmp_path / "cache", tmp_path / "project"
    copy = saved_parse.cached_copy(cache, project)
    target = tmp_path / "target"
    assert not saved_parse.seed(cache, project, target)  # no copy yet
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"installation's")
    assert saved_parse.seed(cache, project, target)
    assert (target / saved_parse.SAVED).read_bytes() == b"installation's"
    (target / saved_parse.SAVED).write_bytes(b"the directory's own")
    assert not saved_parse.seed(cache, project, target)
    assert (target / saved_parse.SAVED).read_bytes() == b"the directory's own"


def test_keep_replaces_the_copy_only_when_dbt_saved_another(tmp_path):
    cache, project, target = tmp_path / "cache", tmp_path / "project", tmp_path / "target"
    assert not saved_parse.keep(cache, project, target)  # dbt saved nothing
    target.mkdir()
    (target / saved_parse.SAVED).write_bytes(b"one")
    assert saved_parse.keep(cache, project, target)
    assert not saved_parse.keep(cache, project, target)  # the same bytes: left alone
    (target / saved_parse.SAVED).write_bytes(b"two")
    assert saved_parse.keep(cache, project, target)
    assert saved_parse.cached_copy(cache, project).read_bytes() == b"two"
    assert [p.name for p in saved_parse.cached_copy(cache, project).parent.iterdir()] == [saved_parse.SAVED]


def test_another_project_folder_has_its_own_copy(tmp_path):
    assert saved_parse.cached_copy(tmp_path, tmp_path / "a") != saved_parse.cached_copy(tmp_path, tmp_path / "b")


def test_a_cache_that_cannot_be_written_is_left_alone(tmp_path):
    cache, target = tmp_path / "cache", tmp_path / "target"
    cache.write_text("a file where the folder would be")  # fails as root too, unlike a 0500 folder
    target.mkdir()
    (target / saved_parse.SAVED).write_bytes(b"one")
    assert not saved_parse.keep(cache, tmp_path / "project", target)
