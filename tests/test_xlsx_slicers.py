"""Table slicers added to a saved workbook (permanence.tracker.slicers) and on the SPG tracker: every
part well-formed, related and typed; every cache names its table's id and column; the cells unchanged.
No Excel here: these check the package's structure, not how Excel draws it."""

from __future__ import annotations

import datetime as dt
import re
import stat
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

import duckdb
import openpyxl
import pytest

from permanence.tracker.actions import import_workbook, read_workbook
from permanence.tracker.workbook import write_tracker
from permanence.tracker.layout import COHORT_SHEETS, COLUMNS, FIELDS, SLICER_COLUMNS
from permanence.tracker.slicers import SlicerSpec, add_table_slicers

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "x14": "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main",
    "x15": "http://schemas.microsoft.com/office/spreadsheetml/2010/11/main",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "sle": "http://schemas.microsoft.com/office/drawing/2010/slicer",
}
R_ID = f"{{{NS['r']}}}id"
HEADERS = ["Child", "Placement (label)", "Status", "Notes"]


def _small(path: Path, sheets: int = 2) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    for s in range(sheets):
        ws = wb.add_worksheet(f"Sheet {s}")
        for r in range(1, 6):
            ws.write_row(r, 0, [f"c{s}{r}", f"place {r % 2}", "open" if r % 3 else "done", f"=note {r}"])
        ws.add_table(0, 0, 5, len(HEADERS) - 1, {"name": f"Tab_{s}", "columns": [{"header": h} for h in HEADERS]})
        ws.repeat_rows(0)
    wb.close()
    path.chmod(0o600)
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _xml(parts, name) -> ET.Element:
    return ET.fromstring(parts[name])


def _rels_of(parts, part: str) -> dict[str, tuple[str, str]]:
    """rId -> (type, target part name) of a part's relationships."""
    p = PurePosixPath(part)
    name = str(p.parent / "_rels" / f"{p.name}.rels")
    if name not in parts:
        return {}
    out = {}
    for rel in _xml(parts, name).findall("pr:Relationship", NS):
        t = rel.get("Target")
        target = t[1:] if t.startswith("/") else str(PurePosixPath(*_norm(p.parent / t)))
        out[rel.get("Id")] = (rel.get("Type"), target)
    return out


def _norm(p: PurePosixPath) -> list[str]:
    out: list[str] = []
    for bit in p.parts:
        if bit == "..":
            out.pop()
        elif bit != ".":
            out.append(bit)
    return out


def _check_package(path: Path) -> dict:
    """The structural checks every slicer-bearing workbook must pass; returns what it found:
    {sheet part: [(table id, column index, column name, slicer name)]}."""
    parts = _parts(path)
    # every XML part well-formed
    for name, data in parts.items():
        if name.endswith((".xml", ".rels")):
            ET.fromstring(data)
    # every relationship target exists
    for name in parts:
        if name.endswith(".rels"):
            src = name.replace("_rels/", "")[: -len(".rels")]
            for rid, (rtype, target) in _rels_of(parts, src).items():
                if "hyperlink" not in rtype:
                    assert target in parts, f"{name} {rid} -> {target} missing"
    # every part has a content type
    types = _xml(parts, "[Content_Types].xml")
    defaults = {d.get("Extension") for d in types.findall("ct:Default", NS)}
    overrides = {o.get("PartName")[1:]: o.get("ContentType") for o in types.findall("ct:Override", NS)}
    for name in parts:
        if name != "[Content_Types].xml":
            assert name in overrides or name.rsplit(".", 1)[-1] in defaults, name
    assert all(n in parts for n in overrides), "a content type for a part that is not there"

    # the workbook's slicer caches: relationship ids, defined names
    wb = _xml(parts, "xl/workbook.xml")
    wb_rels = _rels_of(parts, "xl/workbook.xml")
    ext = wb.find("m:extLst/m:ext[@uri='{46BE6895-7355-4a93-B00E-2C351335B9C9}']", NS)
    caches = {}
    for sc in ext.findall("x15:slicerCaches/x14:slicerCache", NS):
        rtype, target = wb_rels[sc.get(R_ID)]
        assert rtype == "http://schemas.microsoft.com/office/2007/relationships/slicerCache"
        assert overrides[target] == "application/vnd.ms-excel.slicerCache+xml"
        cache = _xml(parts, target)
        assert cache.tag == f"{{{NS['x14']}}}slicerCacheDefinition"
        tsc = cache.find("x14:extLst/m:ext[@uri='{2F2917AC-EB37-4324-AD4E-5DD8C200BD13}']/x15:tableSlicerCache", NS)
        caches[cache.get("name")] = (int(tsc.get("tableId")), int(tsc.get("column")), cache.get("sourceName"))
    assert len(caches) == len(ext.findall("x15:slicerCaches/x14:slicerCache", NS))  # names unique
    defined = {d.get("name"): d.text for d in wb.findall("m:definedNames/m:definedName", NS)}
    assert all(defined.get(n) == "#N/A" for n in caches)

    # the tables: id and column order from each tableN.xml
    tables = {}
    for name in parts:
        if re.fullmatch(r"xl/tables/table\d+\.xml", name):
            t = _xml(parts, name)
            tables[int(t.get("id"))] = [c.get("name") for c in t.findall("m:tableColumns/m:tableColumn", NS)]

    found, slicer_names, used_caches = {}, [], []
    for sheet_part in [n for n in parts if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]:
        ws = _xml(parts, sheet_part)
        rels = _rels_of(parts, sheet_part)
        lists = ws.findall("m:extLst/m:ext[@uri='{3A4CF648-6AED-40f4-86FF-DC5316D8AED3}']/x14:slicerList/x14:slicer", NS)
        if not lists:
            assert ws.find("m:drawing", NS) is None
            continue
        sheet_tables = {int(_xml(parts, tgt).get("id")) for t, tgt in rels.values() if t.endswith("/table")}
        drawing_type, drawing_part = rels[ws.find("m:drawing", NS).get(R_ID)]
        assert drawing_type.endswith("/drawing") and overrides[drawing_part].endswith("drawing+xml")
        # <drawing> sits before <tableParts> and <extLst> (the worksheet's element order)
        tags = [c.tag.split("}")[1] for c in ws]
        assert tags.index("drawing") < tags.index("tableParts") < tags.index("extLst")
        frames = {}
        for anchor in _xml(parts, drawing_part).findall("xdr:twoCellAnchor", NS):
            choice = anchor.find("mc:AlternateContent/mc:Choice", NS)
            assert choice.get("Requires") == "sle15"
            assert anchor.find("mc:AlternateContent/mc:Fallback/xdr:sp", NS) is not None
            sle = choice.find("xdr:graphicFrame/*/*/sle:slicer", NS)
            frames[sle.get("name")] = anchor
            assert anchor.find("xdr:clientData", NS).get("fPrintsWithSheet") == "0"
        rows = []
        for s in lists:
            rtype, slicer_part = rels[s.get(R_ID)]
            assert rtype == "http://schemas.microsoft.com/office/2007/relationships/slicer"
            assert overrides[slicer_part] == "application/vnd.ms-excel.slicer+xml"
            for sl in _xml(parts, slicer_part).findall("x14:slicer", NS):
                table_id, column, source = caches[sl.get("cache")]
                # the cache points at a table of this sheet, at the column of that name (1-based)
                assert table_id in sheet_tables
                assert tables[table_id][column - 1] == source
                assert sl.get("name") in frames, "a slicer without its shape"
                rows.append((table_id, column, source, sl.get("name")))
                slicer_names.append(sl.get("name"))
                used_caches.append(sl.get("cache"))
        assert len(frames) == len(rows)
        found[sheet_part] = rows
    assert len(set(slicer_names)) == len(slicer_names)  # slicer names are workbook-wide
    assert sorted(used_caches) == sorted(caches)
    return found


def _values(path: Path) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path)
    return {ws.title: ([list(r) for r in ws.iter_rows(values_only=True)],
                       dict(ws.tables.items()), ws.print_title_rows) for ws in wb.worksheets}


def test_slicers_on_two_tables_structure_and_values_unchanged(tmp_path):
    path = _small(tmp_path / "w.xlsx")
    before = _values(path)
    add_table_slicers(path, [SlicerSpec("Tab_0", "Placement (label)"), SlicerSpec("Tab_0", "Status"),
                             SlicerSpec("Tab_1", "Status", caption="Action status")])
    found = _check_package(path)
    assert sorted(found.values()) == sorted([[(1, 2, "Placement (label)", "Placement (label)"), (1, 3, "Status", "Status")],
                                             [(2, 3, "Status", "Status 1")]])
    assert _values(path) == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name != "w.xlsx"]  # no temporary file left
    slicer = _parts(path)["xl/slicers/slicer2.xml"]
    assert b'caption="Action status"' in slicer


def test_unknown_table_or_column_refused_and_file_untouched(tmp_path):
    path = _small(tmp_path / "w.xlsx", sheets=1)
    data = path.read_bytes()
    with pytest.raises(ValueError, match="no table named 'Nope'"):
        add_table_slicers(path, [SlicerSpec("Nope", "Status")])
    with pytest.raises(ValueError, match="has no column 'Age'"):
        add_table_slicers(path, [SlicerSpec("Tab_0", "Age")])
    with pytest.raises(ValueError, match="given twice"):
        add_table_slicers(path, [SlicerSpec("Tab_0", "Status"), SlicerSpec("Tab_0", "Status")])
    assert path.read_bytes() == data
    add_table_slicers(path, [SlicerSpec("Tab_0", "Status")])
    data = path.read_bytes()
    with pytest.raises(ValueError, match="already has extensions"):
        add_table_slicers(path, [SlicerSpec("Tab_0", "Notes")])
    assert path.read_bytes() == data


def test_sheet_with_extensions_refused(tmp_path):
    import xlsxwriter

    path = tmp_path / "bars.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_column(1, 0, [1, 2, 3])
    ws.add_table(0, 0, 3, 0, {"name": "Bars", "columns": [{"header": "n"}]})
    ws.conditional_format(1, 0, 3, 0, {"type": "data_bar", "data_bar_2010": True})  # an extLst in the sheet
    wb.close()
    with pytest.raises(ValueError, match="sheet1.xml already has a drawing or extensions"):
        add_table_slicers(path, [SlicerSpec("Bars", "n")])


# a tiny restricted copy with the marts the tracker reads: fast, no dbt build
def _tracker_db(path: Path) -> Path:
    store_cols = sorted({c for _h, c, _k, _w in COLUMNS}
                        - {"display_id", "days_in_condition", *FIELDS} | {"cohort_id"})
    dates = {c for _h, c, k, _w in COLUMNS if k == "date"}
    ints = {c for _h, c, k, _w in COLUMNS if k == "int"} | {"cohort_id"}
    rows = []
    for i in range(9):
        cid = 1 + i % 5  # cohort 6 stays empty: its table is one blank row, and still gets slicers
        row = {c: None for c in store_cols}
        row.update(cohort_id=cid, la_code="894", child_id=f"{i + 1:064x}", as_at_date=dt.date(2025, 3, 31),
                   condition_start=dt.date(2023, 1, 1 + i), legal_status=["C2", "E1", "V2"][i % 3],
                   placement_type=["U1", "K2", "P1"][i % 3], placement_provider=["PR1", "PR4"][i % 2],
                   cohort_detail=f"detail {i}", months_in_condition=20 + i, age_on_as_at_date=5 + i)
        rows.append(row)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        cols = ", ".join(f"{c} {'date' if c in dates else 'integer' if c in ints else 'varchar'}" for c in store_cols)
        con.execute(f"create table marts.spg_cohort_children ({cols})")
        con.executemany(f"insert into marts.spg_cohort_children ({', '.join(store_cols)}) values "
                        f"({', '.join('?' * len(store_cols))})", [[r[c] for c in store_cols] for r in rows])
        con.execute("create table marts.spg_cohort_summary (la_code varchar, as_at_date date, cohort_id integer, "
                    "cohort_name varchar, children integer, incomplete_reason varchar, is_current boolean)")
        for cid, title in COHORT_SHEETS.items():
            con.execute("insert into marts.spg_cohort_summary values ('894', '2025-03-31', ?, ?, ?, null, true)",
                        [cid, title, sum(r["cohort_id"] == cid for r in rows)])
    return path


def test_tracker_has_no_slicers_unless_asked(tmp_path):
    import zipfile

    from permanence.config import Settings

    assert Settings(data_dir=tmp_path).tracker_slicers is False  # off until an LA's Excel has opened one
    out = write_tracker(_tracker_db(tmp_path / "r.duckdb"), tmp_path / "t.xlsx", la_code="894")
    with zipfile.ZipFile(out) as z:
        assert not [n for n in z.namelist() if "slicer" in n.lower()]


def test_tracker_cohort_tables_have_slicers_that_do_not_print(tmp_path):
    out = write_tracker(_tracker_db(tmp_path / "r.duckdb"), tmp_path / "t.xlsx", la_code="894", slicers=True)
    found = _check_package(out)
    assert len(found) == len(COHORT_SHEETS)  # every cohort sheet, the summary none
    headers = [h for h, _c, _k, _w in COLUMNS]
    for rows in found.values():
        assert [(col, src) for _t, col, src, _n in rows] == [(headers.index(h) + 1, h) for h in SLICER_COLUMNS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(out)
    last = openpyxl.utils.get_column_letter(len(COLUMNS))
    # printed: the table's columns only (the slicers are to the right of it), header repeated
    for cid, title in COHORT_SHEETS.items():
        ws = wb[title]
        end = ws.tables[f"Cohort_{cid}"].ref.split(":")[1]  # e.g. AI3
        assert end.startswith(last) and ws.print_area == f"'{title}'!$A$1:${last}${end[len(last):]}"
        assert ws.print_title_rows == "$1:$1"
    assert not wb["Summary"].print_area
    # every child row is there, values as written
    children = sum(len([r for r in wb[t].iter_rows(min_row=2, values_only=True) if any(r)]) for t in COHORT_SHEETS.values())
    assert children == 9
    assert wb["1 No one holds PR"]["A1"].value == "Child"


def _set_status(path: Path, sheet_part: str, row: int, status: str) -> None:
    """Type a Status into one row as Excel would save it, leaving every other part (the slicers) as is."""
    headers = [h for h, _c, _k, _w in COLUMNS]
    status_col = openpyxl.utils.get_column_letter(headers.index("Status") + 1)
    next_col = openpyxl.utils.get_column_letter(headers.index("Pseudonym (full)") + 1)  # the blanks between have no cell
    parts = _parts(path)
    xml = parts[sheet_part].decode()
    at = xml.index(f'<c r="{next_col}{row}"')
    parts[sheet_part] = (xml[:at] + f'<c r="{status_col}{row}" t="inlineStr"><is><t>{status}</t></is></c>'
                         + xml[at:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_tracker_with_slicers_reads_and_imports(tmp_path):
    out = write_tracker(_tracker_db(tmp_path / "r.duckdb"), tmp_path / "t.xlsx", la_code="894", slicers=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the import prints nothing about the slicers' extensions
        props, entries, problems = read_workbook(out, ["894"], "894")
    assert problems == [] and props["la_code"] == "894" and len(entries) == 9
    _set_status(out, "xl/worksheets/sheet2.xml", 2, "done")  # sheet 2: cohort 1, after the summary
    _check_package(out)  # still a workbook with slicers
    job = import_workbook(tmp_path / "store" / "actions.duckdb", out, ["894"], by="test", la_code="894")
    assert (job.rows_read, job.appended, job.per_cohort) == (9, 1, {1: 1})
