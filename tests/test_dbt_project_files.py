"""The dbt project's yml reads as written: a flow mapping `{name: x, description: a, b}` quietly ends
the description at the comma and makes `b` a key (an int key for `(1, 2, ...)`). That cut 11
column descriptions short, and the int key made dbt refuse its saved parse on every build
("int is not allowed for map key"), so each build parsed the whole project again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from permanence.transform.dbt import dbt_project_dir, run_dbt

COLUMN_KEYS = {"name", "description", "data_type", "data_tests", "tests", "constraints", "meta", "config", "quote",
               "tags", "granularity"}


def _ymls() -> list[Path]:
    project = dbt_project_dir()
    return sorted(p for p in project.rglob("*.yml") if not {"target", "logs", "dbt_packages"} & set(p.parts))


def _non_string_keys(node, path="") -> list[str]:
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if not isinstance(k, str):
                found.append(f"{path}/{k!r}")
            found += _non_string_keys(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _non_string_keys(v, f"{path}[{i}]")
    return found


def _columns(doc: dict):
    for section in ("models", "seeds", "snapshots", "sources"):
        items = doc.get(section)
        for item in items if isinstance(items, list) else []:  # dbt_project.yml's `models:` is config
            for table in item.get("tables", []) if section == "sources" else [item]:
                for column in table.get("columns") or []:
                    yield table["name"], column


@pytest.mark.parametrize("path", _ymls(), ids=lambda p: str(p.relative_to(dbt_project_dir())))
def test_every_key_is_a_word_and_no_description_is_cut_at_a_comma(path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    assert not _non_string_keys(doc)
    if isinstance(doc, dict):
        cut = [(t, c.get("name"), sorted(map(str, set(c) - COLUMN_KEYS))) for t, c in _columns(doc) if set(c) - COLUMN_KEYS]
        assert not cut, f"quote these descriptions (a comma ended them): {cut}"


@pytest.mark.slow
def test_the_second_build_reuses_the_saved_parse(tmp_path):
    for _ in range(2):
        run_dbt("parse", warehouse=tmp_path / "unused.duckdb", artifacts_dir=tmp_path)
    perf = json.loads((tmp_path / "target" / "perf_info.json").read_text())
    assert perf["is_partial_parse_enabled"] and perf["parsed_path_count"] == 0, perf["parsed_path_count"]
