"""A model renamed or removed leaves its table behind in the warehouse, with child-level rows that
no erasure or retention reaches: after a good build, what the project no longer builds is dropped."""

from __future__ import annotations

import json
from types import SimpleNamespace

from permanence import pipeline
from permanence.config import Settings
from permanence.warehouse import connect, drop_orphan_relations


def _manifest() -> dict:
    def node(kind, schema, name, alias=None):
        return {"resource_type": kind, "schema": schema, "name": name, "alias": alias}

    return {
        "nodes": {
            "model.p.stg": node("model", "staging", "stg_episodes"),
            "model.p.int": node("model", "intermediate", "int_episodes__placements"),
            "model.p.mart": node("model", "marts", "exits_by_year"),
            "seed.p.costs": node("seed", "reference", "unit_costs"),
            "test.p.key": node("test", "marts", "exits_by_year_primary_key"),
        },
        "sources": {"source.p.raw": {"schema": "raw", "name": "episodes", "identifier": "episodes"},
                    "source.p.ref": {"schema": "reference", "name": "las", "identifier": "las"}},
    }


def _warehouse(settings: Settings) -> None:
    with connect(settings) as con:
        for schema in ("staging", "intermediate", "marts", "reference", "raw", "audit"):
            con.execute(f"create schema if not exists {schema}")
        con.execute("create table raw.episodes (child_id varchar)")
        con.execute("create table raw.old_table (x int)")  # raw is a source schema: never swept
        con.execute("create table reference.las (la_code varchar)")
        con.execute("create table reference.unit_costs (x int)")
        con.execute("create table reference.hand_made (x int)")  # reference holds sources: not swept
        con.execute("create table audit.loads (load_id varchar)")
        con.execute("create view staging.stg_episodes as select * from raw.episodes")
        con.execute("create view staging.stg_old as select * from raw.episodes")
        con.execute("create table intermediate.int_episodes__placements (child_id varchar)")
        con.execute("create table intermediate.int_placements (child_id varchar)")  # the old name
        con.execute("insert into intermediate.int_placements values ('pseudonym')")
        con.execute("create table marts.exits_by_year (n int)")


def _relations(settings: Settings) -> set[str]:
    with connect(settings) as con:
        return {f"{s}.{t}" for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}


def test_relations_the_project_no_longer_builds_are_dropped_and_nothing_else(tmp_path):
    settings = Settings(data_dir=tmp_path)
    _warehouse(settings)
    before = _relations(settings)
    with connect(settings) as con:
        dropped = drop_orphan_relations(con, _manifest())
    assert sorted(dropped) == ["intermediate.int_placements", "staging.stg_old"]
    assert _relations(settings) == before - set(dropped)


def test_the_transform_step_drops_them_after_a_good_build(tmp_path):
    settings = Settings(data_dir=tmp_path)
    _warehouse(settings)
    target = tmp_path / "target"
    target.mkdir()
    (target / "manifest.json").write_text(json.dumps(_manifest()))
    pipeline.drop_orphans(settings, SimpleNamespace(target_path=target))
    assert "intermediate.int_placements" not in _relations(settings)
    pipeline.drop_orphans(settings, SimpleNamespace(target_path=tmp_path / "nowhere"))  # no manifest: nothing to do
