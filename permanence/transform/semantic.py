"""The semantic layer's code-label seed, generated from the extract contract (issue 15 point 2).

`dbt_project/seeds/code_labels.csv` holds every code of every list in
`permanence/contract/codelists.yaml`, with its plain-English label from `labels.yaml` (blank where
the contract has none: never a guess) and the collection years it is valid for. It is checked in
so that `dbt seed` needs no Python step; tests/test_semantic.py fails when it no longer matches the
contract. After an edit to the contract:

    .venv/bin/python -m permanence.transform.semantic      # rewrites the seed
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from permanence.contract import codelists, labels

SEED_NAME = "code_labels"
COLUMNS = ("code_list", "code", "label", "valid_from", "valid_to")


def code_label_rows() -> list[dict[str, str | None]]:
    """One row per code list and code, in the contract's order. A code listed in several entries
    (years) is valid from the earliest `from` to the latest `to`; an open end stays open (None)."""
    names = labels()
    rows: list[dict[str, str | None]] = []
    for name, codelist in codelists().items():
        spans: dict[str, list] = {}
        for entry in codelist.entries:
            for code in sorted(entry.codes):
                spans.setdefault(code, []).append((entry.year_from, entry.year_to))
        for code, years in spans.items():
            froms, tos = [f for f, _ in years], [t for _, t in years]
            rows.append({
                "code_list": name,
                "code": code,
                "label": names.get(name, {}).get(code),
                "valid_from": None if None in froms else min(froms),
                "valid_to": None if None in tos else max(tos),
            })
    return rows


def seed_text() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in code_label_rows():
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
    return out.getvalue()


def seed_path(project: Path | None = None) -> Path:
    from permanence.transform.dbt import dbt_project_dir

    return (project or dbt_project_dir()) / "seeds" / f"{SEED_NAME}.csv"


def write_seed(project: Path | None = None) -> Path:
    path = seed_path(project)
    path.write_text(seed_text(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write_seed()}")
