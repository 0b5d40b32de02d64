"""The categorical distributions the career simulation draws from, in one place.

Shares are rounded from DfE "Children looked after in England" national tables (2019-2024) and
the SSDA903 guidance; docs/synthetic-data.md lists each with its rationale. Codes that only
exist in some collection years (K3, Z1) are filtered by the code lists at draw time, never here.
"""

from __future__ import annotations

from functools import lru_cache

from permanence.synth.days import usable_in, year_of
from permanence.synth.random_stream import Choice

ETHNIC = Choice(
    {
        "WBRI": 70.0, "WIRI": 0.5, "WOTH": 4.0, "WIRT": 0.5, "WROM": 0.5,
        "MWBC": 3.5, "MWBA": 1.0, "MWAS": 1.0, "MOTH": 3.0,
        "AIND": 1.0, "APKN": 1.5, "ABAN": 0.5, "AOTH": 1.0,
        "BCRB": 1.0, "BAFR": 2.5, "BOTH": 1.0,
        "CHNE": 0.2, "OOTH": 2.0, "REFU": 0.5, "NOBT": 0.8,
    }
)
# UASC arrive mostly from Afghanistan, Eritrea, Sudan, Iran, Vietnam, Albania.
ETHNIC_UASC = Choice({"OOTH": 35, "AOTH": 25, "BAFR": 28, "WOTH": 6, "BOTH": 4, "CHNE": 2})

# Category of need at entry: abuse or neglect dominates.
CIN = Choice({"N1": 63, "N2": 3, "N3": 3, "N4": 8, "N5": 15, "N6": 2, "N7": 0.3, "N8": 5.7})

# Where a child is placed when a new carer is found, by age group. "SEMI" is semi-independent
# or supported accommodation: H5 or, from 2023-24, K3 (see placement_choice).
PLACEMENT_BY_GROUP = {
    "baby": {"U6": 60, "U3": 20, "U5": 10, "R3": 7, "P1": 3},
    "child": {"U6": 72, "U3": 17, "K2": 4, "P1": 3, "S1": 1, "R1": 1, "T4": 1},
    "teen": {"U6": 53, "U3": 10, "K2": 30, "K1": 1, "R1": 2, "S1": 2, "P1": 1, "T4": 1},
    "older": {"U6": 33, "U3": 8, "SEMI": 40, "K2": 14, "P2": 3, "R5": 1, "P1": 1},
    "uasc": {"SEMI": 62, "U6": 36, "K2": 2},
    "semi": {"SEMI": 1},  # moving on at 16-17
}
# New supported accommodation from 2023-24 replaces most semi-independent placements.
SEMI = {"K3": 3, "H5": 1}

PROVIDER_BY_PLACE = {
    **{p: {"PR1": 90, "PR4": 10} for p in ("U1", "U2", "U3")},
    **{p: {"PR1": 58, "PR4": 40, "PR5": 2} for p in ("U4", "U5", "U6")},
    "K2": {"PR4": 76, "PR1": 18, "PR5": 4, "PR2": 2},
    "K1": {"PR1": 50, "PR2": 50},
    "R1": {"PR4": 60, "PR5": 30, "PR3": 10},
    "S1": {"PR4": 60, "PR5": 30, "PR3": 10},
    "R3": {"PR4": 50, "PR1": 50},
    "R5": {"PR3": 100},
    "H5": {"PR4": 70, "PR1": 25, "PR5": 5},
    "K3": {"PR4": 70, "PR1": 25, "PR5": 5},
    "P1": {"PR0": 100},
    "P2": {"PR1": 100},
    "T4": {"PR1": 100},
    "A4": {"PR1": 65, "PR2": 15, "PR5": 20},
    "A6": {"PR1": 65, "PR2": 15, "PR5": 20},
}
PROVIDER = {k: Choice(v) for k, v in PROVIDER_BY_PLACE.items()}

# Settings Ofsted registers carry an SC-style URN; the 903 asks for XXXXXXX elsewhere.
URN_PLACES = frozenset({"K1", "K2", "K3", "R1", "S1"})
KIN = frozenset({"U1", "U2", "U3"})
FOSTER = frozenset({"U1", "U2", "U3", "U4", "U5", "U6"})
LONG_TERM_MATCH = {"U6": "U4", "U3": "U1"}
RESIDENTIAL = frozenset({"K1", "K2", "R1", "S1"})
SEMI_PLACES = frozenset({"H5", "K3", "P2"})

# Why an unplanned move happened (REASON_PLACE_CHANGE on the episode that ended).
MOVE_REASON = Choice(
    {"CARPL": 22, "CREQB": 16, "CREQO": 12, "LAREQ": 12, "CHILD": 10, "ALLEG": 5, "STAND": 5,
     "CLOSE": 4, "APPRR": 2, "OTHER": 12}
)

REVIEW_CODE = Choice({"PN1": 45, "PN2": 15, "PN3": 10, "PN4": 10, "PN5": 8, "PN6": 6, "PN7": 6})
# A change of worker (never FCONTA, the first contact, nor SWDIED): the 903's SW_REASON codes.
SW_REASON = Choice({"LEFTRL": 30, "MANAGE": 20, "TSPROC": 15, "ORGRST": 10, "CHCHAN": 10, "ABSENC": 5,
                    "PCCHAN": 2, "OTHERS": 8})
REVERSED_REASON = Choice({"RD1": 40, "RD2": 20, "RD3": 25, "RD4": 15})

# Exits (REC) by how a period ends. 18+: those in foster care often "stay put" (E17).
EXIT_HOME = Choice({"E4A": 80, "E4B": 20})
EXIT_ADOPTED = Choice({"E11": 85, "E12": 15})
EXIT_SGO_KIN = Choice({"E45": 80, "E47": 20})
EXIT_SGO_OTHER = Choice({"E46": 70, "E48": 30})
EXIT_18_FOSTER = Choice({"E17": 45, "E5": 40, "E6": 15})
EXIT_18_SEMI = Choice({"E5": 70, "E6": 30})
EXIT_18_RES = Choice({"E5": 60, "E6": 30, "E7": 10})
EXIT_EARLY_LEAVE = Choice({"E5": 50, "E6": 20, "E13": 30})
EXIT_OTHER = Choice({"E13": 45, "E8": 20, "E3": 10, "E9": 8, "E14": 7, "E16": 5, "E2": 1, "E7": 4})
EXIT_OTHER_UASC = Choice({"E15": 30, "E16": 20, "E8": 50})


@lru_cache(maxsize=None)
def _placement_choice(group: str, year: str, extract_year: str) -> Choice:
    weights: dict[str, float] = {}
    for code, w in PLACEMENT_BY_GROUP[group].items():
        for sub, sw in (SEMI.items() if code == "SEMI" else ((code, 1),)):
            if usable_in("PLACE", sub, year, extract_year):
                weights[sub] = weights.get(sub, 0) + w * sw
    if not weights:
        # No code is valid both in the episode's year and the extract's (an extract from 2025-26
        # on, after H5's retirement, of a placement from before K3 existed): the episode's own
        # year decides, as validation keys PLACE by the episode's start.
        return _placement_choice(group, year, year)
    return Choice(weights)


def placement_choice(group: str, day: int, extract_day: int) -> Choice:
    """The placement distribution for a group on a day, with codes valid for that year only."""
    return _placement_choice(group, year_of(day), year_of(extract_day))


def age_group(age_years: float, uasc: bool) -> str:
    if uasc and age_years >= 15.5:
        return "uasc"
    if age_years < 1:
        return "baby"
    if age_years < 12:
        return "child"
    if age_years < 16:
        return "teen"
    return "older"
