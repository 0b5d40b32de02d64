"""The DfE/ONS LA lookup: old 3-digit code, ONS code, name, region, live/terminated.

- ``las.csv``: new_la_code, la_name, date_of_operation, date_of_termination,
  parent_geography_code (the region), entity_code, entity_description, status, old_la_code.
  Combined rows ('940 / 941') and codes 'x' (terminated pre-2009 counties) are skipped.
- ``region_la_hierarchy.csv``: region_code, region_name, old_la_code, la_name, new_la_code (an LA
  recoded by ONS appears once per ONS code with the same old code: join on the old code).
- ``regions.csv``: region_code, region_name.
"""

from __future__ import annotations

import datetime as dt

from permanence.reference.reader import Table, la_code
from permanence.reference.spec import Converted, Family


def _date(text: str | None) -> dt.date | None:
    s = (text or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    return None


def _per_la(table: Table, fields) -> Converted:
    """One row per LA with a usable 3-digit code; rows like '940 / 941' or 'x' are counted as skipped."""
    rows, skipped = [], 0
    for r in table.rows:
        code = la_code(r.get("old_la_code"))
        if code is None:
            skipped += 1
            continue
        rows.append({"la_code": code, "ons_code": r.get("new_la_code") or None,
                     "la_name": r.get("la_name") or None, **fields(r)})
    return Converted(rows, skipped=skipped)


def _las(table: Table, file_name: str) -> Converted:
    return _per_la(table, lambda r: {
        "region_code": r.get("parent_geography_code") or None,
        "status": (r.get("status") or "").lower() or None,
        "date_of_operation": _date(r.get("date_of_operation")),
        "date_of_termination": _date(r.get("date_of_termination")),
        "entity_code": r.get("entity_code") or None,
    })


def _hierarchy(table: Table, file_name: str) -> Converted:
    return _per_la(table, lambda r: {
        "region_code": r.get("region_code") or None,
        "region_name": r.get("region_name") or None,
    })


def _regions(table: Table, file_name: str) -> Converted:
    rows = [{"region_code": r["region_code"], "region_name": r.get("region_name") or None}
            for r in table.rows if r.get("region_code")]
    return Converted(rows, skipped=len(table.rows) - len(rows))


FAMILIES = [
    Family(
        name="las",
        table="las",
        required=frozenset({"new_la_code", "la_name", "old_la_code", "status", "parent_geography_code"}),
        excluded=frozenset({"time_period"}),
        convert=_las,
        description="DfE/ONS LA lookup (old code, ONS code, name, region, status)",
    ),
    Family(
        name="la_regions",
        table="la_regions",
        required=frozenset({"region_code", "region_name", "old_la_code", "la_name", "new_la_code"}),
        excluded=frozenset({"time_period"}),
        convert=_hierarchy,
        description="LA to region hierarchy (one row per ONS code)",
    ),
    Family(
        name="regions",
        table="regions",
        required=frozenset({"region_code", "region_name"}),
        excluded=frozenset({"time_period", "old_la_code", "new_la_code"}),
        convert=_regions,
        description="Region codes and names",
    ),
]
