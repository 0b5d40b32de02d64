"""The dbt sources of the raw extract tables, generated from tables.yaml.

    python -m permanence.contract.dbt_sources        # or `make sources`: rewrites _sources.yml

The contract is written once, in tables.yaml; dbt's copy of it (dbt_project/models/staging/
_sources.yml) is this module's output, checked in so dbt needs no Python to parse, and
tests/test_dbt_staging.py fails when the checked-in file is not what this module writes.
"""

from __future__ import annotations

import sys

import yaml

from permanence.contract import Column, Table, tables
from permanence.transform.dbt import dbt_project_dir


FAMILIES = {
    "ssda903": "SSDA903 return tables as loaded (pseudonymised, typed). Append-only: every load is kept; "
               "join raw.current_load for the latest per LA.",
    "extras": "Permanence extras the 903 lacks, named after DfE Standard Safeguarding Dataset (SSD) objects. "
              "Optional per drop; created empty when absent. Append-only like ssda903.",
}
# The columns permanence.warehouse adds to every raw row (warehouse.META_COLUMNS), in its order.
META = {
    "load_id": "Load that wrote the row (audit.loads.load_id).",
    "la_code": "Local authority code (ONS/DfE) of the extract.",
    "extract_date": "Date the extract was taken from the LA's case management system.",
    "source_file": "Name of the file in the drop the row came from.",
    "source_sha256": "SHA-256 of that source file.",
    "source_row": "Where the record is in its source file: the CSV line (the header is line 1) or the XML record number.",
}
_KINDS = {
    "child_id": "pseudonym (HMAC, 64 hex)",
    "staff_id": "pseudonym (HMAC, 64 hex)",
    "date": "date",
    "dob": "date, first of the month",
    "code": "code",
    "int": "integer",
    "text": "text",
    "postcode": "postcode district",
}


def _column(c: Column) -> dict:
    shape = _KINDS[c.kind] + (f", list {c.codes}" if c.codes else "") + (", nullable" if c.nullable else "")
    return {"name": c.warehouse_name, "description": f"{c.name} ({shape}). {c.description}".rstrip()}


def _table(t: Table) -> dict:
    key = ", ".join(t.key)
    return {
        "name": t.name,
        "identifier": t.name,
        "description": f"{t.title}: {t.description} Key: {key} (per LA and load).",
        "columns": [_column(c) for c in t.columns if c.loaded]
        + [{"name": n, "description": d} for n, d in META.items()],
    }


def sources() -> dict:
    """The `sources:` document for the extract families, one source per family of tables.yaml."""
    return {
        "version": 2,
        "sources": [
            {"name": family, "description": text, "schema": "raw",
             "tables": [_table(t) for t in tables().values() if t.family == family]}
            for family, text in FAMILIES.items()
        ],
    }


def render() -> str:
    body = yaml.safe_dump(sources(), sort_keys=False, width=110, allow_unicode=True)
    return ("# Generated from permanence/contract/tables.yaml by `make sources` (python -m "
            "permanence.contract.dbt_sources): edit the YAML, not this file.\n" + body)


def main(argv: list[str] | None = None) -> int:
    path = dbt_project_dir() / "models" / "staging" / "_sources.yml"
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path.name} ({len(tables())} tables)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
