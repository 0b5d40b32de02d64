"""DfE LA placement stability (la_cla_placement_stability.csv).

Columns: ..., cla_group, placement_stability, children_count, children_percent.
- stability_three_plus: group "CLA on 31 March", label "With 3 or more placements during the
  year" / "Total children" * 100.
- stability_long_term: group "... at least 2.5 years on 31 March aged under 16 years", label
  "Living with the same carer for at least 2 years" / "Total children" * 100.
The "CLA 2 years on 31 March" group (3+ placements over two years) is not used.
"""

from __future__ import annotations

from permanence.reference.published import TIDY_COLUMNS, Rule, convert_tidy
from permanence.reference.reader import Table
from permanence.reference.spec import Converted, Family


def _short_term_group(g: str) -> bool:
    return "31 march" in g and "2 years" not in g and "2.5 years" not in g


def _long_term_group(g: str) -> bool:
    return "2.5 years" in g


RULES = [
    Rule(
        "stability_three_plus",
        lambda g, lab: _short_term_group(g) and "3 or more placements" in lab and "previous 2 years" not in lab,
        "children_count",
        denominator=lambda g, lab: _short_term_group(g) and lab.startswith("total"),
        percent_column="children_percent",
    ),
    Rule(
        "stability_long_term",
        lambda g, lab: _long_term_group(g) and "same carer" in lab,
        "children_count",
        denominator=lambda g, lab: _long_term_group(g) and lab.startswith("total"),
        percent_column="children_percent",
    ),
]


def _convert(table: Table, file_name: str) -> Converted:
    return convert_tidy(table, RULES, "cla_group", "placement_stability")


FAMILY = Family(
    name="placement_stability",
    table="published_measures",
    required=TIDY_COLUMNS | {"cla_group", "placement_stability", "children_count"},
    convert=_convert,
    replace_on=("measure", "time_period"),
    description="DfE placement stability (short and long term)",
)
