"""DfE "CLA number and rate per 10,000 children" (cla_number_and_rate_per_10k_children.csv).

Columns: time_period, geographic_level, ..., old_la_code, la_name, new_la_code, population_type,
population_estimate, children_count, rate_per_10000. Rows with population_type naming "looked
after on 31 March" give cla_rate_per_10k (rate_per_10000) and cla_at_31_march (children_count).
Starting and ceasing rows are not used.
"""

from __future__ import annotations

from permanence.reference.published import TIDY_COLUMNS, Rule, convert_tidy
from permanence.reference.reader import Table
from permanence.reference.spec import Converted, Family


def _on_31_march(g: str, lab: str) -> bool:
    return "looked after on 31 march" in g


RULES = [
    Rule("cla_rate_per_10k", _on_31_march, "rate_per_10000"),
    Rule("cla_at_31_march", _on_31_march, "children_count"),
]


def _convert(table: Table, file_name: str) -> Converted:
    return convert_tidy(table, RULES, "population_type", None)


FAMILY = Family(
    name="cla_rates",
    table="published_measures",
    required=TIDY_COLUMNS | {"population_type", "children_count", "rate_per_10000"},
    convert=_convert,
    replace_on=("measure", "time_period"),
    description="DfE children looked after: number and rate per 10,000 children",
)
