"""One child's time in care, episode by episode, and the rows every other table gets from it.

population.py fixes each period's start, end and route out; here the period is filled with a
legal-status track and a placement track, merged into SSDA903 episodes so that RNE always says
what changed. Side tables (reviews, missing, AD1, extras...) are derived from the same events, so
they are consistent with the episodes by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from permanence.contract import table
from permanence.synth import distributions as D
from permanence.synth.days import YEAR, age, birthday, fmt, sex_code, year_of
from permanence.synth.population import ADOPT, CAO, HOME, LTF, OTHER, RELINQ, SGO
from permanence.synth.random_stream import Choice, Stream

NEVER = 10**9
SW_FIRST_YEAR = table("social_worker_episodes").first_year


class PeriodSpec(NamedTuple):
    start: int
    end: int  # after the extract date: open on it
    route: int
    ltf_kind: int = 0
    adm: int = -1
    po: int = -1
    match: int = -1
    placed: int = -1
    reversed_at: int = -1
    force: dict | None = None  # fixed choices for the cohort examples (generator.COHORT_EXAMPLES)


class Placement(NamedTuple):
    place: str
    provider: str
    carer: int
    post: str
    urn: str


@dataclass
class Child:
    id: str
    dob: int
    male: bool
    uasc: bool
    home_post: str
    missing_prone: bool
    b18: int = 0

    def __post_init__(self):
        self.b18 = birthday(self.dob, 18)


@dataclass
class LAContext:
    code: str
    area: str  # postcode area letters for this LA (synthetic, not a real area)
    extract_day: int
    window_start: int
    st: Stream
    sw_pool: int
    other_las: tuple[str, ...]
    rows: dict[str, list[tuple]] = field(default_factory=dict)

    def add(self, table: str, row: tuple) -> None:
        self.rows.setdefault(table, []).append(row)

    # Postcodes: area letters nobody uses (Q...), district, sector, unit: shaped like a
    # postcode, never a real one.
    def postcode(self, out_of_area: bool = False) -> str:
        st = self.st
        area = "QZ" if out_of_area else self.area
        units = "ABDEFGHJLNPQRSTUWXYZ"
        return f"{area}{st.int(1, 29)} {st.int(0, 9)}{units[st.int(0, 19)]}{units[st.int(0, 19)]}"


def simulate_child(ctx: LAContext, child: Child, periods: list[PeriodSpec]) -> None:
    E = ctx.extract_day
    last_end = child.dob
    for p in periods:
        _period(ctx, child, p)
        last_end = min(p.end, E)
    _header(ctx, child, periods, last_end)


def _header(ctx: LAContext, child: Child, periods: list[PeriodSpec], last_day: int) -> None:
    st, E = ctx.st, ctx.extract_day
    ethnic = st.pick(D.ETHNIC_UASC if child.uasc else D.ETHNIC)
    upn = ""
    if st.bern(0.92):  # letter + 12 digits; ~8% of CLA have no UPN recorded
        upn = "ABCDEFGHJKLMNPQRTUVWXYZ"[st.int(0, 22)] + f"{ctx.code}{st.int(0, 10**9 - 1):09d}"
    mother, mc_dob = "", ""
    if not child.male:
        # MOTHER is asked of girls only; a few older girls in care are mothers.
        is_mother = age(child.dob, last_day) >= 14 and st.bern(0.05)
        mother = "1" if is_mother else "0"
        if is_mother:
            lo = birthday(child.dob, 13)
            mc_dob = fmt(st.int(lo, max(lo, last_day)))
    ctx.add("header", (child.id, sex_code(child.male, E), fmt(child.dob), ethnic, upn, mother, mc_dob))
    if child.uasc:
        ctx.add("uasc", (child.id, sex_code(child.male, E), fmt(child.dob), fmt(child.b18) if child.b18 <= E else ""))
    first = periods[0].start
    if st.bern(0.3):
        # Previous permanence: mostly "not known"; a few had an order that broke down.
        if st.bern(0.85):
            ctx.add("prev_perm", (child.id, fmt(child.dob), "Z1", "", ""))
        elif first - child.dob > 400:
            la = ctx.other_las[st.int(0, len(ctx.other_las) - 1)]
            day = st.int(child.dob + 200, first - 100)
            ctx.add("prev_perm", (child.id, fmt(child.dob), ["P1", "P2", "P3", "P4"][st.int(0, 3)], la, fmt(day)))


# --------------------------------------------------------------------------- one period


def _legal_track(st: Stream, child: Child, p: PeriodSpec, force: dict):
    """Legal statuses as (day, LS) and the care-proceedings dates (c1 start, final hearing)."""
    s = p.start
    if p.route == RELINQ:
        return [(s, "V2")], None, None
    if "d1" in force:
        return [(s, "C1"), (s + force["d1"], "D1")], s, s + force["d1"]
    a = age(child.dob, s)
    if child.uasc:
        v2 = 0.95
    elif p.route == LTF and p.po < 0:
        v2 = 0.6 if a >= 16 else 0.08
    else:
        v2 = {HOME: 0.5, OTHER: 0.5, SGO: 0.05, CAO: 0.1}.get(p.route, 0.0)
    if force.get("care"):
        v2 = 0.0
    if st.bern(v2):
        return [(s, "V2")], None, None
    ls, t = [], s
    r = st.u()
    if r < 0.07:  # police protection (72 hours) or an emergency protection order (8 days)
        police = st.bern(0.4)
        ls.append((s, "L1" if police else "L2"))
        t = s + (st.int(1, 3) if police else st.int(3, 8))
    elif r < 0.20 and p.po < 0:  # s20 first, proceedings later
        ls.append((s, "V2"))
        t = s + st.int(30, 180)
    ls.append((t, "C1"))
    if p.po > 0:
        fh = max(p.po, t + 30)
        ls.append((fh, "E1"))
        if p.reversed_at > 0 and not force.get("no_revoke") and st.bern(0.5):
            ls.append((p.reversed_at + st.int(60, 300), "C2"))  # placement order revoked
    else:
        fh = force.get("fh") or t + int(min(900, max(60, st.lognorm(260, 0.35))))
        ls.append((fh, "C2"))
    return ls, t, fh


def _new_placement(ctx: LAContext, place: str, carer: int, home_post: str, provider: str | None = None) -> Placement:
    st = ctx.st
    provider = provider or st.pick(D.PROVIDER[place])
    if place == "P1":
        post = home_post
    elif st.bern(0.03):
        post = ""  # PL_POST is often missing in real extracts
    else:
        post = ctx.postcode(out_of_area=provider in ("PR2", "PR4", "PR5") and st.bern(0.45))
    urn = f"SC{st.int(0, 999999):06d}" if place in D.URN_PLACES else "XXXXXXX"
    return Placement(place, provider, carer, post, urn)


def _general(ctx: LAContext, child: Child, day: int) -> str:
    group = D.age_group(age(child.dob, day), child.uasc)
    return ctx.st.pick(D.placement_choice(group, day, ctx.extract_day))


def _semi_choice(day: int, extract_day: int) -> Choice:
    return D.placement_choice("semi", day, extract_day)


def _move_rate(child: Child, pl: Placement, day: int, settled: bool) -> float:
    """Unplanned moves per year: teenagers move most; long-term matches and kin rarely."""
    if pl.place[0] in "AP" or pl.place == "R3":
        return 0.0 if pl.place != "R3" else 2.0  # parent-and-baby units are short assessments
    if settled or pl.place in ("U1", "U4"):
        return 0.08
    a = age(child.dob, day)
    if pl.place in D.SEMI_PLACES:
        return 0.3
    return 0.3 if a < 12 else (0.55 if a < 16 else 0.4)


def _placement_track(ctx: LAContext, child: Child, p: PeriodSpec, ls_track, fh, last_day: int, force: dict):
    """Placements as (day, Placement, reason the previous one ended); also adoption facts."""
    st, s = ctx.st, p.start
    carer = 1
    if "initial" in force:
        cur = _new_placement(ctx, force["initial"][0], carer, child.home_post, force["initial"][1])
    elif p.route in (ADOPT, RELINQ):
        cur = _new_placement(ctx, st.pick(Choice({"U6": 70, "U5": 20, "U3": 10})), carer, child.home_post)
    elif p.route in (SGO, CAO):
        cur = _new_placement(ctx, "U3" if st.bern(0.55) else "U6", carer, child.home_post)
    else:
        cur = _new_placement(ctx, _general(ctx, child, s), carer, child.home_post)
    track = [(s, cur, "")]

    events: list[tuple[int, str]] = []
    # Leaving an emergency placement when police protection / an EPO gives way: a new carer on
    # the day the legal status changes (RNE B).
    if ls_track[0][1] in ("L1", "L2") and len(ls_track) > 1 and st.bern(0.5):
        events.append((ls_track[1][0], "move"))
    if p.route in (SGO, CAO) and cur.place not in D.KIN:
        events.append((s + st.int(14, 150), "kin"))
    if p.placed > 0:
        events.append((p.placed, "adopt"))
    if "p1_at" in force:
        events.append((force["p1_at"], "home"))
    elif p.route == HOME and fh and p.end - fh > 90 and st.bern(0.6):
        # placed with parents under the care order, often on the day it is made (RNE B)
        events.append((fh + (0 if st.bern(0.4) else st.int(1, 30)), "home"))
    if p.route == LTF:
        if not force.get("no_match") and st.bern(0.6):
            # Long-term matches are often confirmed at the final hearing (RNE U), else later.
            at_fh = fh is not None and fh > s + 180 and st.bern(0.25)
            events.append((fh if at_fh else s + int(max(300, st.lognorm(550, 0.5))), "match"))
        if not force.get("no_semi") and st.bern(0.5):
            events.append((child.dob + int(st.int(1630, 1750) / 100 * YEAR), "semi"))
    events.sort()

    no_moves = bool(force.get("no_moves"))
    adopt_day, foster_care = -1, False
    t = s
    while True:
        rate = 0.0 if no_moves else _move_rate(child, cur, t, settled=p.route in (SGO, CAO) and cur.place in D.KIN)
        next_move = t + max(1, int(st.expo(YEAR / rate))) if rate > 0 else NEVER
        next_event = events[0][0] if events else NEVER
        day = max(min(next_move, next_event), track[-1][0] + 1)
        if day > last_day:
            break
        new, reason = None, ""
        if next_event <= next_move:
            _, kind = events.pop(0)
            if kind in ("after_temp", "move") and not no_moves:
                carer += 1
                new, reason = _new_placement(ctx, "U6", carer, child.home_post), "CARPL"
            elif kind == "kin" and cur.place not in D.KIN:
                carer += 1
                new, reason = _new_placement(ctx, "U3", carer, child.home_post), "CARPL"
            elif kind == "adopt":
                if p.route == RELINQ:
                    same = cur.place == "U5"
                    place = "A3" if same else "A4"
                else:
                    same = cur.place == "U5" or (
                        cur.place in D.FOSTER and cur.provider in ("PR1", "PR5") and st.bern(0.12)
                    )
                    place = "A5" if same else "A6"
                if same:  # adopted by the current (foster-to-adopt) carers: same carer, RNE T/U
                    new, reason = cur._replace(place=place), "PLACE"
                else:
                    carer += 1
                    new, reason = _new_placement(ctx, place, carer, child.home_post), "CARPL"
                adopt_day, foster_care = day, same
                no_moves = True
            elif kind == "home":
                carer += 1
                new, reason = _new_placement(ctx, "P1", carer, child.home_post), "CARPL"
                no_moves = True
            elif kind == "match" and cur.place in D.LONG_TERM_MATCH:
                new, reason = cur._replace(place=D.LONG_TERM_MATCH[cur.place]), "PLACE"
            elif kind == "semi" and cur.place not in D.SEMI_PLACES and age(child.dob, day) >= 16:
                carer += 1
                new, reason = _new_placement(ctx, st.pick(_semi_choice(day, ctx.extract_day)), carer, child.home_post), "CARPL"
        else:
            carer += 1
            place = _general(ctx, child, day)
            new, reason = _new_placement(ctx, place, carer, child.home_post), st.pick(D.MOVE_REASON)
            if place == "T4":  # a temporary move of a week or less, then a new foster home
                events.append((day + st.int(2, 7), "after_temp"))
                events.sort()
        if new is not None:
            track.append((day, new, reason))
            cur = new
        t = day
    return track, adopt_day, foster_care


def _exit_code(st: Stream, child: Child, p: PeriodSpec, pl: Placement) -> str:
    if p.route == HOME:
        return st.pick(D.EXIT_HOME)
    if p.route in (ADOPT, RELINQ):
        return st.pick(D.EXIT_ADOPTED)
    if p.route == CAO:
        return "E41"
    if p.route == SGO or (p.route == LTF and p.ltf_kind == 2):
        return st.pick(D.EXIT_SGO_KIN if pl.place in D.KIN else D.EXIT_SGO_OTHER)
    if p.route == LTF:
        if p.ltf_kind == 1 and p.end < child.b18:
            return st.pick(D.EXIT_EARLY_LEAVE)
        if pl.place in D.FOSTER:
            return st.pick(D.EXIT_18_FOSTER)
        if pl.place in D.RESIDENTIAL:
            return st.pick(D.EXIT_18_RES)
        return st.pick(D.EXIT_18_SEMI)
    code = st.pick(D.EXIT_OTHER_UASC if child.uasc else D.EXIT_OTHER)
    if code == "E7" and age(child.dob, p.end) < 17:
        code = "E8"  # adult social care transfers happen at 18
    return code


def _rne(prev_ls: str, prev: Placement, ls: str, pl: Placement) -> str:
    ls_changed = ls != prev_ls
    if pl.carer != prev.carer:
        return "B" if ls_changed else "P"
    if pl.place != prev.place:
        return "U" if ls_changed else "T"
    return "L"


def _period(ctx: LAContext, child: Child, p: PeriodSpec) -> None:
    st, E = ctx.st, ctx.extract_day
    force = p.force or {}
    s, e = p.start, p.end
    closed = e <= E
    last_day = min(e - 1, E)  # the last day a new episode may start
    ls_track, c1_start, fh = _legal_track(st, child, p, force)
    ls_track = [(d, c) for d, c in ls_track if d <= last_day]
    pl_track, adopt_day, foster_care = _placement_track(ctx, child, p, ls_track, fh, last_day, force)

    # Merge the two tracks: every day either changes starts an episode.
    days = sorted({d for d, _ in ls_track} | {d for d, _, _ in pl_track})
    cin = "N8" if child.uasc else st.pick(D.CIN)
    episodes = []  # [decom, rne, ls, placement, reason placement ended]
    li = pi = 0
    for d in days:
        while li + 1 < len(ls_track) and ls_track[li + 1][0] <= d:
            li += 1
        while pi + 1 < len(pl_track) and pl_track[pi + 1][0] <= d:
            pi += 1
        ls, (_, pl, reason) = ls_track[li][1], pl_track[pi]
        if not episodes:
            episodes.append([d, "S", ls, pl])
            continue
        prev = episodes[-1]
        if ls == prev[2] and pl == prev[3]:
            continue
        rne = _rne(prev[2], prev[3], ls, pl)
        prev.append(reason if rne in "PBTU" else "")
        episodes.append([d, rne, ls, pl])
    episodes[-1].append("")
    rec = _exit_code(st, child, p, episodes[-1][3]) if closed else ""
    for i, (decom, rne, ls, pl, reason) in enumerate(episodes):
        last = i == len(episodes) - 1
        dec = (e if closed else None) if last else episodes[i + 1][0]
        ctx.add(
            "episodes",
            (child.id, fmt(decom), rne, ls, cin, pl.place, pl.provider, fmt(dec),
             rec if last else "X1", reason, child.home_post, pl.post, pl.urn),
        )
    end_seen = min(e, E + 1)  # first day not in care (or not yet known)
    _reviews(ctx, child, s, end_seen, lapse_before=E - force["reviews_lapse"] if "reviews_lapse" in force else None)
    _missing(ctx, child, s, end_seen)
    ls_days = {c: d for d, c in reversed(ls_track)}  # first day of each LS
    _plans(ctx, child, p, episodes, end_seen, closed, adopt_day)
    _proceedings(ctx, child, p, c1_start, fh, ls_days, closed, rec)
    _adoption(ctx, child, p, adopt_day, foster_care, rec, closed)
    _no_pr(ctx, child, p, ls_days, adopt_day, closed)
    _social_workers(ctx, child, s, end_seen, closed)


# --------------------------------------------------------------------------- side tables


def _reviews(ctx: LAContext, child: Child, s: int, end_seen: int, lapse_before: int | None = None) -> None:
    # Statutory reviews: within 20 working days, then 3 months later, then every 6 months. From
    # lapse_before on none is held (a review gone overdue, for the SPG watchlist); the random draws
    # are the same either way, so the rest of the region does not change.
    st = ctx.st
    day = s + st.int(20, 28)
    gap = (80, 92)
    while day < end_seen:
        code = "PN0" if age(child.dob, day) < 4 else st.pick(D.REVIEW_CODE)
        if lapse_before is None or day < lapse_before:
            ctx.add("reviews", (child.id, fmt(child.dob), fmt(day), code))
        day += st.int(*gap)
        gap = (165, 182)


def _missing(ctx: LAContext, child: Child, s: int, end_seen: int) -> None:
    if not child.missing_prone:
        return
    st, E = ctx.st, ctx.extract_day
    day = max(s, birthday(child.dob, 11))
    while True:
        day += max(1, int(st.expo(YEAR / 3)))
        if day >= end_seen:
            return
        back = day + st.int(0, 3)
        ctx.add("missing", (child.id, fmt(child.dob), "M" if st.bern(0.8) else "A", fmt(day), fmt(back) if back <= E else ""))


def _plans(ctx, child: Child, p: PeriodSpec, episodes, end_seen: int, closed: bool, adopt_day: int) -> None:
    """Care plans (SSD ssd_cla_care_plan): an initial plan, then the permanence plan."""
    st, s = ctx.st, p.start
    kin = episodes[0][3].place in D.KIN
    last_place = episodes[-1][3].place
    if p.route in (ADOPT, RELINQ) or p.po > 0:
        perm = "ADOPTION"
    elif p.route in (SGO, CAO):
        perm = "LTRELFR"
    elif p.route == HOME:
        perm = "RETURNEV" if st.bern(0.5) else "RETURN1M"
    elif p.route == LTF:
        perm = "SUPPLIV" if child.uasc else ("LTRELFR" if kin else ("RESPLMT" if last_place in D.RESIDENTIAL else "LTFOST18"))
    else:
        perm = "OTHERPLN" if st.bern(0.5) else "RETURNEV"
    if p.force and p.force.get("plan"):
        perm = p.force["plan"]
    # Most have a permanence plan by the second review (~4 months); some are late.
    perm_day = p.adm if p.adm > 0 else s + (st.int(60, 125) if st.bern(0.7) else st.int(126, 400))
    plans = [(s + st.int(0, 7), st.pick(Choice({"RETURN6M": 40, "RETURNEV": 20, "OTHERPLN": 20, "RETURN1M": 20})))]
    plans.append((perm_day, perm))
    if p.reversed_at > 0:
        plans.append((p.reversed_at, "LTFOST18"))
    semi_day = next((ep[0] for ep in episodes if ep[3].place in ("H5", "K3")), None)
    if semi_day is not None and perm != "SUPPLIV":
        plans.append((semi_day, "SUPPLIV"))  # moving on to supported living changes the plan
    plans.sort()
    rows, last_day = [], -1
    for d, code in plans:
        if d >= end_seen:
            break
        if rows and rows[-1][1] == code:
            continue
        d = max(d, last_day + 1)
        if d >= end_seen:
            break
        rows.append([d, code])
        last_day = d
    for i, (d, code) in enumerate(rows):
        end = rows[i + 1][0] if i + 1 < len(rows) else (p.end if closed else None)
        ctx.add("cla_care_plan", (child.id, fmt(d), fmt(end), code))


def _proceedings(ctx, child: Child, p: PeriodSpec, c1_start, fh, ls_days, closed: bool, rec: str) -> None:
    if "C1" not in ls_days:  # no proceedings, or issued only after the extract date
        return
    st, E = ctx.st, ctx.extract_day
    issue = c1_start - st.int(1, 5)  # the interim order follows the first hearing after issue
    if fh is not None and fh < min(p.end, E + 1) and ("C2" in ls_days or "E1" in ls_days or "D1" in ls_days):
        final, order = fh, ("E1" if "E1" in ls_days else "C2")
    elif closed:
        final = p.end
        order = {"E45": "SGO", "E46": "SGO", "E47": "SGO", "E48": "SGO", "E41": "CAO"}.get(rec)
        if order is None:
            order = st.pick(Choice({"SO": 50, "NOORDER": 30, "WITHDRAWN": 20}))
    else:
        final, order = None, ""
    ctx.add("care_proceedings", (child.id, fmt(issue), fmt(final), order))


def _adoption(ctx, child: Child, p: PeriodSpec, adopt_day: int, foster_care: bool, rec: str, closed: bool) -> None:
    st, E = ctx.st, ctx.extract_day
    adopted = rec in ("E11", "E12")
    if p.adm > 0 and p.adm <= E:
        rev = p.reversed_at if 0 < p.reversed_at <= E else None
        rev_reason = st.pick(D.REVERSED_REASON) if rev else ""
        def seen(d):
            return d if 0 < d <= E else None
        ctx.add(
            "permanence",
            (child.id, fmt(p.adm), fmt(seen(p.po)), fmt(seen(p.match)), fmt(seen(adopt_day)),
             fmt(p.end if adopted else None), "ADOPTION" if adopted else "", fmt(rev), rev_reason),
        )
        ceased, why = (p.end, rec) if adopted else ((rev, rev_reason) if rev else (None, ""))
        ctx.add("placed_adoption", (child.id, fmt(child.dob), fmt(p.adm), fmt(ceased), why))
    elif closed and rec in ("E41", "E45", "E46", "E47", "E48"):
        ctx.add("permanence", (child.id, "", "", "", "", fmt(p.end), "CAO" if rec == "E41" else "SGO", "", ""))
    if adopted:
        couple = st.bern(0.85)
        sex = st.pick(Choice({"MF": 85, "MM": 8, "FF": 7})) if couple else ""
        status = (st.pick(Choice({"L0": 70, "L12": 8, "L11": 4, "L2": 18})) if couple else "L3")
        if sex in ("MM", "FF") and status == "L0":
            status = "L12"
        ctx.add(
            "ad1",
            (child.id, fmt(child.dob), fmt(p.adm), fmt(p.match), "1" if foster_care else "0",
             "2" if couple else "1", sex, status),
        )


def _no_pr(ctx, child: Child, p: PeriodSpec, ls_days, adopt_day: int, closed: bool) -> None:
    if p.route == RELINQ:
        end = adopt_day if adopt_day > 0 else (p.end if closed else None)
        ctx.add("no_parental_responsibility", (child.id, "RELINQUISHED", fmt(p.start), fmt(end)))
    elif "D1" in ls_days:
        ctx.add("no_parental_responsibility", (child.id, "FREEING_ORDER", fmt(ls_days["D1"]), fmt(p.end if closed else None)))


def _social_workers(ctx, child: Child, s: int, end_seen: int, closed: bool) -> None:
    # Social worker episodes exist from 2023-24 only; the writer drops the table before then.
    st = ctx.st
    day = s
    while day < end_seen:
        nxt = day + max(30, int(st.lognorm(270, 0.6)))
        if nxt < end_seen:
            end, reason = nxt, st.pick(D.SW_REASON)
        else:
            end, reason = (end_seen if closed else None), ""
        if end is None or year_of(end) >= SW_FIRST_YEAR:
            sw = f"SW{ctx.code}{st.int(1, ctx.sw_pool):04d}"
            ctx.add("social_worker_episodes", (child.id, sw, fmt(day), fmt(end), reason))
        day = nxt


def simulate_short_breaks(ctx: LAContext, child: Child, first: int, last: int) -> int:
    """A disabled child's series of short breaks: each break is its own period (LS V3/V4).

    Returns the number of breaks. Measures leave these children out; they are here so the
    pipeline has to recognise and exclude them.
    """
    st, E = ctx.st, ctx.extract_day
    ls = "V3" if st.bern(0.3) else "V4"
    pl = _new_placement(ctx, "K2" if st.bern(0.6) else "U6", 1, child.home_post, "PR1")
    day, n = first, 0
    limit = min(last, E, child.b18 - 6)
    while day <= limit:
        end = day + st.int(2, 5)
        closed = end <= E
        ctx.add(
            "episodes",
            (child.id, fmt(day), "S", ls, "N2", pl.place, pl.provider, fmt(end if closed else None),
             "E4A" if closed else "", "", child.home_post, pl.post, pl.urn),
        )
        n += 1
        day = end + st.int(40, 120)
    if n:
        _header(ctx, child, [PeriodSpec(first, first + 1, OTHER)], min(limit, E))
    return n
