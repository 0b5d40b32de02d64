"""Plain-English names and one-sentence definitions of the measures the quarterly report shows.

A councillor reads names, not column ids: every measure id a mart carries (benchmark, targets) is
shown by its name here, and the report's glossary lists the definition of each measure it used.
The definitions restate docs/measures.md for a lay reader.
"""

from __future__ import annotations

from permanence.transform.dbt import project_vars

_A1, _A2 = project_vars()["adoption_a1_threshold_days"], project_vars()["adoption_a2_threshold_days"]

# id: (name, definition)
MEASURES: dict[str, tuple[str, str]] = {
    "cla_rate_per_10k": ("Children in care per 10,000",
                         "Children looked after on 31 March for every 10,000 children aged 0-17 living in the area."),
    "cla_at_31_march": ("Children in care on 31 March",
                        "Children looked after on 31 March, leaving out children in short-break care only."),
    "exit_share_adopted": ("Leaving care by adoption (%)",
                           "Of the children who left care in the year, the share who were adopted."),
    "exit_share_sgo": ("Leaving care by special guardianship (%)",
                       "Of the children who left care in the year, the share who left to a special guardian."),
    "exit_share_cao": ("Leaving care by child arrangements order (%)",
                       "Of the children who left care in the year, the share who left under a child arrangements "
                       "(formerly residence) order."),
    "exit_share_returned_home": ("Returned home (%)",
                                 "Of the children who left care in the year, the share who went back to live with "
                                 "their parents."),
    "exits_adopted": ("Children adopted", "Children who left care in the year by adoption."),
    "exits_sgo": ("Children leaving to special guardianship",
                  "Children who left care in the year to live with a special guardian."),
    "exits_cao": ("Children leaving under a child arrangements order",
                  "Children who left care in the year under a child arrangements order."),
    "exits_returned_home": ("Children returned home", "Children who left care in the year to live with their parents."),
    "exits_permanence": ("Children leaving care to a permanent home",
                         "Children who left care in the year by adoption, special guardianship, a child arrangements "
                         "order or returning home."),
    "exits_total": ("Children leaving care", "Children who left care in the year, each child counted once."),
    "stability_three_plus": ("Three or more placements in the year (%)",
                             "Of the children in care on 31 March, the share who had three or more placements in "
                             "the year (short temporary placements not counted); lower is better."),
    "stability_long_term": ("Long-term placement stability (%)",
                            "Of the children under 16 in care for two and a half years or more, the share who have "
                            "lived in the same placement for at least two years; higher is better."),
    "a1_days": ("Days from care to adoptive home (A1)",
                "For children adopted in the year, the average number of days from entering care to moving in with "
                f"the adoptive family; the national threshold is {_A1} days; lower is better."),
    "a2_days": ("Days from court authority to match (A2)",
                "For children adopted in the year, the average number of days from the court's authority to place "
                f"for adoption to the match with adopters; the national threshold is {_A2} days; lower is better."),
    "a3_share": (f"Adopted within {_A1} days (A3, %)",
                 "Of the children adopted in the year, the share who moved in with their adoptive family within "
                 f"{_A1} days of entering care."),
    "a10_days": ("Days from care to adoptive home, counting foster-carer adoptions from placement (A10)",
                 "As A1, but a child adopted by their foster carers counts from the day they were placed with "
                 "those carers."),
    "mean_days_in_care": ("Average days in care at leaving",
                          "For periods of care that ended in the year, the average number of days the child had "
                          "been in care."),
    "cohort_children": ("Children in the SPG cohorts",
                        "Children in each priority group the Securing Permanence Group reviews, counted on the date; "
                        "a child can be in more than one group."),
}

def name(measure: str) -> str:
    """The plain-English name of a measure id (a cohort count names its cohort); an unknown id is
    shown as it is rather than guessed."""
    if measure.startswith("cohort_") and measure.endswith("_children"):
        n = measure[len("cohort_"):-len("_children")]
        return f"Children in SPG cohort {n}"
    return MEASURES.get(measure, (measure, ""))[0]


def entry(measure: str) -> tuple[str, str] | None:
    """(name, definition) for the glossary; cohort counts share one entry."""
    if measure.startswith("cohort_") and measure.endswith("_children"):
        return MEASURES["cohort_children"]
    return MEASURES.get(measure)
