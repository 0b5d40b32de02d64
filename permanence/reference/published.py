"""Shared engine for DfE "children looked after" LA-level tables (explore-education-statistics tidy format).

Every such file has time_period, geographic_level, region_code, old_la_code, la_name, then a group
column (cla_group / population_type), a label column (characteristic / placement_stability) and
number / percentage columns. A `Rule` picks rows by keywords in the group and label (lower-cased,
single-spaced) so a release that rewords a label a little, or adds labels, still loads; labels no
rule uses are reported in the load notes.

A rule's value is either the sum of the picked rows' number column (a count, or a rate when one row
is picked) or, with a denominator, a percentage 0-100: sum(numerator) / sum(denominator) * 100,
computed from the published counts (more precise than the whole-number percentage column and lets
two labels be added, e.g. the two "returned home" reasons). When a count is suppressed the
published percentage column is used if the rule picks one row and it has a value; otherwise the
value is null and `suppression` carries the marker (c, z, x, k, low, u).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from permanence.reference.reader import (
    Table, geographic_level, la_code, normalise_label, parse_number, period_label, year_ending,
)
from permanence.reference.spec import Converted

Pick = Callable[[str, str], bool]  # (group label, row label), both normalised


@dataclass(frozen=True)
class Rule:
    measure: str
    numerator: Pick
    column: str
    denominator: Pick | None = None
    percent_column: str | None = None


def _sum(rows: list[dict], column: str) -> tuple[float | None, str | None]:
    total = 0.0
    for r in rows:
        v, s = parse_number(r.get(column))
        if v is None:
            return None, s or "x"
        total += v
    return total, None


def convert_tidy(table: Table, rules: list[Rule], group_column: str, label_column: str | None) -> Converted:
    groups: dict[tuple, list[tuple[str, str, dict]]] = defaultdict(list)
    bases: dict[tuple, dict] = {}
    skipped = 0
    for r in table.rows:
        level = geographic_level(r.get("geographic_level"))
        year = year_ending(r.get("time_period", ""))
        code = la_code(r.get("old_la_code"))
        if level is None or year is None or (level == "local_authority" and code is None):
            skipped += 1
            continue
        region = (r.get("region_code") or None) if level != "national" else None
        key = (year, level, region, code if level == "local_authority" else None)
        if key not in bases:
            bases[key] = {
                "la_code": key[3],
                "la_name": (r.get("la_name") or None) if level == "local_authority" else None,
                "geographic_level": level,
                "region_code": region,
                "time_period": year,
                "period": period_label(year),
            }
        g = normalise_label(r.get(group_column, ""))
        lab = normalise_label(r.get(label_column, "")) if label_column else ""
        groups[key].append((g, lab, r))

    used: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()
    rows = []
    for key, items in groups.items():
        for g, lab, _ in items:
            seen.add((g, lab))
        for rule in rules:
            num = [(g, lab, r) for g, lab, r in items if rule.numerator(g, lab)]
            if not num:
                continue
            used.update((g, lab) for g, lab, _ in num)
            value, suppression = _sum([r for *_, r in num], rule.column)
            if rule.percent_column and all(r.get(rule.percent_column) not in (None, "") for *_, r in num):
                # A published share is the figure as printed (17, not 17.46 recomputed from counts); a
                # share of several rows (both "returned home" reasons) adds their printed figures. A
                # printed marker (c, z, x, k) stays the marker.
                value, suppression = _sum([r for *_, r in num], rule.percent_column)
                rows.append({**bases[key], "measure": rule.measure, "value": value, "suppression": suppression})
                continue
            if rule.denominator is not None:
                den = [(g, lab, r) for g, lab, r in items if rule.denominator(g, lab)]
                if not den:
                    continue
                used.update((g, lab) for g, lab, _ in den)
                d_value, d_supp = _sum([r for *_, r in den], rule.column)
                if value is not None and d_value:
                    value, suppression = value / d_value * 100.0, None
                elif value is not None and d_value == 0:
                    value, suppression = None, "z"
                else:
                    fallback = (None, None)
                    if rule.percent_column and len(num) == 1:
                        fallback = parse_number(num[0][2].get(rule.percent_column))
                    if fallback[0] is not None:
                        value, suppression = fallback
                    else:
                        value, suppression = None, suppression or d_supp or fallback[1] or "x"
            rows.append({**bases[key], "measure": rule.measure, "value": value, "suppression": suppression})
    notes = []
    unused = sorted(seen - used)
    if unused:
        examples = "; ".join(f"{g} / {lab}" if lab else g for g, lab in unused[:3])
        notes.append(f"{len(unused)} label(s) not mapped to a measure (e.g. {examples})")
    return Converted(rows, notes=notes, skipped=skipped)


TIDY_COLUMNS = frozenset({"time_period", "geographic_level", "region_code", "old_la_code"})
