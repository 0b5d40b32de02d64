"""An SPG meeting run from the tracker for three months of nightly drops (issue 17, "Done when").

One LA's careers are generated once and cut as the CMS would have extracted them at three month
ends (permanence.synth.returns.write_extract_at): `generate_region` with a later extract date draws
another population, so the same children's careers continue only through the cut. Each month the
real nightly path loads the drop and writes the LA's tracker; a chair edits it in Excel and imports
it with `permanence tracker import`; the next month's tracker must carry every latest entry forward.
The meetings happen on a simulated clock (the tenth of the next month), so the quarterly report's
actions overdue judges the entries as they stood at the quarter's end, as it would in service.
"""

from __future__ import annotations

import csv
import datetime as dt
import types
from pathlib import Path
from unittest import mock

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from flows import nightly as f
from permanence.tracker import actions
from permanence.tracker.actions import CLOSED, FIELDS, STORE_NAME
from permanence.cli import app
from permanence.config import Settings
from permanence.report import build_report
from permanence.synth import generate_region
from permanence.synth.returns import _EXTRAS, write_extract_at
from permanence.tracker.workbook import COHORT_SHEETS
from tests.pipeline_helpers import ingest

MONTH_ENDS = [dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 3, 31)]
QUARTER = "2024-25-Q4"  # January to March 2025: the three months
HEADERS = dict(zip(FIELDS, ["Barrier", "Next action", "Owner", "Due date", "Status", "Notes"]))
COHORT_OF = {title: cohort for cohort, title in COHORT_SHEETS.items()}


class _ClockType(type):
    def __instancecheck__(cls, obj):  # the store's own isinstance checks still see real datetimes
        return isinstance(obj, dt.datetime)


class _Clock(dt.datetime, metaclass=_ClockType):
    """datetime whose now() is the meeting's day; everything else is the real datetime's."""

    at = dt.datetime(2025, 1, 1)

    @classmethod
    def now(cls, tz=None):
        return cls.at

    @classmethod
    def fromisoformat(cls, text):
        return dt.datetime.fromisoformat(text)

    @classmethod
    def combine(cls, *args, **kwargs):
        return dt.datetime.combine(*args, **kwargs)


def _at(when: dt.datetime) -> None:
    _Clock.at = when


def _nightly(settings: Settings, drop: str, la: str):
    """The nightly flow's steps for one drop, through the tracker it writes after publishing."""
    runs = ingest(settings, [(drop, la)])
    f.transform.fn(settings, runs, None)
    f.checks.fn(settings, runs)
    published = f.publish.fn(settings, runs)
    assert [r.status for r in runs] == ["published"], [r.message for r in runs]
    f.tracker.fn(settings, published, runs)
    return runs


def _header(ws) -> list:
    return [c.value for c in ws[1]]


def _sheet_rows(ws) -> dict[str, int]:
    """pseudonym -> row number, for one cohort sheet."""
    col = _header(ws).index("Pseudonym (full)") + 1
    return {ws.cell(r, col).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value is not None}


def _values(ws, row: int) -> dict:
    header = _header(ws)
    return {field: ws.cell(row, header.index(h) + 1).value for field, h in HEADERS.items()}


def _memberships(path) -> dict[tuple[str, int], dict]:
    """(pseudonym, cohort) -> the editable values of its row, over every cohort sheet."""
    wb = openpyxl.load_workbook(path)
    return {(child, COHORT_OF[title]): _values(wb[title], row)
            for title in COHORT_SHEETS.values() for child, row in _sheet_rows(wb[title]).items()}


def _edit(path, edits: dict[tuple[str, int], dict]) -> None:
    """Type into the workbook as a chair would: openpyxl, the named cells, save."""
    wb = openpyxl.load_workbook(path)
    for (child, cohort), cells in edits.items():
        ws = wb[COHORT_SHEETS[cohort]]
        row, header = _sheet_rows(ws)[child], _header(ws)
        for field, value in cells.items():
            ws.cell(row, header.index(HEADERS[field]) + 1).value = value
    wb.save(path)


def _import(settings: Settings, path, by: str) -> str:
    res = CliRunner().invoke(app, ["tracker", "import", str(path), "--by", by, "--data-dir", str(settings.data_dir)])
    assert res.exit_code == 0, res.output
    return res.output


def _entries(store) -> list[tuple]:
    with duckdb.connect(str(store), read_only=True) as con:
        return con.execute(f"select child_id, cohort_id, {', '.join(FIELDS)}, recorded_by, recorded_at "
                           "from entries order by seq").fetchall()


def _blank_row() -> dict:
    return dict.fromkeys(FIELDS)


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """One LA's careers to 31 March 2025 (3 years, a few dozen children), cut at each month end."""
    tmp = tmp_path_factory.mktemp("spg-meeting")
    (full,) = generate_region(tmp / "full", las=1, children=60, years=3, seed=11, extract_date=MONTH_ENDS[-1])
    assert 40 <= full.children <= 120, full.children  # small, so three builds stay quick
    return full.la_code, [str(write_extract_at(full.path, tmp / f"{d:%Y-%m}" / full.la_code, d, extras=True))
                          for d in MONTH_ENDS]


def _extras(folder: Path) -> dict[str, list[dict]]:
    return {p.stem.removeprefix("ssd_"): list(csv.DictReader(p.open(encoding="utf-8")))
            for p in sorted(Path(folder).glob("ssd_*.csv"))}


def _day(text: str) -> dt.date | None:
    return dt.datetime.strptime(text, "%d/%m/%Y").date() if text else None


def test_a_month_end_cut_holds_the_extras_as_known_on_that_day(tmp_path):
    (full,) = generate_region(tmp_path / "full", las=1, children=30, years=3, seed=11, extract_date=MONTH_ENDS[-1])
    whole = _extras(full.path)
    assert set(whole) == set(_EXTRAS)
    assert _extras(write_extract_at(full.path, tmp_path / "end", MONTH_ENDS[-1], extras=True)) == whole
    early = _extras(write_extract_at(full.path, tmp_path / "early", MONTH_ENDS[0], extras=True))
    blanked = dropped = 0
    for name, rows in early.items():
        known, later = _EXTRAS[name]
        for row in rows:
            assert all(_day(v) is None or _day(v) <= MONTH_ENDS[0] for k, v in row.items() if k.endswith("_date")), name
            # the same row of the full extract, with only what happened later left blank
            [same] = [w for w in whole[name] if all(row[k] in ("", w[k]) for k in row)]
            blanked += sum(row[k] != same[k] for k in row)
            assert all(not row[k] or row[k] == same[k] for k in row)
            for column, with_it in later.items():
                if not row[column] and same[column]:
                    assert _day(same[column]) > MONTH_ENDS[0] and all(not row[c] for c in with_it)
        dropped += len(whole[name]) - len(rows)
    assert blanked and dropped, "the cut changed nothing: the test would not see a wrong cut"


@pytest.mark.slow
def test_an_spg_meeting_runs_from_the_tracker_for_three_months(months, tmp_path):
    la, drops = months
    settings = Settings(data_dir=tmp_path / "data")
    tracker = settings.restricted_dir / f"spg-tracker-{la}.xlsx"
    store = settings.restricted_dir / STORE_NAME
    ledger: list[tuple[tuple[str, int], dict, dt.datetime, str]] = []  # what the chairs typed, in order

    def latest(before: dt.datetime) -> dict[tuple[str, int], dict]:
        out: dict[tuple[str, int], dict] = {}
        for key, values, when, _by in ledger:
            if when <= before:
                out[key] = {**out.get(key, _blank_row()), **values}
        return out

    seen: list[dict] = []  # each month's memberships, as its tracker showed them
    kept: list[tuple] = []  # the store after the last import
    with mock.patch.object(actions, "dt", types.SimpleNamespace(datetime=_Clock, date=dt.date, time=dt.time)):
        for month, (end, drop) in enumerate(zip(MONTH_ENDS, drops), start=1):
            _at(dt.datetime.combine(end + dt.timedelta(days=1), dt.time(2, 0)))  # the nightly after the month end
            _nightly(settings, drop, la)
            rows = _memberships(tracker)
            assert rows, f"month {month}: no child in any cohort"
            seen.append(rows)
            # every row shows the latest entry recorded for its child and cohort, or nothing
            recorded = latest(_Clock.at)
            for key, values in rows.items():
                want = recorded.get(key, _blank_row())
                assert values == want, f"month {month}, cohort {key[1]}: the tracker lost or changed an entry"
            assert any(key in rows for key in recorded) or month == 1, "no edited child is in any cohort"

            meeting = dt.datetime.combine(end + dt.timedelta(days=10), dt.time(10, 0))
            _at(meeting)
            if month == 1:
                # the busiest cohort's first three children get an action each
                busiest = max(COHORT_SHEETS, key=lambda c: sum(1 for k in rows if k[1] == c))
                chosen = sorted(k for k in rows if k[1] == busiest)[:3]
                assert len(chosen) == 3, "too few children in any cohort for the meeting"
                edits = {
                    chosen[0]: {"barrier": "Court date awaited", "next_action": "Book the matching panel",
                                "owner": "TM West", "due_date": dt.datetime(2025, 2, 14), "status": "open"},
                    chosen[1]: {"next_action": "Life story work", "owner": "SW North",
                                "due_date": dt.datetime(2025, 2, 21), "status": "open"},
                    chosen[2]: {"next_action": "Review the plan", "owner": "IRO", "due_date": dt.datetime(2025, 4, 30),
                                "notes": "waiting for the assessment"},
                    # and every child on a placement order a note: an adoption takes one out of the cohort
                    **{k: {"notes": "Placement order reviewed"} for k in rows if k[1] == 2 and k not in chosen},
                }
            elif month == 2:
                # one action updated, one closed: of month 1's children still in their cohort
                still = [k for k, _v, _w, _b in ledger if k in rows]
                assert len(still) >= 2, "month 1's edited children all left their cohort: pick another seed"
                edits = {still[0]: {"next_action": "Matching panel booked; prepare the report", "status": "in progress",
                                    "due_date": dt.datetime(2025, 3, 21)},
                         still[1]: {"status": "done"}}
            else:
                # a new action after the quarter's end: not in the quarter's overdue count
                fresh = sorted(k for k in rows if k not in {k for k, *_ in ledger})[0]
                edits = {fresh: {"next_action": "Agree the SGO assessment", "owner": "TM East",
                                 "due_date": dt.datetime(2025, 3, 1), "status": "open"}}
            _edit(tracker, edits)
            by = f"Chair {month}"
            out = _import(settings, tracker, by)
            assert f"{len(edits)} entries recorded" in out, out
            ledger.extend((key, values, meeting, by) for key, values in edits.items())
            now = _entries(store)
            assert now[:len(kept)] == kept and len(now) == len(ledger), "an import rewrote or lost an entry"
            kept = now

    # a child who left a cohort kept their entries: the store holds every entry ever imported, in order
    entries = _entries(store)
    assert len(entries) == len(ledger)
    assert [e[-1] for e in entries] == sorted(e[-1] for e in entries)  # appended meeting after meeting
    running: dict[tuple[str, int], dict] = {}
    want = []
    for key, values, when, by in ledger:
        running[key] = {**running.get(key, _blank_row()), **values}
        row = running[key]
        want.append((*key, *(row[fld].date() if fld == "due_date" and row[fld] else row[fld] for fld in FIELDS), by, when))
    # within one import the store follows the workbook's row order
    assert sorted(entries, key=lambda e: (e[-1], e[0], e[1])) == sorted(want, key=lambda e: (e[-1], e[0], e[1]))
    # among them a child who left their cohort (one who re-entered would have had their row back:
    # every row of every month was checked above)
    left = {k for k, *_ in ledger if k not in seen[-1]}
    assert left, "no edited child left a cohort: the history of one who left is not tested"
    assert left <= {(c, co) for c, co, *_ in entries}

    # the quarterly report: movement, drift, actions overdue (as the entries stood on 31 March) and cost
    restricted = settings.restricted_dir / settings.warehouse_path.name
    quarter_end = dt.datetime.combine(MONTH_ENDS[-1], dt.time.max)
    due = [v for v in latest(quarter_end).values()
           if v["due_date"] and v["due_date"].date() < MONTH_ENDS[-1] and (v["status"] or "open") not in CLOSED]
    assert due, "no action overdue at the quarter's end: the section would not be tested"
    pages = {t: build_report(restricted, QUARTER, tmp_path / f"report-{t}", la_code=la, pdf=False,
                             small_number_threshold=t)[0].read_text() for t in (0, 5)}
    page = pages[5]

    def cut(p, a, b):
        return p[p.index(f"<h2>{a}</h2>"):p.index(f"<h2>{b}</h2>")]

    movement = cut(page, "Movement between the SPG cohorts", "Drift watchlist")
    with duckdb.connect(str(restricted), read_only=True) as con:
        reasons = {r for (r,) in con.execute(
            """select distinct reason from marts.spg_cohort_movement where la_code = ? and movement <> 'not available'
               and to_date between '2025-01-01' and '2025-03-31'""", [la]).fetchall()}
        rules = {r for (r,) in con.execute("select rule from marts.spg_drift_watchlist_summary where la_code = ?",
                                           [la]).fetchall()}
    assert reasons and all(f">{r}<" in movement for r in reasons), reasons
    watch = cut(page, "Drift watchlist", "SPG actions overdue")
    assert rules and all(r in watch for r in rules), rules
    # the drops carry the CMS extras as known each month: every cohort and rule can be counted
    assert "not available" not in movement and "not available" not in watch
    overdue = {t: cut(pages[t], "SPG actions overdue", "Placement cost and cost avoided (budget scrutiny)") for t in pages}
    assert "not available" not in overdue[5] and "31/03/2025" in overdue[5]
    assert f"<strong>{len(due)}</strong>" in overdue[0]
    assert f"<strong>{'c' if len(due) <= 5 else len(due)}</strong>" in overdue[5]
    cost = cut(page, "Placement cost and cost avoided (budget scrutiny)", "How children leave care")
    assert "ILLUSTRATIVE" in cost and "Year to date" in cost
