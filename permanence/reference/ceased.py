"""DfE children who ceased to be looked after, by reason (and the adoption / SGO split file).

Both files have the same columns (..., cla_group, characteristic, number, percentage), so one
family reads both; the rules pick what each holds.

Reason file (cla_group "Reason episode ceased"), shares of all children who ceased (the group's
"Total"), 0-100, as printed in the percentage column (computed from the numbers only where a file
has no percentage):
- exit_share_adopted: "Adopted"
- exit_share_sgo: "Special guardianship orders"
- exit_share_cao: "Residence order or child arrangement order granted"
- exit_share_returned_home: both "Returned home to live with parents ..." reasons (part of the
  care plan, and not), their printed figures added
and the counts exits_adopted, exits_sgo, exits_cao, exits_returned_home, exits_total.

Split file (cla_group "Adopted" / "Special guardianship orders"): counts
exits_adopted_consent_dispensed, exits_sgo_relative_or_friend, exits_sgo_former_foster_carer.
"""

from __future__ import annotations

from permanence.reference.published import TIDY_COLUMNS, Rule, convert_tidy
from permanence.reference.reader import Table
from permanence.reference.spec import Converted, Family


def _reason(g: str) -> bool:
    return "reason" in g


def _reason_total(g: str, lab: str) -> bool:
    return _reason(g) and lab == "total"


ROUTES = {
    "adopted": lambda lab: lab.startswith("adopted"),
    "sgo": lambda lab: "special guardianship" in lab,
    "cao": lambda lab: "residence order" in lab or "child arrangement" in lab,
    "returned_home": lambda lab: lab.startswith("returned home"),
}


def _route(pick):
    return lambda g, lab: _reason(g) and pick(lab)


def _relative(lab: str) -> bool:
    return "relative or friend" in lab and "other than relative" not in lab


RULES = [
    *(Rule(f"exit_share_{k}", _route(p), "number", denominator=_reason_total, percent_column="percentage")
      for k, p in ROUTES.items()),
    *(Rule(f"exits_{k}", _route(p), "number") for k, p in ROUTES.items()),
    Rule("exits_total", _reason_total, "number"),
    Rule("exits_adopted_consent_dispensed",
         lambda g, lab: g.startswith("adopted") and "consent dispensed" in lab, "number"),
    Rule("exits_sgo_relative_or_friend",
         lambda g, lab: "special guardianship" in g and _relative(lab), "number"),
    Rule("exits_sgo_former_foster_carer",
         lambda g, lab: "special guardianship" in g and "former foster carer" in lab
         and "other than former foster carer" not in lab, "number"),
    # Split-file totals repeat the reason file's counts: read (so not reported unmapped), not stored twice.
]


def _convert(table: Table, file_name: str) -> Converted:
    out = convert_tidy(table, RULES, "cla_group", "characteristic")
    # The split file's group totals and "unopposed"/"other than" rows are known and deliberately unused.
    if _is_split(table):
        out.notes = []
    return out


def _is_split(table: Table) -> bool:
    return not any("reason" in (r.get("cla_group") or "").lower() for r in table.rows[:2000])


FAMILY = Family(
    name="children_ceased",
    table="published_measures",
    required=TIDY_COLUMNS | {"cla_group", "characteristic", "number"},
    convert=_convert,
    replace_on=("measure", "time_period"),
    description="DfE children who ceased to be looked after, by reason (and adoption/SGO split)",
)
