"""DfE national adoption stage timings
(national_cla_adopted_average_time_between_adoption_process_stages.csv, "Children looked after in
England including adoptions", explore-education-statistics).

Columns: time_period, time_identifier, geographic_level, country_code, country_name, cla_group,
stage_of_adoption_process, age_start_poc, number. One row per year, stage (1-6 plus a count of
children placed within 12 months of the decision) and age on starting the final period of care.

The `number` of a duration stage is printed `YY:MM`, years and months: DfE's data catalogue says
"average ages and durations are in the 'number' indicator but in the format (years:month)"; the
second part never exceeds 11 in the file, and stages 1 + 2 + 3 add up (within rounding) to stage 4
(e.g. 2025: 00:09 + 00:10 + 00:01 = 01:08 against 01:07), which months:days would not. It is stored
exactly as printed (number_as_printed) and as whole months (value, unit 'months'); `k` (under half
a month, rounded to nothing) and `c` are markers, never 0. The count stage (national counts,
rounded to 10) is stored as a count (unit 'children').
"""

from __future__ import annotations

import re

from permanence.reference.reader import (
    Table, geographic_level, normalise_label, parse_number, period_label, year_ending,
)
from permanence.reference.spec import Converted, Family

# DfE stage number -> our name for the gap (the marts' national_* columns use these).
STAGES = {
    1: "entry_to_decision",
    2: "decision_to_match",
    3: "match_to_placed",
    4: "entry_to_placed",
    5: "placed_to_adopted",
    6: "entry_to_adopted",
}
PLACED_WITHIN_12_MONTHS = "placed_within_12_months_of_decision"

_YEARS_MONTHS = re.compile(r"(\d+):(\d{1,2})")


def parse_years_months(text: str | None) -> tuple[float | None, str | None]:
    """'01:07' -> (19.0, None) months; 'k' -> (None, 'k'); anything else -> (None, 'x')."""
    s = (text or "").strip()
    m = _YEARS_MONTHS.fullmatch(s)
    if m:
        years, months = int(m.group(1)), int(m.group(2))
        if months < 12:
            return float(years * 12 + months), None
        return None, "x"
    value, suppression = parse_number(s)
    # A bare number where years:months is expected has no known unit: not available, not a guess.
    return (None, suppression or "x") if value is None or suppression else (None, "x")


def _stage(label: str) -> tuple[int | None, str | None, str]:
    """(DfE stage number, our stage name, unit) from the published stage label."""
    m = re.match(r"\s*(\d)\.\s", label)
    if m and int(m.group(1)) in STAGES:
        n = int(m.group(1))
        return n, STAGES[n], "months"
    lab = normalise_label(label)
    if "within 12 months" in lab and "placed for adoption" in lab:
        return None, PLACED_WITHIN_12_MONTHS, "children"
    return None, None, ""


def _convert(table: Table, file_name: str) -> Converted:
    rows, skipped, unknown = [], 0, set()
    for r in table.rows:
        level = geographic_level(r.get("geographic_level"))
        year = year_ending(r.get("time_period", ""))
        label = r.get("stage_of_adoption_process", "")
        number, stage, unit = _stage(label)
        if level != "national" or year is None or stage is None:
            # Only national rows are published in this family; an unknown stage is reported, not guessed.
            if stage is None and label:
                unknown.add(normalise_label(label))
            skipped += 1
            continue
        printed = r.get("number", "")
        value, suppression = parse_years_months(printed) if unit == "months" else parse_number(printed)
        rows.append({
            "geographic_level": level,
            "time_period": year,
            "period": period_label(year),
            "cla_group": r.get("cla_group") or None,
            "stage_number": number,
            "stage": stage,
            "stage_label": label,
            "age_group": r.get("age_start_poc") or None,
            "number_as_printed": printed,
            "value": value,
            "unit": unit,
            "suppression": suppression,
        })
    notes = []
    if unknown:
        notes.append(f"{len(unknown)} stage label(s) not recognised (e.g. {sorted(unknown)[0]})")
    return Converted(rows, notes=notes, skipped=skipped)


FAMILY = Family(
    name="adoption_stage_timings",
    table="adoption_stage_timings",
    required=frozenset({"time_period", "geographic_level", "stage_of_adoption_process", "age_start_poc", "number"}),
    convert=_convert,
    replace_on=("time_period",),
    description="DfE national average time between adoption process stages (years:months)",
)
