"""generate_region: one synthetic SSDA903 drop per LA of a region, written one LA at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from permanence.contract import table
from permanence.synth import writers
from permanence.synth.careers import Child, LAContext, PeriodSpec, simulate_child, simulate_short_breaks
from permanence.synth.days import YEAR, year_of
from permanence.synth.population import ADOPT, HOME, LTF, RELINQ, Periods, draw_population
from permanence.synth.random_stream import Stream
from permanence.synth.region import LocalAuthority, region_las

# Deterministic default: the end of the latest complete collection year when this was written.
DEFAULT_EXTRACT_DATE = dt.date(2025, 3, 31)
SHORT_BREAK_SHARE = 0.03  # children on a series of short breaks, per child looked after
MISSING_PRONE_SHARE = 0.25  # of children, those who go missing from care at 11+
_AREAS = "ABCDEFGHJKLMNOPRSTUVWY"  # second letter of the LA's synthetic postcode area (QZ = elsewhere)


@dataclass(frozen=True)
class Drop:
    path: Path
    la_code: str
    la_name: str
    extract_date: dt.date
    children: int  # children in the drop (header rows)


def generate_region(
    out: Path,
    las: int = 4,
    children: int = 400,
    years: int = 5,
    seed: int = 42,
    extract_date: dt.date | None = None,
    fmt: str = "csv",
) -> list[Drop]:
    """Write one drop folder per LA under `out`; each LA is generated, written and dropped in turn."""
    if fmt not in ("csv", "xml"):
        raise ValueError(f"fmt must be 'csv' or 'xml', not {fmt!r}")
    if years < 1 or children < 1:
        raise ValueError("years and children must be at least 1")
    extract_date = extract_date or DEFAULT_EXTRACT_DATE
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    region = region_las(las)
    codes = tuple(la.code for la in region)
    return [_generate_la(out, la, codes, children, years, seed, extract_date, fmt) for la in region]


def _window_start(extract_date: dt.date, years: int) -> int:
    try:
        back = extract_date.replace(year=extract_date.year - years)
    except ValueError:
        back = dt.date(extract_date.year - years, 3, 1)
    return back.toordinal() + 1


def _generate_la(out, la: LocalAuthority, codes, children, years, seed, extract_date, fmt) -> Drop:
    rng = np.random.default_rng([seed, la.index])
    volume = 0.5 + 1.1 * rng.random()  # LAs differ in size: 0.5-1.6 x the requested volume
    target = max(1, round(children * volume))
    E = extract_date.toordinal()
    W = _window_start(extract_date, years)
    pop = draw_population(rng, target, W, E)
    ctx = LAContext(
        code=la.code,
        area="Q" + _AREAS[la.index % len(_AREAS)],
        extract_day=E,
        window_start=W,
        st=Stream(np.random.default_rng([seed, la.index, 1])),
        sw_pool=max(3, target // 12),
        other_las=tuple(c for c in codes if c != la.code) or (la.code,),
    )
    serial = 0

    def next_id() -> str:
        nonlocal serial
        serial += 1
        return f"{la.code}{serial:06d}"

    def new_child(dob, male, uasc) -> Child:
        return Child(next_id(), dob, male, uasc, ctx.postcode(), ctx.st.bern(MISSING_PRONE_SHARE))

    n_children = 0
    for idx, specs in _children_periods(pop.periods):
        child = new_child(int(pop.dob[idx]), bool(pop.male[idx]), bool(pop.uasc[idx]))
        simulate_child(ctx, child, specs)
        n_children += 1

    for make in COHORT_EXAMPLES:
        dob, specs = make(E)
        child = new_child(dob, bool(ctx.st.bern(0.5)), False)
        simulate_child(ctx, child, specs)
        n_children += 1

    for _ in range(max(1, round(SHORT_BREAK_SHARE * target))):
        st = ctx.st
        first = st.int(W - 365, E - 30)
        dob = first - int(st.int(5, 15) * YEAR) - st.int(0, 364)
        child = new_child(dob, st.bern(0.62), False)
        if simulate_short_breaks(ctx, child, max(first, W), first + st.int(365, 4 * 365)):
            n_children += 1

    folder = out / f"{la.code}_{extract_date.isoformat()}"
    writers.prepare_folder(folder)
    sw_first = table("social_worker_episodes").first_year
    ssda = tuple(t for t in writers.SSDA903_TABLES if t != "social_worker_episodes" or year_of(E) >= sw_first)
    if fmt == "xml":
        writers.write_xml(folder / "903.xml", ctx.rows)
        csv_tables = tuple(t for t in ssda if t not in writers.XML_TABLES) + writers.EXTRAS_TABLES
    else:
        csv_tables = ssda + writers.EXTRAS_TABLES
    writers.write_tables(folder, la.cms, ctx.rows, csv_tables)
    writers.write_manifest(
        folder,
        {
            "la_code": la.code,
            "la_name": la.name,
            "extract_date": extract_date.isoformat(),
            # A CMS full extract: every child in care on or after its go-live comes with its whole
            # history, but children who had left before it are not there (docs/measures.md#coverage).
            "coverage_start": dt.date.fromordinal(W).isoformat(),
            "cms": la.cms,
            "generator": "permanence.synth",
            "seed": seed,
            "format": fmt,
        },
    )
    return Drop(folder, la.code, la.name, extract_date, len(ctx.rows.get("header", [])))


def _children_periods(p: Periods):
    """(child index, [PeriodSpec...]) for each child, from the sorted period arrays."""
    cols = [p.child, p.start, p.end, p.route, p.ltf_kind, p.adm, p.po, p.match, p.placed, p.reversed_at]
    lists = [c.tolist() for c in cols]
    i, n = 0, len(lists[0])
    while i < n:
        c = lists[0][i]
        specs = []
        while i < n and lists[0][i] == c:
            specs.append(PeriodSpec(*(col[i] for col in lists[1:])))
            i += 1
        yield c, specs


# --------------------------------------------------------------------------- cohort examples
# Children placed deliberately so that every SPG cohort (docs/measures.md#spg-cohorts) has members on the
# extract date even in a tiny region. Each returns (dob, periods) relative to the extract day E.

def _relinquished_unplaced(E):
    s = E - 30
    return E - 40, [PeriodSpec(s, E + 300, RELINQ, adm=s + 14, match=E + 40, placed=E + 60)]


def _freeing_order(E):
    # D1 freeing orders ended in 2005; kept as a legacy status so the rule is exercised.
    s = E - 5 * 365
    return E - 9 * 365, [PeriodSpec(s, E + 10 * 365, LTF, force={"d1": 300, "initial": ("U4", "PR1"), "no_match": True, "no_semi": True})]


def _placed_awaiting_order(E):
    s = E - 730
    return E - 1100, [PeriodSpec(s, E + 200, ADOPT, adm=s + 150, po=E - 420, match=E - 150, placed=E - 120)]


def _placement_order_not_placed(E):
    s = E - 600
    return E - 900, [PeriodSpec(s, E + 400, ADOPT, adm=s + 120, po=E - 330, match=E + 60, placed=E + 90)]


def _adoption_reversed(E):
    s = E - 1095
    return E - 6 * 365, [
        PeriodSpec(s, E + 10 * 365, LTF, adm=s + 150, po=s + 330, reversed_at=E - 200,
                   force={"no_revoke": True, "no_match": True, "no_semi": True})
    ]


def _ltf_plan_no_match(E):
    s = E - 3 * 365
    return E - 10 * 365, [
        PeriodSpec(s, E + 5 * 365, LTF, force={"care": True, "no_match": True, "no_moves": True, "no_semi": True,
                                               "initial": ("U6", "PR1"), "plan": "LTFOST18"})
    ]


def _home_with_parents(E):
    s = E - 900
    return E - 7 * 365, [PeriodSpec(s, E + 200, HOME, force={"care": True, "fh": E - 480, "p1_at": E - 450})]


def _external_residential(E):
    s = E - 600
    return E - 14 * 365, [
        # no review held in the last 300 days: overdue on E (the SPG drift watchlist's review rule)
        PeriodSpec(s, E + 3 * 365, LTF, force={"care": True, "initial": ("K2", "PR4"), "no_moves": True, "no_semi": True,
                                               "no_match": True, "reviews_lapse": 300})
    ]


COHORT_EXAMPLES = (
    _relinquished_unplaced,
    _freeing_order,
    _placed_awaiting_order,
    _placement_order_not_placed,
    _adoption_reversed,
    _ltf_plan_no_match,
    _home_with_parents,
    _external_residential,
)
