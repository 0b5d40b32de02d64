"""The SPG tracker workbook: no formulas ever, one LA per workbook, short display ids, labels beside
codes, dates as dates, RAG fills, a table per sheet, set up to print, CMS id only on request."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import time
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from openpyxl.utils import get_column_letter

from permanence.config import Settings
from permanence.contract import codelists, labels
from permanence.synth import generate_region
from permanence.tracker.workbook import COHORT_SHEETS, COLUMNS, REVEAL_WARNING, display_ids, reveal_map, write_tracker
from tests.pipeline_helpers import run_drops

KEY = "dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98"
HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1:A2)", "=1+1"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tracker")
    # two LAs in one warehouse: the tracker must keep them apart (one workbook each)
    drop, other = generate_region(tmp / "region", las=2, children=60, years=2, seed=9)
    settings = Settings(data_dir=tmp / "data")
    runs = run_drops(settings, [(str(d.path), d.la_code) for d in (drop, other)], key=KEY.encode())
    assert [r.status for r in runs] == ["published", "published"]
    # child-level marts (spg_cohort_children) are in the restricted copy only (permanence.publish.tiers)
    return settings, drop, settings.restricted_dir / settings.warehouse_path.name


def _writable_copy(restricted, db):
    """A copy of the test build's restricted copy (read-only, 0400) that a fixture may alter."""
    shutil.copyfile(restricted, db)
    db.chmod(0o644)
    return db


@pytest.fixture
def hostile_db(built, tmp_path):
    _settings, _drop, published = built
    db = _writable_copy(published, tmp_path / "hostile.duckdb")
    with duckdb.connect(str(db)) as con:
        ids = [r[0] for r in con.execute("select rowid from marts.spg_cohort_children order by rowid limit 5").fetchall()]
        for rid, text in zip(ids, HOSTILE):
            con.execute("update marts.spg_cohort_children set cohort_detail = ?, permanence_plan = ?, legal_status = ? "
                        "where rowid = ?", [text, text, text, rid])
    return db


def _width(ws, col: int) -> float:
    # adjacent equal widths are stored as one <col min max> range, which openpyxl keys by its first letter
    return next(d.width for d in ws.column_dimensions.values() if d.min <= col <= d.max)


def _cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


@pytest.mark.slow
def test_no_formulas_hostile_text_stays_text(hostile_db, tmp_path):
    out = write_tracker(hostile_db, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", *COHORT_SHEETS.values()]
    cells = list(_cells(wb))
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert set(HOSTILE) <= texts
    for c in cells:
        if c.value in HOSTILE:
            assert c.data_type == "s"
    assert not list(tmp_path.glob(".*.tmp"))  # written beside out, then replaced atomically
    # and in the file itself: no <f> formula element anywhere
    import zipfile

    with zipfile.ZipFile(out) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)


def _table(ws):
    [table] = ws.tables.values()
    return table


def _header(ws) -> list:
    return [c.value for c in ws[1]]


def _rows(ws) -> list[dict]:
    """The table's data rows as dicts by header (blank rows of an empty table left out)."""
    header = _header(ws)
    return [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in r)]


def _las(db) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute("select distinct la_code from marts.spg_cohort_children order by 1").fetchall()]


@pytest.mark.slow
def test_layout_dates_frozen_tables_and_one_la(built, tmp_path):
    settings, drop, published = built
    assert len(_las(published)) == 2  # the fixture must hold two LAs, or "one LA" proves nothing
    out = write_tracker(published, tmp_path / "t.xlsx", la_code=drop.la_code)
    wb = openpyxl.load_workbook(out)
    with duckdb.connect(str(published), read_only=True) as con:
        expected = dict(con.execute("select cohort_id, count(*) from marts.spg_cohort_children where la_code = ? "
                                    "group by 1", [drop.la_code]).fetchall())
    assert sum(expected.values()) > 0
    last = get_column_letter(len(COLUMNS))
    for cid, title in COHORT_SHEETS.items():
        ws = wb[title]
        assert ws.freeze_panes == "B2"
        rows = _rows(ws)
        assert len(rows) == expected.get(cid, 0)
        assert {r["LA"] for r in rows} <= {drop.la_code}
        assert _header(ws) == [h for h, _c, _k, _w in COLUMNS]
        # an Excel table over the header and every row (an empty cohort keeps one blank row), with filters
        table = _table(ws)
        assert table.ref == f"A1:{last}{max(len(rows), 1) + 1}" and table.autoFilter is not None
        assert [c.name for c in table.tableColumns] == _header(ws)
        h = ws["A1"]
        assert h.font.b and h.font.color.rgb[-6:] == "FFFFFF" and h.fill.fgColor.rgb[-6:] == "1F4E79" and h.alignment.wrap_text
        assert ws.row_dimensions[1].height == pytest.approx(32, abs=0.5)
        assert [_width(ws, i) for i in range(1, len(COLUMNS) + 1)] == pytest.approx([w for *_x, w in COLUMNS], abs=1)
        header = _header(ws)
        if rows:
            col = header.index("In condition since") + 1
            v = ws.cell(row=2, column=col)
            assert isinstance(v.value, dt.datetime) and v.is_date and v.number_format == "dd/mm/yyyy"
            days = ws.cell(row=2, column=header.index("Days in condition") + 1).value
            assert isinstance(days, int) and days >= 0
            assert isinstance(ws.cell(row=2, column=1).value, str)
        # blanks stay empty cells, never "nan"/"None"/"NaT" text
        assert not {c.value for row in ws.iter_rows(min_row=2) for c in row} & {"nan", "None", "NaT", "<NA>", ""}
    summary = wb["Summary"]
    assert _header(summary) == ["LA", "As at", "Cohort", "Cohort name", "Children", "Target",
                                "Target date", "Status (RAG)", "Coverage note"]
    assert summary.freeze_panes == "B2"
    assert {r["LA"] for r in _rows(summary) if r["Cohort"] is not None} == {drop.la_code}
    table = _table(summary)
    table_rows = int(table.ref.split(":I")[1])
    assert table_rows >= 7
    assert str(summary.cell(row=table_rows + 2, column=1).value).startswith(f"SPG tracker for LA {drop.la_code}, generated")
    assert summary.cell(row=table_rows + 5, column=1).value == "Children are identified by pseudonym."
    assert summary["B2"].is_date and isinstance(summary["C2"].value, int) and isinstance(summary["E2"].value, int)


@pytest.mark.slow
def test_print_setup_landscape_one_page_wide_header_repeated(built, tmp_path):
    _settings, drop, published = built
    wb = openpyxl.load_workbook(write_tracker(published, tmp_path / "t.xlsx", la_code=drop.la_code))
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        # fitToWidth absent is 1 (the OOXML default); fitToHeight 0: as many pages long as needed
        assert (int(ws.page_setup.fitToWidth or 1), int(ws.page_setup.fitToHeight)) == (1, 0)
        assert ws.print_title_rows == "$1:$1"
        assert drop.la_code in ws.oddHeader.left.text and "&P" in ws.oddFooter.right.text


@pytest.mark.slow
def test_display_id_short_unique_full_pseudonym_in_a_hidden_column(built, tmp_path):
    _settings, drop, published = built
    wb = openpyxl.load_workbook(write_tracker(published, tmp_path / "t.xlsx", la_code=drop.la_code))
    shown: dict[str, str] = {}
    for title in COHORT_SHEETS.values():
        ws = wb[title]
        full = _header(ws).index("Pseudonym (full)") + 1
        assert ws.column_dimensions[get_column_letter(full)].hidden
        assert not ws.column_dimensions["A"].hidden
        for r in _rows(ws):
            pseudonym, display = r["Pseudonym (full)"], r["Child"]
            assert len(pseudonym) == 64 and pseudonym.startswith(display) and 8 <= len(display) < 64
            assert shown.setdefault(pseudonym, display) == display  # the same child reads the same on every sheet
    assert shown and len(set(shown.values())) == len(shown)  # one display id per child in the workbook


def test_display_ids_lengthen_only_where_two_collide():
    a, b = "abcdef0123" + "0" * 54, "abcdef0124" + "0" * 54  # share 9 characters
    c, d = "12345678" + "a" * 56, "12345679" + "a" * 56
    ids = display_ids([a, b, c, d, a])
    assert ids == {a: a[:10], b: b[:10], c: c[:8], d: d[:8]}
    assert display_ids([c]) == {c: c[:8]}
    assert len(set(display_ids([f"{i:064x}" for i in range(5000)]).values())) == 5000


def test_dates_are_the_serials_write_datetime_makes(tmp_path):
    """Dates go in as numbers in the date format (_excel_serials): the cells write_datetime would make,
    Excel's 1900 quirks and times of day included."""
    import xlsxwriter
    import pandas as pd

    from permanence.tracker.workbook import _excel_serials

    days = [dt.datetime(1899, 12, 31), dt.datetime(1900, 1, 1, 6), dt.datetime(1900, 2, 28), dt.datetime(1900, 3, 1),
            dt.datetime(1969, 7, 20, 20, 17, 40, 123456), dt.datetime(2024, 2, 29), dt.datetime(2025, 12, 31, 23, 59, 59)]
    serials = _excel_serials(pd.Series([*days, None], dtype="datetime64[us]"))
    assert serials[-1] is None
    books = {}
    for how in ("datetime", "serial"):
        wb = xlsxwriter.Workbook(str(tmp_path / f"{how}.xlsx"), {"in_memory": True})
        ws, fmt = wb.add_worksheet(), wb.add_format({"num_format": "dd/mm/yyyy"})
        for r, (day, serial) in enumerate(zip(days, serials)):
            ws.write_datetime(r, 0, day, fmt) if how == "datetime" else ws.write_number(r, 0, serial, fmt)
        wb.close()
        with zipfile.ZipFile(tmp_path / f"{how}.xlsx") as z:
            books[how] = z.read("xl/worksheets/sheet1.xml")
    assert books["serial"] == books["datetime"]


def test_labels_cover_every_code_the_tracker_shows():
    """Each code list the tracker labels has a label for every code the contract allows, and no others."""
    for name in ("LS", "PLACE", "PLACE_PROVIDER", "PERMANENCE_PLAN"):
        assert set(labels()[name]) == set(codelists()[name].all_codes), name
        assert all(text.strip() and text != code for code, text in labels()[name].items())


@pytest.mark.slow
def test_labels_beside_codes(built, tmp_path):
    _settings, drop, published = built
    wb = openpyxl.load_workbook(write_tracker(published, tmp_path / "t.xlsx", la_code=drop.la_code))
    pairs = {"Legal status": "LS", "Placement": "PLACE", "Provider": "PLACE_PROVIDER", "Permanence plan": "PERMANENCE_PLAN"}
    seen = set()
    for title in COHORT_SHEETS.values():
        ws = wb[title]
        header = _header(ws)
        for code_col, codelist in pairs.items():
            assert header.index(f"{code_col} (label)") == header.index(code_col) + 1  # beside, not instead
            for r in _rows(ws):
                code = r[code_col]
                assert r[f"{code_col} (label)"] == (labels()[codelist][code] if code is not None else None)
                if code is not None:
                    seen.add(code_col)
    assert {"Legal status", "Placement"} <= seen  # the data had codes to label


@pytest.fixture
def targets_db(built, tmp_path):
    """The restricted copy with a RAG status for each of cohorts 1-4 of the first LA."""
    _settings, drop, published = built
    db = _writable_copy(published, tmp_path / "targets.duckdb")
    rows = [(1, "2024-12-31", "green"), (2, "2025-03-31", "amber"), (3, "2024-25", "red"), (4, "2025-03-31", "no data")]
    with duckdb.connect(str(db)) as con:
        kind = con.execute("select table_type from information_schema.tables where table_schema = 'marts' "
                           "and table_name = 'targets'").fetchone()
        if kind:
            con.execute(f"drop {'view' if kind[0] == 'VIEW' else 'table'} marts.targets")
        con.execute("create table marts.targets (la_code varchar, measure varchar, period varchar, "
                    "target double, status varchar)")
        for cid, period, status in rows:
            con.execute("insert into marts.targets values (?, ?, ?, ?, ?)",
                        [drop.la_code, f"cohort_{cid}_children", period, 3.0, status])
    return db, drop


@pytest.mark.slow
def test_rag_status_filled_and_target_date_a_date(targets_db, tmp_path):
    db, drop = targets_db
    wb = openpyxl.load_workbook(write_tracker(db, tmp_path / "t.xlsx", la_code=drop.la_code))
    ws = wb["Summary"]
    header = _header(ws)
    status_col, date_col = header.index("Status (RAG)") + 1, header.index("Target date") + 1
    by_cohort = {ws.cell(row=r, column=3).value: r for r in range(2, 8)}
    fills = {}
    for cid, r in by_cohort.items():
        cell = ws.cell(row=r, column=status_col)
        fills[cell.value] = (cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else None)
    assert fills == {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "no data": None, "not available": None}
    d = ws.cell(row=by_cohort[1], column=date_col)
    assert d.is_date and d.value == dt.datetime(2024, 12, 31) and d.number_format == "dd/mm/yyyy"
    assert ws.cell(row=by_cohort[3], column=date_col).value == "2024-25"  # a collection year stays as written


@pytest.mark.slow
def test_cms_ids_only_when_revealed(built, tmp_path):
    settings, drop, published = built
    mapping = reveal_map(KEY.encode(), drop.path, drop.la_code)
    out = write_tracker(published, tmp_path / "t.xlsx", la_code=drop.la_code, reveal=mapping)
    wb = openpyxl.load_workbook(out)
    ws = wb["4 Foster carers 12m+"]
    header = _header(ws)
    assert header[1] == "CMS id"
    rows = _rows(ws)
    assert rows and all(r["CMS id"] == mapping[r["Pseudonym (full)"]] for r in rows)
    assert REVEAL_WARNING in [c.value for c in wb["Summary"]["A"]]
    assert _width(ws, 2) == pytest.approx(14, abs=1)
    assert "PERSONAL DATA" in ws.oddHeader.left.text  # on every printed page too


@pytest.mark.slow
def test_cli_writes_one_workbook_per_la(built):
    from typer.testing import CliRunner

    from permanence.cli import app

    settings, _drop, published = built
    las = _las(published)
    res = CliRunner().invoke(app, ["tracker", "--data-dir", str(settings.data_dir)])
    assert res.exit_code == 0, res.output
    paths = [Path(line.split("SPG tracker: ", 1)[1].strip()) for line in res.output.splitlines() if "SPG tracker: " in line]
    assert len(paths) == len(las) == 2
    for la, path in zip(las, paths):
        assert la in path.name and path.parent == settings.restricted_dir
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        wb = openpyxl.load_workbook(path)
        assert {r["LA"] for title in COHORT_SHEETS.values() for r in _rows(wb[title])} == {la}
    # --out names one workbook: with two LAs it needs --la
    res = CliRunner().invoke(app, ["tracker", "--out", str(settings.restricted_dir / "x.xlsx"),
                                   "--data-dir", str(settings.data_dir)])
    assert res.exit_code == 4 and "--la" in res.output and not (settings.restricted_dir / "x.xlsx").exists()


def test_cli_refuses_reveal_without_drop(tmp_path):
    from typer.testing import CliRunner

    from permanence.cli import app

    db = tmp_path / "data" / "restricted" / "permanence.duckdb"
    db.parent.mkdir(parents=True)
    duckdb.connect(str(db)).close()
    res = CliRunner().invoke(app, ["tracker", "--reveal-ids", "--data-dir", str(tmp_path / "data")])
    assert res.exit_code == 4 and "--ids-from" in res.output


def tracker_las(settings) -> list[str]:
    from permanence.tracker.workbook import las_in

    return las_in(settings.restricted_dir / settings.warehouse_path.name)


def test_nightly_tracker_is_written_to_the_restricted_location(built):
    from flows.nightly import tracker

    settings, _drop, restricted = built
    stale = settings.restricted_dir / "spg-tracker.xlsx"  # an earlier version's all-LA workbook
    stale.write_bytes(b"x")
    paths = tracker.fn(settings, settings.published_dir / settings.warehouse_path.name)
    las = sorted({p.name for p in paths})
    assert len(paths) >= 2 and las == [f"spg-tracker-{la}.xlsx" for la in tracker_las(settings)]
    assert all(p.parent == settings.restricted_dir and stat.S_IMODE(p.stat().st_mode) == 0o600 for p in paths)
    assert not stale.exists()
    assert stat.S_IMODE(settings.restricted_dir.stat().st_mode) == 0o700
    assert not list(settings.published_dir.glob("*.xlsx"))  # nothing child-level in the BI share


def test_reveal_goes_to_the_restricted_location_only_private_audited_and_expired(built):
    """The attack: `tracker --reveal-ids` writing the CMS-id workbook into the BI share, readable, forever."""
    from typer.testing import CliRunner

    from permanence.cli import app
    from permanence.publish.tiers import os_user, reveal_dir

    settings, drop, _restricted = built
    data = str(settings.data_dir)
    reveal = ["tracker", "--reveal-ids", "--la", drop.la_code, "--ids-from", str(drop.path), "--key", KEY,
              "--data-dir", data]
    into_bi = settings.published_dir / "ids.xlsx"
    res = CliRunner().invoke(app, [*reveal, "--out", str(into_bi)])
    assert res.exit_code == 4 and not into_bi.exists()  # 4: usage
    assert "error:" in res.output and "only into the restricted location" in res.output and "hint:" in res.output

    res = CliRunner().invoke(app, reveal)
    assert res.exit_code == 0, res.output
    [workbook] = list(reveal_dir(settings).iterdir())
    assert stat.S_IMODE(workbook.stat().st_mode) == 0o600
    assert stat.S_IMODE(reveal_dir(settings).stat().st_mode) == 0o700
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        [row] = con.execute("select os_user, la_code, rows_revealed, file_name, expires_on, revealed_at "
                            "from audit.reveal_ids").fetchall()
    assert row[:2] == (os_user(), drop.la_code) and row[2] > 0 and row[3] == workbook.name
    assert row[4] == (row[5] + dt.timedelta(days=settings.reveal_retention_days)).date()

    # older than the retention: removed at the next tracker call (or nightly run)
    old = time.time() - (settings.reveal_retention_days + 1) * 86400
    os.utime(workbook, (old, old))
    res = CliRunner().invoke(app, ["tracker", "--data-dir", data])
    assert res.exit_code == 0, res.output
    assert not workbook.exists() and f"removed expired reveal workbook {workbook.name}" in res.output


def test_tracker_from_the_bi_copy_fails_with_one_line(built):
    """The BI copy has no child-level mart to list children from: a clear refusal, not a traceback."""
    from typer.testing import CliRunner

    from permanence.cli import app

    settings, _drop, _restricted = built
    bi_copy = settings.published_dir / settings.warehouse_path.name
    res = CliRunner().invoke(app, ["tracker", "--warehouse", str(bi_copy), "--data-dir", str(settings.data_dir)])
    assert res.exit_code == 4
    assert "error:" in res.output and "aggregate marts only" in res.output and "hint:" in res.output
    assert not list(settings.restricted_dir.glob(".*.tmp"))
