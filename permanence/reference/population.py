"""ONS mid-year population estimates of children aged 0-17, national, region and LA (DfE tidy shape).

Columns: time_period (the mid-year, 30 June), geographic_level, region_code, old_la_code,
age_group, population_estimate. Only the 0-17 age group is kept (a label naming "0 to 17").
The CLA rate for the year ending 31 March Y uses the estimate for mid-year Y-1.
"""

from __future__ import annotations

from permanence.reference.reader import Table, geographic_level, la_code, normalise_label, parse_number
from permanence.reference.spec import Converted, Family


def _convert(table: Table, file_name: str) -> Converted:
    rows, skipped = [], 0
    for r in table.rows:
        level = geographic_level(r.get("geographic_level"))
        label = normalise_label(r.get("age_group", ""))
        if level is None or not ("0 to 17" in label or "0-17" in label):
            skipped += 1
            continue
        code = la_code(r.get("old_la_code"))
        if level == "local_authority" and code is None:
            skipped += 1
            continue
        try:
            year = int(r.get("time_period", "").strip()[:4])
        except ValueError:
            skipped += 1
            continue
        value, suppression = parse_number(r.get("population_estimate"))
        rows.append({
            "la_code": code if level == "local_authority" else None,
            "geographic_level": level,
            "region_code": (r.get("region_code") or None) if level != "national" else None,
            "year": year,
            "population": value,
            "suppression": suppression,
        })
    return Converted(rows, skipped=skipped)


FAMILY = Family(
    name="population_0_17",
    table="population_0_17",
    required=frozenset({"time_period", "geographic_level", "old_la_code", "age_group", "population_estimate"}),
    convert=_convert,
    replace_on=("year",),
    description="ONS mid-year estimates, children aged 0 to 17",
)
