"""The SPG tracker workbook: no formulas ever, dates as dates, frozen header, filters, CMS id only on request."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import time

import duckdb
import openpyxl
import pytest

from permanence.config import Settings
from permanence.synth import generate_region
from permanence.tracker import COHORT_SHEETS, COLUMNS, REVEAL_WARNING, reveal_map, write_tracker
from tests.pipeline_helpers import run_drops

KEY = "dee3cc1e9b82bd2d4085ba80cfd730f9b59323df11f7ec9c51f9f079c2e5bf98"
HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1:A2)", "=1+1"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tracker")
    [drop] = generate_region(tmp / "region", las=1, children=60, years=2, seed=9)
    settings = Settings(data_dir=tmp / "data")
    [run] = run_drops(settings, [(str(drop.path), drop.la_code)], key=KEY.encode())
    assert run.status == "published"
    # child-level marts (spg_cohort_children) are in the restricted copy only (permanence.tiers)
    return settings, drop, settings.restricted_dir / settings.warehouse_path.name


@pytest.fixture
def hostile_db(built, tmp_path):
    _settings, _drop, published = built
    db = tmp_path / "hostile.duckdb"
    shutil.copyfile(published, db)
    db.chmod(0o644)
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


@pytest.mark.slow
def test_layout_dates_frozen_filters_and_pseudonyms_only(built, tmp_path):
    settings, drop, published = built
    out = write_tracker(published, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(out)
    with duckdb.connect(str(published), read_only=True) as con:
        expected = dict(con.execute("select cohort_id, count(*) from marts.spg_cohort_children group by 1").fetchall())
    for cid, title in COHORT_SHEETS.items():
        ws = wb[title]
        assert ws.freeze_panes == "B2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert ws.max_row - 1 == expected.get(cid, 0)
        assert ws.column_dimensions["A"].width >= 15
        header = [c.value for c in ws[1]]
        assert header == [h for h, _c, _k, _w in COLUMNS]
        assert ws.auto_filter.ref == f"A1:X{ws.max_row}"
        h = ws["A1"]
        assert h.font.b and h.font.color.rgb[-6:] == "FFFFFF" and h.fill.fgColor.rgb[-6:] == "1F4E79" and h.alignment.wrap_text
        assert ws.row_dimensions[1].height == pytest.approx(32, abs=0.5)
        assert [_width(ws, i) for i in range(1, len(COLUMNS) + 1)] == pytest.approx([w for *_x, w in COLUMNS], abs=1)
        if ws.max_row > 1:
            col = header.index("In condition since") + 1
            v = ws.cell(row=2, column=col)
            assert isinstance(v.value, dt.datetime) and v.is_date and v.number_format == "dd/mm/yyyy"
            days = ws.cell(row=2, column=header.index("Days in condition") + 1).value
            assert isinstance(days, int) and days >= 0
            assert isinstance(ws.cell(row=2, column=1).value, str)
        # blanks stay empty cells, never "nan"/"None"/"NaT" text
        assert not {c.value for row in ws.iter_rows(min_row=2) for c in row} & {"nan", "None", "NaT", "<NA>", ""}
    summary = wb["Summary"]
    assert [c.value for c in summary[1]] == ["LA", "As at", "Cohort", "Cohort name", "Children", "Target",
                                             "Target date", "Status (RAG)", "Coverage note"]
    assert summary.max_row >= 7 and summary.freeze_panes == "B2"
    table_rows = int(summary.auto_filter.ref.split(":I")[1])
    assert str(summary.cell(row=table_rows + 2, column=1).value).startswith("SPG tracker generated")
    assert summary.cell(row=table_rows + 4, column=1).value == "Children are identified by pseudonym."
    assert summary["B2"].is_date and isinstance(summary["C2"].value, int) and isinstance(summary["E2"].value, int)


@pytest.mark.slow
def test_cms_ids_only_when_revealed(built, tmp_path):
    settings, drop, published = built
    mapping = reveal_map(KEY.encode(), drop.path, drop.la_code)
    out = write_tracker(published, tmp_path / "t.xlsx", la_code=drop.la_code, reveal=mapping)
    wb = openpyxl.load_workbook(out)
    ws = wb["4 Foster carers 12m+"]
    header = [c.value for c in ws[1]]
    assert header[1] == "CMS id"
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows and all(r[1] == mapping[r[0]] for r in rows)
    assert REVEAL_WARNING in [c.value for c in wb["Summary"]["A"]]
    assert _width(ws, 2) == pytest.approx(14, abs=1)


def test_cli_refuses_reveal_without_drop(tmp_path):
    from typer.testing import CliRunner

    from permanence.cli import app

    db = tmp_path / "data" / "restricted" / "permanence.duckdb"
    db.parent.mkdir(parents=True)
    duckdb.connect(str(db)).close()
    res = CliRunner().invoke(app, ["tracker", "--reveal-ids", "--data-dir", str(tmp_path / "data")])
    assert res.exit_code == 4 and "--ids-from" in res.output


def test_nightly_tracker_is_written_to_the_restricted_location(built):
    from flows.nightly import tracker

    settings, _drop, restricted = built
    path = tracker.fn(settings, settings.published_dir / settings.warehouse_path.name)
    assert path == settings.restricted_dir / "spg-tracker.xlsx"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.restricted_dir.stat().st_mode) == 0o700
    assert not list(settings.published_dir.glob("*.xlsx"))  # nothing child-level in the BI share


def test_reveal_goes_to_the_restricted_location_only_private_audited_and_expired(built):
    """The attack: `tracker --reveal-ids` writing the CMS-id workbook into the BI share, readable, forever."""
    from typer.testing import CliRunner

    from permanence.cli import app
    from permanence.tiers import os_user, reveal_dir

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
