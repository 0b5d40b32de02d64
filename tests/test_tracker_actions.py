"""The SPG's actions survive every rebuild (issue 17 point 1): the tracker's editable columns, the
import into the append-only store, carry-forward, hostile edits refused row by row, erasure."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import stat

import duckdb
import openpyxl
import pytest

from permanence.tracker.actions import (FIELDS, STATUSES, STORE_NAME, ImportRefused, actions_overdue, erase_child, import_workbook,
                                latest)
from permanence.tracker.workbook import COHORT_SHEETS, las_in, write_la_trackers, write_tracker
from tests.test_tracker import _writable_copy, built  # noqa: F401 - the module's one built warehouse

FULL_ID = re.compile(r"[0-9a-f]{64}")
SECRET = "Grandmother in Leeds"  # free text a manager types: never in a message


def _header(ws) -> list:
    return [c.value for c in ws[1]]


def _rows(ws) -> list[int]:
    return [r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value is not None]


def _cell(ws, row: int, header: str):
    return ws.cell(row=row, column=_header(ws).index(header) + 1)


def _busy_sheet(wb, least: int = 3) -> str:
    """The cohort sheet with the most children (the fixture's data decides which)."""
    title = max(COHORT_SHEETS.values(), key=lambda t: len(_rows(wb[t])))
    assert len(_rows(wb[title])) >= least, "the fixture has too few children in any cohort"
    return title


def _write(db, la, path, store):
    return write_tracker(db, path, la_code=la, actions=store)


def _edit(path, edits: dict[tuple[str | None, int], dict[str, object]], out=None):
    """Edit as a manager would: open in openpyxl, type into cells, save. Keys: (sheet or None for the
    busiest, nth data row); values: header -> value."""
    wb = openpyxl.load_workbook(path)
    busy = _busy_sheet(wb)
    for (title, nth), cells in edits.items():
        ws = wb[title or busy]
        row = _rows(ws)[nth]
        for header, value in cells.items():
            _cell(ws, row, header).value = value
    wb.save(out or path)
    return out or path


def _pseudonym(path, title, nth) -> str:
    wb = openpyxl.load_workbook(path)
    ws = wb[title or _busy_sheet(wb)]
    return _cell(ws, _rows(ws)[nth], "Pseudonym (full)").value


@pytest.fixture
def la_db(built):  # noqa: F811
    settings, drop, restricted = built
    return restricted, drop.la_code, las_in(restricted)


def _all_entries(store) -> list[tuple]:
    with duckdb.connect(str(store), read_only=True) as con:
        return con.execute("select * from entries order by seq").fetchall()


@pytest.mark.slow
def test_round_trip_carries_every_entry_forward_and_keeps_history(la_db, tmp_path, monkeypatch):
    db, la, las = la_db
    # the nightly's workbooks below are written by spawned workers, as a national run's are
    monkeypatch.setattr("permanence.tracker.workbook.POOL_FROM_LAS", 1)
    store = tmp_path / "restricted" / STORE_NAME
    first = _write(db, la, tmp_path / "t1.xlsx", store)
    wb = openpyxl.load_workbook(first)
    title = _busy_sheet(wb)
    header = _header(wb[title])
    for h in ("Barrier", "Next action", "Owner", "Due date", "Status", "Notes"):
        assert h in header and header.index(h) < header.index("Pseudonym (full)")
    assert all(_cell(wb[title], r, "Notes").value is None for r in _rows(wb[title]))  # nothing recorded yet
    # Excel's own guards on the typed columns: a status list, a real date
    rules = {dv.type: dv for dv in wb[title].data_validations.dataValidation}
    assert rules["list"].formula1 == '"' + ",".join(STATUSES) + '"' and "date" in rules
    status_col = openpyxl.utils.get_column_letter(header.index("Status") + 1)
    assert str(rules["list"].sqref).startswith(f"{status_col}2:")
    due = dt.datetime(2025, 1, 31)
    _edit(first, {(None, 0): {"Barrier": SECRET, "Next action": "Book the matching panel", "Owner": "TM West",
                              "Due date": due, "Status": "open"},
                  (None, 1): {"Notes": "needs a later hearing"}})
    job = import_workbook(store, first, las, "tester")
    assert (job.rows_read, job.appended) == (sum(len(_rows(wb[t])) for t in COHORT_SHEETS.values()), 2)
    assert stat.S_IMODE(store.stat().st_mode) == 0o600

    # the next tracker (the nightly's, from the restricted copy) carries the entries forward
    folder = store.parent
    [second] = [p for p in write_la_trackers(db, folder, workers=2) if la in p.name]
    wb2 = openpyxl.load_workbook(second)
    rows = {_cell(wb2[title], r, "Pseudonym (full)").value: r for r in _rows(wb2[title])}
    edited = _pseudonym(first, title, 0)
    r = rows[edited]
    assert [_cell(wb2[title], r, h).value for h in ("Barrier", "Next action", "Owner", "Due date", "Status")] == \
        [SECRET, "Book the matching panel", "TM West", due, "open"]
    assert _cell(wb2[title], r, "Due date").is_date
    assert _cell(wb2[title], rows[_pseudonym(first, title, 1)], "Notes").value == "needs a later hearing"

    # the same workbook again: nothing changed, nothing appended
    assert import_workbook(store, second, las, "tester").appended == 0
    before = _all_entries(store)
    _edit(second, {(title, 0): {"Status": "done"}})
    assert import_workbook(store, second, las, "chair").appended == 1
    after = _all_entries(store)
    assert after[:len(before)] == before and len(after) == len(before) + 1  # appended, nothing rewritten

    # a rebuild in which the child has left the cohort: no row, the history stays; back when they re-enter
    rebuilt = _writable_copy(db, tmp_path / "rebuilt.duckdb")
    with duckdb.connect(str(rebuilt)) as con:
        con.execute("delete from marts.spg_cohort_children where child_id = ?", [edited])
    gone = openpyxl.load_workbook(_write(rebuilt, la, tmp_path / "t3.xlsx", store))
    assert edited not in {_cell(gone[title], r, "Pseudonym (full)").value for r in _rows(gone[title])}
    assert len(_all_entries(store)) == len(after)
    back = openpyxl.load_workbook(_write(db, la, tmp_path / "t4.xlsx", store))
    r = {_cell(back[title], x, "Pseudonym (full)").value: x for x in _rows(back[title])}[edited]
    assert (_cell(back[title], r, "Barrier").value, _cell(back[title], r, "Status").value) == (SECRET, "done")


def _refused(store, path, las, **kw) -> ImportRefused:
    before = _all_entries(store) if store.exists() else []
    with pytest.raises(ImportRefused) as info:
        import_workbook(store, path, las, "tester", **kw)
    exc = info.value
    text = "\n".join([str(exc), exc.hint or "", *exc.problems])
    assert not FULL_ID.search(text) and SECRET not in text  # no full pseudonym, no typed text
    assert (_all_entries(store) if store.exists() else []) == before  # nothing recorded, nothing lost
    return exc


@pytest.fixture
def recorded(la_db, tmp_path):
    """A store holding one import, and a fresh tracker written from it to edit."""
    db, la, las = la_db
    store = tmp_path / STORE_NAME
    book = _write(db, la, tmp_path / "first.xlsx", store)
    _edit(book, {(None, 0): {"Barrier": SECRET, "Due date": dt.datetime(2025, 2, 1)}})
    assert import_workbook(store, book, las, "tester").appended == 1
    return db, la, las, store, _write(db, la, tmp_path / "next.xlsx", store)


HOSTILE = {
    "display id changed": ({"Child": "zzzzzzzz"}, r"row \d+, column 'Child': changed"),
    "pseudonym changed": ({"Pseudonym (full)": "0" * 64}, r"its children differ from those written"),
    "pseudonym deleted": ({"Pseudonym (full)": None}, r"row \d+, column 'Pseudonym \(full\)': changed or deleted"),
    "formula": ({"Notes": "=HYPERLINK(\"http://evil.example\",\"x\")"}, r"row \d+, column 'Notes': a formula"),
    "date as text": ({"Due date": "31/01/2025"}, r"row \d+, column 'Due date': date typed as text"),
    "unknown status": ({"Status": "sorted"}, r"row \d+, column 'Status': status not one of"),
    "another LA's row": ({"LA": "999"}, r"row \d+, column 'LA': another LA's row"),
    "pasted document": ({"Barrier": SECRET * 200}, r"row \d+, column 'Barrier': longer than 2000 characters"),
    "number as a date": ({"Due date": 45678}, r"row \d+, column 'Due date': not a date"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_cell_edits_are_refused_row_by_row(recorded, case):
    _db, _la, las, store, book = recorded
    cells, rule = HOSTILE[case]
    _edit(book, {(None, 1): {"Notes": SECRET, **cells}})
    exc = _refused(store, book, las)
    assert any(re.search(rule, p) for p in exc.problems), exc.problems
    assert "nothing was imported" in str(exc)


@pytest.mark.slow
def test_deleted_row_and_renamed_sheet_refused(recorded):
    _db, _la, las, store, book = recorded
    wb = openpyxl.load_workbook(book)
    title = _busy_sheet(wb)
    wb[title].delete_rows(_rows(wb[title])[-1])
    wb.save(book)
    exc = _refused(store, book, las)
    assert any("its children differ" in p and "row was deleted" in p for p in exc.problems), exc.problems
    wb = openpyxl.load_workbook(book)
    wb[title].title = SECRET  # a renamed sheet is named by position: its new name could be anything
    wb.save(book)
    exc = _refused(store, book, las)
    assert f"sheet {title!r}: missing (renamed or deleted?)" in exc.problems
    assert any(re.fullmatch(r"sheet \d+: not one of the tracker's sheets.*", p) for p in exc.problems)


def _set_property(book, name, value):
    wb = openpyxl.load_workbook(book)
    for p in wb.custom_doc_props.props:
        if p.name == f"permanence_{name}":
            p.value = value
    wb.save(book)


@pytest.mark.slow
def test_unknown_la_other_la_and_no_properties_refused(recorded, tmp_path):
    db, la, las, store, book = recorded
    other = next(x for x in las if x != la)
    exc = _refused(store, book, las, la_code=other)
    assert f"a workbook of LA {la}, not of LA {other}" in str(exc)
    _set_property(book, "la_code", "999")
    assert "unknown LA (999)" in str(_refused(store, book, las))
    plain = openpyxl.Workbook()
    plain.save(tmp_path / "plain.xlsx")
    assert "not an SPG tracker" in str(_refused(store, tmp_path / "plain.xlsx", las))
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    assert "not an Excel workbook" in str(_refused(store, tmp_path / "junk.xlsx", las))


@pytest.mark.slow
def test_older_workbook_after_newer_refused_unless_forced(recorded, tmp_path):
    db, la, las, store, newer = recorded
    older = tmp_path / "older.xlsx"
    shutil.copyfile(newer, older)
    _set_property(older, "generated_at", "2020-01-01T00:00:00.000000")
    _edit(newer, {(None, 1): {"Owner": "TM East"}})
    assert import_workbook(store, newer, las, "tester").appended == 1
    _edit(older, {(None, 2): {"Owner": "TM North"}})
    exc = _refused(store, older, las)
    assert "before the LA" in str(exc) and "--force" in exc.hint
    # forced: only what was edited in the older workbook is recorded, the newer edits stay latest
    job = import_workbook(store, older, las, "tester", force=True)
    assert job.forced and job.appended == 2  # row 0's barrier was recorded after 2020, so it reads as an edit
    owners = set(latest(store, la)["owner"].dropna())
    assert owners == {"TM East", "TM North"}


@pytest.mark.slow
def test_actions_overdue_counts_open_actions_past_due_on_d(recorded):
    db, la, las, store, book = recorded
    today = dt.date.today()
    soon = dt.datetime.combine(today + dt.timedelta(days=30), dt.time())
    _edit(book, {(None, 1): {"Due date": dt.datetime(2025, 3, 1), "Status": "done"},
                 (None, 2): {"Due date": soon, "Status": "in progress"}})
    import_workbook(store, book, las, "tester")
    # row 0: due 1 Feb 2025, blank status (open); row 1: done; row 2: due in 30 days
    assert actions_overdue(store, today, la) == {la: 1}
    assert actions_overdue(store, today + dt.timedelta(days=60)) == {la: 2}
    # entries as they stood on D: before any import the LA has no figure (absent, never a 0)
    assert actions_overdue(store, dt.date(2025, 5, 1)) == {}
    assert actions_overdue(store.with_name("none.duckdb"), today) == {}


@pytest.mark.slow
def test_erase_child_removes_entries_and_their_text_from_the_file(recorded):
    db, la, las, store, book = recorded
    with duckdb.connect(str(store), read_only=True) as con:
        [(child,)] = con.execute("select distinct child_id from entries where barrier is not null").fetchall()
    _edit(book, {(None, 1): {"Owner": "TM East"}})
    import_workbook(store, book, las, "tester")
    assert erase_child(store, la, child) == 1
    assert child not in set(latest(store)["child_id"]) and len(latest(store)) == 1
    data = store.read_bytes()
    assert SECRET.encode() not in data and child.encode() not in data
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert erase_child(store, la, child) == 0


def test_free_text_never_in_the_bi_copy(built):  # noqa: F811
    """The store is a file of its own in the restricted location: the BI copy has no such column."""
    settings, _drop, _restricted = built
    bi = settings.published_dir / settings.warehouse_path.name
    with duckdb.connect(str(bi), read_only=True) as con:
        cols = {r[0] for r in con.execute("select column_name from information_schema.columns").fetchall()}
    assert not cols & set(FIELDS) - {"status"}


@pytest.mark.slow
def test_cli_import_records_who_and_refuses_with_one_error_line(built, tmp_path):  # noqa: F811
    from typer.testing import CliRunner

    from permanence.cli import app

    settings, drop, restricted = built
    data = str(settings.data_dir)
    book = _write(restricted, drop.la_code, tmp_path / f"spg-tracker-{drop.la_code}.xlsx", None)
    _edit(book, {(None, 0): {"Next action": SECRET, "Owner": "TM West"}})
    res = CliRunner().invoke(app, ["tracker", "import", str(book), "--by", "A. Chair", "--data-dir", data])
    assert res.exit_code == 0, res.output
    assert "1 entries recorded" in res.output and SECRET not in res.output and not FULL_ID.search(res.output)
    store = settings.restricted_dir / STORE_NAME
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    with duckdb.connect(str(store), read_only=True) as con:
        by, sha = con.execute("select recorded_by, i.workbook_sha256 from entries e join imports i using (import_id)"
                              ).fetchone()
    assert by == "A. Chair" and len(sha) == 64
    # `permanence tracker` (the group's own command) still writes the workbooks, now with the entry
    res = CliRunner().invoke(app, ["tracker", "--la", drop.la_code, "--data-dir", data])
    assert res.exit_code == 0, res.output
    _edit(book, {(None, 0): {"Due date": "next Tuesday"}})
    res = CliRunner().invoke(app, ["tracker", "import", str(book), "--data-dir", data])
    lines = res.output.strip().splitlines()
    assert res.exit_code == 1 and lines[-2].startswith("error: ") and lines[-1].startswith("hint: ")
    assert any("column 'Due date': date typed as text" in x for x in lines[:-2])
    assert "Traceback" not in res.output and "next Tuesday" not in res.output
    res = CliRunner().invoke(app, ["tracker", "import", str(tmp_path / "none.xlsx"), "--data-dir", data])
    assert res.exit_code == 4 and "no such workbook" in res.output


def _cells(path) -> dict:
    wb = openpyxl.load_workbook(path)
    # the summary's notes carry the time the workbook was written
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows() if not
                       (isinstance(row[0].value, str) and row[0].value.startswith("SPG tracker for"))]
            for ws in wb.worksheets}


@pytest.mark.slow
def test_workbooks_written_by_workers_are_the_ones_written_in_process(la_db, tmp_path, monkeypatch):
    db, _la, las = la_db
    serial = write_la_trackers(db, tmp_path / "serial", workers=1)
    monkeypatch.setattr("permanence.tracker.workbook.POOL_FROM_LAS", 1)
    pooled = write_la_trackers(db, tmp_path / "pooled", workers=2)
    assert [p.name for p in pooled] == [p.name for p in serial] == [f"spg-tracker-{la}.xlsx" for la in las]
    for a, b in zip(serial, pooled):
        assert _cells(a) == _cells(b)
        assert stat.S_IMODE(b.stat().st_mode) == 0o600


def _generation(book) -> str:
    """The stamp each write of a workbook gets (permanence.tracker.actions.workbook_properties)."""
    return {p.name: p.value for p in openpyxl.load_workbook(book).custom_doc_props.props}["permanence_generation"]


@pytest.mark.slow
def test_a_nightly_workbook_is_rewritten_only_when_what_it_is_written_from_changed(la_db, tmp_path, monkeypatch):
    """A next night where one LA's load changed rewrites that LA's workbook, not every LA's: a
    workbook is kept while its rows, the actions carried into it, the tracker's code and the file
    itself are those of its last write."""
    from permanence.tracker.workbook import STATE_NAME

    db, la, las = la_db
    folder = tmp_path / "restricted"
    folder.mkdir(mode=0o700)
    store = folder / STORE_NAME
    written = write_la_trackers(db, folder, run_label="copy")
    stamps = {p.name: _generation(p) for p in written}
    times = {p.name: p.stat().st_mtime_ns for p in written}
    assert stat.S_IMODE((folder / STATE_NAME).stat().st_mode) == 0o600

    # nothing changed: every workbook kept, its time brought up to now (newer than the copy it reflects)
    again = write_la_trackers(db, folder, run_label="copy")
    assert [p.name for p in again] == [p.name for p in written]
    assert {p.name: _generation(p) for p in again} == stamps
    assert all(p.stat().st_mtime_ns > times[p.name] for p in again)

    # the SPG's entries for one LA imported: that LA's workbook carries them, the others are kept
    mine = folder / f"spg-tracker-{la}.xlsx"
    edited = _edit(shutil.copy(mine, tmp_path / "meeting.xlsx"), {(None, 0): {"Next action": "Book the panel"}})
    import_workbook(store, edited, las, "tester")
    third = {p.name: _generation(p) for p in write_la_trackers(db, folder, run_label="copy")}
    assert third[mine.name] != stamps[mine.name]
    assert {n: g for n, g in third.items() if n != mine.name} == {n: g for n, g in stamps.items() if n != mine.name}

    # a workbook opened and saved where it lies is the nightly's again by the next run
    other = folder / f"spg-tracker-{next(x for x in las if x != la)}.xlsx"
    _edit(other, {(None, 0): {"Notes": "typed into the nightly copy"}})
    fourth = {p.name: _generation(p) for p in write_la_trackers(db, folder, run_label="copy")}
    assert fourth[other.name] != third[other.name] and fourth[mine.name] == third[mine.name]

    # other tracker code, or another copy named in the workbook: every workbook written again
    monkeypatch.setattr("permanence.tracker.workbook._code_key", lambda: "another version")
    fifth = {p.name: _generation(p) for p in write_la_trackers(db, folder, run_label="copy")}
    assert all(fifth[n] != fourth[n] for n in fifth)
    monkeypatch.undo()
    (folder / STATE_NAME).write_text("not json")  # unreadable: written, never trusted
    sixth = {p.name: _generation(p) for p in write_la_trackers(db, folder, run_label="copy")}
    assert all(sixth[n] != fifth[n] for n in sixth)
