"""Which published file is which: every file family, and the one a file's columns match.

Kept apart from the shapes in `spec` so the families' modules import `spec` and this module
imports them, with no import running back.
"""

from __future__ import annotations

from permanence.reference import adoption_stages, ceased, cla_rates, lookup, neighbours, population, stability
from permanence.reference.spec import Family


def families() -> list[Family]:
    return [
        *neighbours.FAMILIES,
        *lookup.FAMILIES,
        population.FAMILY,
        cla_rates.FAMILY,
        stability.FAMILY,
        ceased.FAMILY,
        adoption_stages.FAMILY,
    ]


def recognise(columns: list[str]) -> Family | None:
    matching = [f for f in families() if f.matches(columns)]
    if not matching:
        return None
    return max(matching, key=lambda f: len(f.required))
