"""Who comes into care and when: arrivals, routes out and period dates for one LA, vectorised.

This stage decides only the shape of each period of care (start, end, route out, adoption
milestones). The career stage (careers.py) then fills in legal statuses and placements inside
those dates, only for children the extract window will show, which keeps national runs cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from permanence.synth.days import YEAR

# Routes out of care. LTF covers everyone who stays to (or near) 18, long-term fostered or not.
HOME, SGO, ADOPT, LTF, CAO, OTHER, RELINQ = range(7)
ROUTE_NAMES = ("home", "sgo", "adopt", "ltf", "cao", "other", "relinquished")

# Age bands at entry (years): <1, 1-4, 5-9, 10-15, 16-17. Shares follow DfE CLA starters (roughly
# 20/15/16/37/12 per cent): the two peaks are babies and young teenagers.
AGE_BAND_EDGES = np.array([0, 1, 5, 10, 16, 18])
AGE_BAND_SHARE = np.array([0.20, 0.15, 0.17, 0.36, 0.12])

# Route out by age band (rows) and route (columns HOME, SGO, ADOPT, LTF, CAO, OTHER). Babies go
# to adoption or kinship; teenagers go home or stay to 18. Tuned so that exits over a run come
# out near DfE national shares (returned home ~30%, SGO ~12%, adoption ~9%, 18+ ~25%, CAO ~3%).
ROUTE_BY_BAND = np.array(
    [
        [0.22, 0.26, 0.36, 0.10, 0.03, 0.03],
        [0.30, 0.26, 0.20, 0.14, 0.05, 0.05],
        [0.40, 0.16, 0.02, 0.30, 0.05, 0.07],
        [0.46, 0.05, 0.00, 0.26, 0.03, 0.20],
        [0.37, 0.01, 0.00, 0.42, 0.01, 0.19],
    ]
)
UASC_ROUTE = np.array([0.04, 0.0, 0.0, 0.72, 0.0, 0.24])

UASC_SHARE_OF_STARTERS = 0.15  # DfE: ~15-18% of starters, ~7-9% of children looked after on a date
RELINQUISHED_SHARE_OF_NEWBORNS = 0.06  # ~2% of under-ones
REENTRY_P = {HOME: 0.32, OTHER: 0.15}  # of periods ending this way, re-enter within ~a year
BURN_IN_YEARS = 18  # a child in care at the window start may have entered at birth


@dataclass
class Periods:
    """Parallel arrays, one entry per period of care."""

    child: np.ndarray
    start: np.ndarray
    end: np.ndarray  # may lie after the extract date: then the period is open on it
    route: np.ndarray
    ltf_kind: np.ndarray  # 0 stays to 18, 1 leaves at 16-17, 2 SGO to foster carers later
    adm: np.ndarray  # adoption milestones, -1 where not on that route
    po: np.ndarray
    match: np.ndarray
    placed: np.ndarray
    reversed_at: np.ndarray

    def take(self, mask: np.ndarray) -> "Periods":
        return Periods(**{k: v[mask] for k, v in self.__dict__.items()})


@dataclass
class Population:
    dob: np.ndarray  # per child
    male: np.ndarray
    uasc: np.ndarray
    periods: Periods  # sorted by child then start


def _lognorm(rng, median, sigma, n):
    return median * np.exp(sigma * rng.standard_normal(n))


def _pick_rows(rng, table: np.ndarray) -> np.ndarray:
    """One column index per row of a (n, k) probability table."""
    cum = np.cumsum(table, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(table))[:, None]
    return np.minimum((u > cum).sum(axis=1), table.shape[1] - 1)


def _draw_periods(rng, child, start, dob, uasc, b18, first: bool) -> Periods:
    n = len(child)
    age = (start - dob) / YEAR
    band = np.clip(np.searchsorted(AGE_BAND_EDGES, age, side="right") - 1, 0, 4)
    table = np.where(uasc[:, None], UASC_ROUTE[None, :], ROUTE_BY_BAND[band])
    route = _pick_rows(rng, table)
    # Relinquished babies: parents consent to adoption in the first weeks of life.
    relinq = first & (age < 6 / 52) & ~uasc & (rng.random(n) < RELINQUISHED_SHARE_OF_NEWBORNS)
    route = np.where(relinq, RELINQ, route)

    # Days in care by route: lognormal, so most stays are months and a long tail runs to years.
    dur = np.select(
        [route == HOME, route == SGO, route == CAO, route == OTHER],
        [
            _lognorm(rng, 130, 1.15, n),
            _lognorm(rng, 430, 0.45, n),
            _lognorm(rng, 460, 0.5, n),
            _lognorm(rng, 200, 1.2, n),
        ],
        default=0.0,
    )
    end = start + np.maximum(dur, 2).astype(np.int64)

    # Staying to 18: most do; some leave at 16-17 for independence; some foster carers take SGO.
    k = rng.random(n)
    ltf_kind = np.where(k < 0.72, 0, np.where(k < 0.88, 1, 2))
    early = dob + (rng.uniform(16.0, 17.9, n) * YEAR).astype(np.int64)
    sgo_later = start + (rng.uniform(1.5, 5.0, n) * YEAR).astype(np.int64)
    ltf_end = np.select([ltf_kind == 1, ltf_kind == 2], [np.maximum(early, start + 90), sgo_later], b18)
    end = np.where(route == LTF, ltf_end, end)

    # Adoption milestones (days after entry): ADM decision ~5 months, placement order ~10 months,
    # match a few months later (long tail: hard-to-place children wait), placed 2-8 weeks after
    # match, adoption order 6-12 months after placement.
    adm = start + np.maximum(_lognorm(rng, 150, 0.4, n), 30).astype(np.int64)
    po = np.maximum(adm + 21, start + _lognorm(rng, 310, 0.3, n).astype(np.int64))
    match = po + np.maximum(_lognorm(rng, 110, 0.8, n), 7).astype(np.int64)
    placed = match + rng.integers(14, 57, n)
    order = placed + rng.integers(180, 366, n)
    reversed_ = rng.random(n) < 0.07
    reversed_at = po + rng.integers(90, 400, n)
    # Relinquished: no placement order; placed with consent (A3/A4) within a few months.
    r_adm = start + rng.integers(14, 61, n)
    r_placed = r_adm + rng.integers(30, 121, n)
    r_match = np.maximum(r_adm + 1, r_placed - rng.integers(7, 29, n))
    is_adopt = route == ADOPT
    is_rel = route == RELINQ
    adm = np.where(is_adopt, adm, np.where(is_rel, r_adm, -1))
    po = np.where(is_adopt, po, -1)
    match = np.where(is_adopt, match, np.where(is_rel, r_match, -1))
    placed = np.where(is_adopt, placed, np.where(is_rel, r_placed, -1))
    end = np.where(is_adopt, order, np.where(is_rel, r_placed + rng.integers(150, 301, n), end))
    # A reversed decision: the child stays on the placement order in foster care; later stays
    # to 18 like any long-term fostered child.
    rev = is_adopt & reversed_
    reversed_at = np.where(rev, reversed_at, -1)
    match = np.where(rev, -1, match)
    placed = np.where(rev, -1, placed)
    route = np.where(rev, LTF, route)
    ltf_kind = np.where(rev, 0, ltf_kind)
    end = np.where(rev, b18, end)

    # Nobody stays past 18: a period still running then ends at the 18th birthday as an 18+ exit.
    aged_out = end >= b18
    end = np.minimum(end, b18)
    route = np.where(aged_out & (route != LTF), LTF, route)
    ltf_kind = np.where(aged_out, 0, ltf_kind)
    end = np.maximum(end, start + 1)
    return Periods(child, start, end, route, ltf_kind, adm, po, match, placed, reversed_at)


def _concat(parts: list[Periods]) -> Periods:
    return Periods(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in Periods.__dataclass_fields__})


def draw_population(rng: np.random.Generator, target: int, window_start: int, extract_day: int) -> Population:
    """Arrivals over the window plus burn-in, thinned so about `target` are in care on the extract date."""
    first_day = window_start - int(BURN_IN_YEARS * YEAR)
    span = extract_day - first_day + 1
    # Over-generate (a stock of ~1.2 years per yearly arrival would be a low guess), then thin.
    rate = target / 1.2 / YEAR
    n = int(rng.poisson(rate * span))
    start = np.sort(first_day + rng.integers(0, span, n))
    uasc = rng.random(n) < UASC_SHARE_OF_STARTERS
    band = rng.choice(5, size=n, p=AGE_BAND_SHARE)
    lo, hi = AGE_BAND_EDGES[band], AGE_BAND_EDGES[band + 1]
    age_years = lo + rng.random(n) * (hi - lo)
    # Under-ones: a third come into care in their first weeks (pre-birth plans, relinquished).
    newborn = (band == 0) & (rng.random(n) < 0.35)
    age_years = np.where(newborn, rng.random(n) * (6 / 52), age_years)
    # UASC arrive at 14-17, most at 16-17 (DfE UASC statistics).
    age_years = np.where(uasc, 14 + 3.95 * rng.beta(2.5, 1.2, n), age_years)
    # Keep every entrant at least a month short of 18 so a period can run before the birthday.
    dob = start - (np.minimum(age_years, 17.9) * YEAR).astype(np.int64)
    male = np.where(uasc, rng.random(n) < 0.94, rng.random(n) < 0.55)
    b18 = birthdays(dob, 18)
    child = np.arange(n)

    parts = [_draw_periods(rng, child, start, dob, uasc, b18, first=True)]
    last = parts[0]
    for _ in range(2):  # up to two re-entries
        p_re = np.select([last.route == HOME, last.route == OTHER], [REENTRY_P[HOME], REENTRY_P[OTHER]], 0.0)
        gap = np.clip(_lognorm(rng, 110, 0.9, len(last.child)), 14, 1500).astype(np.int64)
        nxt = last.end + gap
        kb18 = b18[last.child]
        ok = (rng.random(len(last.child)) < p_re) & (nxt < kb18 - 30)
        if not ok.any():
            break
        c = last.child[ok]
        last = _draw_periods(rng, c, nxt[ok], dob[c], uasc[c], b18[c], first=False)
        parts.append(last)
    periods = _concat(parts)

    # Thin arrivals (whole children) so the stock on the extract date is about `target`.
    open_on = (periods.start <= extract_day) & (periods.end > extract_day)
    stock = np.unique(periods.child[open_on]).size
    keep_child = rng.random(n) < (min(1.0, target / stock) if stock else 1.0)
    # Keep only periods the window shows: started by the extract date, not ended before the window.
    keep = keep_child[periods.child] & (periods.start <= extract_day) & (periods.end >= window_start)
    periods = periods.take(keep)
    order = np.lexsort((periods.start, periods.child))
    periods = periods.take(order)
    return Population(dob=dob, male=male, uasc=uasc, periods=periods)


_EPOCH = 719163  # date(1970, 1, 1).toordinal()


def birthdays(dob: np.ndarray, years: int) -> np.ndarray:
    """Ordinal of each `years`th birthday; 29 February birthdays fall on 1 March, as in days.birthday."""
    d = (dob - _EPOCH).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    offset = d - month.astype("datetime64[D]")
    out = (month + 12 * years).astype("datetime64[D]") + offset
    return out.astype(np.int64) + _EPOCH
