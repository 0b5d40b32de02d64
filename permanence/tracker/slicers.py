"""Table slicers added to a saved .xlsx, which neither xlsxwriter nor openpyxl can write.

    from permanence.tracker.slicers import add_table_slicers, SlicerSpec
    add_table_slicers(Path("tracker.xlsx"), [SlicerSpec("Cohort_1", "Placement (label)")])

The parts are those Excel writes for a slicer on a table (the same set the Go library excelize
writes with AddSlicer): per slicer a slicer cache part (xl/slicerCaches, naming the table id and
the 1-based column in an x15:tableSlicerCache) that the workbook points at (relationship, x15
slicerCaches ext, and a #N/A defined name of the cache's name); per sheet one slicer part
(xl/slicers, one <slicer> per column, linked from the sheet's x14:slicerList ext) and one drawing
part whose anchors hold the slicer shapes (mc:AlternateContent: a graphicFrame for Excel 2013+,
a text box for older readers); content types for every new part.

The file is rewritten as text, not re-serialised through an XML library: the mc:Choice
`Requires="sle15"` names a namespace prefix, which a re-serialiser may rename. A workbook or
sheet that already has a drawing or extensions (extLst: slicers, data bars...) is refused rather
than merged into (the tracker's have neither).
The slicer shapes are set not to print (fPrintsWithSheet="0").
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
X15 = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
SLE = "http://schemas.microsoft.com/office/drawing/2010/slicer"
SLE15 = "http://schemas.microsoft.com/office/drawing/2012/slicer"

REL_SLICER = "http://schemas.microsoft.com/office/2007/relationships/slicer"
REL_SLICER_CACHE = "http://schemas.microsoft.com/office/2007/relationships/slicerCache"
REL_DRAWING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
REL_TABLE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"
CT_SLICER = "application/vnd.ms-excel.slicer+xml"
CT_SLICER_CACHE = "application/vnd.ms-excel.slicerCache+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"

# extLst entry ids (ISO/IEC 29500 extensions, MS-XLSX)
EXT_SHEET_SLICER_LIST_X15 = "{3A4CF648-6AED-40f4-86FF-DC5316D8AED3}"
EXT_WORKBOOK_SLICER_CACHES_X15 = "{46BE6895-7355-4a93-B00E-2C351335B9C9}"
EXT_TABLE_SLICER_CACHE = "{2F2917AC-EB37-4324-AD4E-5DD8C200BD13}"

ROW_HEIGHT_EMU = 251883  # one slicer button's height, Excel's default
# worksheet children that must follow <drawing> (CT_Worksheet's sequence)
AFTER_DRAWING = ("<legacyDrawing", "<legacyDrawingHF", "<drawingHF", "<picture", "<oleObjects", "<controls",
                 "<webPublishItems", "<tableParts", "</worksheet>")


@dataclass(frozen=True)
class SlicerSpec:
    table: str          # the table's name (table.xml name="...")
    column: str         # the column's header, as in the table's tableColumns
    caption: str | None = None


@dataclass(frozen=True)
class _Table:
    part: str           # xl/tables/tableN.xml
    sheet_part: str     # xl/worksheets/sheetN.xml
    table_id: int
    columns: list[str]
    last_col: int       # 0-based index of the table's last sheet column


def add_table_slicers(path: Path, specs: list[SlicerSpec], width_cols: int = 3, height_rows: int = 10) -> None:
    """Add one slicer per spec, placed one under another, two columns right of its table.
    The file is replaced atomically and keeps its permission bits."""
    if not specs:
        return
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
        order = [i.filename for i in z.infolist()]
    _add(parts, order, specs, width_cols, height_rows)
    mode = os.stat(path).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as out:
            for name in order:
                out.writestr(name, parts[name])
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _add(parts: dict[str, bytes], order: list[str], specs: list[SlicerSpec], width_cols: int,
         height_rows: int) -> None:
    tables = _tables(parts)
    by_sheet: dict[str, list[tuple[SlicerSpec, _Table]]] = {}
    for spec in specs:
        if spec.table not in tables:
            raise ValueError(f"slicer: no table named {spec.table!r} in the workbook")
        t = tables[spec.table]
        if spec.column not in t.columns:
            raise ValueError(f"slicer: table {spec.table!r} has no column {spec.column!r}")
        # Excel shares one cache between slicers of one column; one slicer a column is all we need
        if any(s.table == spec.table and s.column == spec.column for s, _t in by_sheet.get(t.sheet_part, [])):
            raise ValueError(f"slicer: column {spec.column!r} of table {spec.table!r} given twice")
        by_sheet.setdefault(t.sheet_part, []).append((spec, t))

    def put(name: str, data: bytes) -> None:
        if name in parts:
            raise ValueError(f"slicer: part {name} already exists")
        parts[name] = data
        order.append(name)

    types = parts["[Content_Types].xml"].decode()
    workbook = parts["xl/workbook.xml"].decode()
    wb_rels_name = "xl/_rels/workbook.xml.rels"
    wb_rels = parts[wb_rels_name].decode()
    if "<extLst" in workbook:
        raise ValueError("slicer: the workbook already has extensions (slicers?); merging is not supported")
    used_names = set(re.findall(r'<definedName name="([^"]+)"', workbook))
    slicer_names: set[str] = set()
    cache_rids, defined = [], []
    n_cache = _next_number(parts, "xl/slicerCaches/slicerCache")
    n_slicer = _next_number(parts, "xl/slicers/slicer")
    n_drawing = _next_number(parts, "xl/drawings/drawing")

    for sheet_part, items in by_sheet.items():
        sheet = parts[sheet_part].decode()
        # an extLst may also sit inside a conditional format rule: a sheet with one is not merged into
        if "<drawing " in sheet or "<extLst" in sheet:
            raise ValueError(f"slicer: {sheet_part} already has a drawing or extensions; merging is not supported")
        slicers, anchors = [], []
        for k, (spec, t) in enumerate(items):
            cache = _unique(_cache_name(spec.column), used_names, sep="")
            used_names.add(cache)
            defined.append(cache)
            name = _unique(spec.column, slicer_names, sep=" ")
            slicer_names.add(name)
            cache_part = f"xl/slicerCaches/slicerCache{n_cache}.xml"
            n_cache += 1
            put(cache_part, _cache_xml(cache, spec.column, t.table_id, t.columns.index(spec.column) + 1))
            types = _override(types, cache_part, CT_SLICER_CACHE)
            wb_rels, rid = _add_rel(wb_rels, REL_SLICER_CACHE, _relative("xl/workbook.xml", cache_part))
            cache_rids.append(rid)
            slicers.append(f'<slicer name={quoteattr(name)} cache={quoteattr(cache)} '
                           f'caption={quoteattr(spec.caption or spec.column)} rowHeight="{ROW_HEIGHT_EMU}"/>')
            col, row = t.last_col + 2, 1 + k * (height_rows + 1)
            anchors.append(_anchor(k + 2, name, col, row, col + width_cols, row + height_rows))

        slicer_part = f"xl/slicers/slicer{n_slicer}.xml"
        n_slicer += 1
        put(slicer_part, _slicers_xml(slicers))
        types = _override(types, slicer_part, CT_SLICER)
        drawing_part = f"xl/drawings/drawing{n_drawing}.xml"
        n_drawing += 1
        put(drawing_part, _drawing_xml(anchors))
        types = _override(types, drawing_part, CT_DRAWING)

        rels_name = _rels_name(sheet_part)
        rels = parts[rels_name].decode() if rels_name in parts else _empty_rels()
        rels, drawing_rid = _add_rel(rels, REL_DRAWING, _relative(sheet_part, drawing_part))
        rels, slicer_rid = _add_rel(rels, REL_SLICER, _relative(sheet_part, slicer_part))
        if rels_name not in parts:
            order.append(rels_name)
        parts[rels_name] = rels.encode()
        parts[sheet_part] = _sheet_with_slicers(sheet, drawing_rid, slicer_rid).encode()

    parts["xl/workbook.xml"] = _workbook_with_caches(workbook, cache_rids, defined).encode()
    parts[wb_rels_name] = wb_rels.encode()
    parts["[Content_Types].xml"] = types.encode()


def _tables(parts: dict[str, bytes]) -> dict[str, _Table]:
    """Every table by name, with the sheet that holds it (through the sheets' relationships)."""
    found = {}
    for rels_name, data in parts.items():
        m = re.fullmatch(r"xl/worksheets/_rels/(sheet\d+\.xml)\.rels", rels_name)
        if not m:
            continue
        sheet_part = f"xl/worksheets/{m.group(1)}"
        for rel in _rels(data.decode()):
            if rel["Type"] != REL_TABLE:
                continue
            part = _resolve(sheet_part, rel["Target"])
            xml = parts[part].decode()
            root = re.search(r"<table\b[^>]*>", xml).group(0)
            name = _attr(root, "name")
            ref = _attr(root, "ref")
            last = ref.split(":")[-1]
            found[name] = _Table(part, sheet_part, int(_attr(root, "id")),
                                 [_unescape(c) for c in re.findall(r'<tableColumn\b[^>]*?\bname="([^"]*)"', xml)],
                                 _col_index(re.match(r"[A-Z]+", last).group(0)))
    return found


def _cache_xml(name: str, source: str, table_id: int, column: int) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<slicerCacheDefinition xmlns="{X14}" xmlns:mc="{MC}" mc:Ignorable="x" xmlns:x="{MAIN}" '
            f'name={quoteattr(name)} sourceName={quoteattr(source)}>'
            f'<extLst><x:ext uri="{EXT_TABLE_SLICER_CACHE}" xmlns:x15="{X15}">'
            f'<x15:tableSlicerCache tableId="{table_id}" column="{column}"/></x:ext></extLst>'
            '</slicerCacheDefinition>').encode()


def _slicers_xml(slicers: list[str]) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<slicers xmlns="{X14}" xmlns:mc="{MC}" mc:Ignorable="x" xmlns:x="{MAIN}">'
            + "".join(slicers) + "</slicers>").encode()


def _anchor(shape_id: int, name: str, col: int, row: int, to_col: int, to_row: int) -> str:
    def cell(tag: str, c: int, r: int) -> str:
        return (f"<xdr:{tag}><xdr:col>{c}</xdr:col><xdr:colOff>0</xdr:colOff>"
                f"<xdr:row>{r}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:{tag}>")

    n = quoteattr(name)
    frame = (f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{shape_id}" name={n}/>'
             '<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
             '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
             f'<a:graphic><a:graphicData uri="{SLE}"><sle:slicer xmlns:sle="{SLE}" name={n}/>'
             '</a:graphicData></a:graphic></xdr:graphicFrame>')
    # what a reader without table slicers (Excel 2010 and older, LibreOffice) shows instead
    fallback = (f'<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="{shape_id}" name={n}/>'
                '<xdr:cNvSpPr txBox="1"/></xdr:nvSpPr>'
                '<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1828800" cy="1905000"/></a:xfrm>'
                '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>'
                '<a:ln w="1"><a:solidFill><a:prstClr val="black"/></a:solidFill></a:ln></xdr:spPr>'
                '<xdr:txBody><a:bodyPr vertOverflow="clip" horzOverflow="clip"/><a:lstStyle/>'
                '<a:p><a:r><a:rPr lang="en-GB" sz="1100"/><a:t>This shape represents a table slicer. Table slicers '
                'need Excel 2013 or later.</a:t></a:r></a:p></xdr:txBody></xdr:sp>')
    return ('<xdr:twoCellAnchor editAs="oneCell">' + cell("from", col, row) + cell("to", to_col, to_row)
            + f'<mc:AlternateContent xmlns:mc="{MC}"><mc:Choice xmlns:sle15="{SLE15}" Requires="sle15">'
            + frame + "</mc:Choice><mc:Fallback>" + fallback + "</mc:Fallback></mc:AlternateContent>"
            # a slicer is for the screen: the printed tracker stays the table alone
            + '<xdr:clientData fPrintsWithSheet="0"/></xdr:twoCellAnchor>')


def _drawing_xml(anchors: list[str]) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<xdr:wsDr xmlns:xdr="{XDR}" xmlns:a="{A}">' + "".join(anchors) + "</xdr:wsDr>").encode()


def _sheet_with_slicers(sheet: str, drawing_rid: str, slicer_rid: str) -> str:
    if f'xmlns:r="{REL_NS}"' not in sheet[:sheet.index(">", sheet.index("<worksheet"))]:
        sheet = sheet.replace("<worksheet ", f'<worksheet xmlns:r="{REL_NS}" ', 1)
    at = min(i for i in (sheet.find(tag) for tag in AFTER_DRAWING) if i >= 0)
    sheet = sheet[:at] + f'<drawing r:id="{drawing_rid}"/>' + sheet[at:]
    ext = (f'<ext uri="{EXT_SHEET_SLICER_LIST_X15}" xmlns:x15="{X15}">'
           f'<x14:slicerList xmlns:x14="{X14}"><x14:slicer r:id="{slicer_rid}"/></x14:slicerList></ext>')
    return sheet.replace("</worksheet>", f"<extLst>{ext}</extLst></worksheet>", 1)


def _workbook_with_caches(workbook: str, rids: list[str], names: list[str]) -> str:
    entries = "".join(f"<definedName name={quoteattr(n)}>#N/A</definedName>" for n in names)
    if "<definedNames>" in workbook:
        workbook = workbook.replace("</definedNames>", entries + "</definedNames>", 1)
    else:
        after = "</externalReferences>" if "</externalReferences>" in workbook else "</sheets>"
        workbook = workbook.replace(after, f"{after}<definedNames>{entries}</definedNames>", 1)
    caches = "".join(f'<x14:slicerCache r:id="{r}"/>' for r in rids)
    ext = (f'<ext uri="{EXT_WORKBOOK_SLICER_CACHES_X15}" xmlns:x15="{X15}">'
           f'<x15:slicerCaches xmlns:x14="{X14}">{caches}</x15:slicerCaches></ext>')
    if f'xmlns:r="{REL_NS}"' not in workbook[:workbook.index(">", workbook.index("<workbook"))]:
        workbook = workbook.replace("<workbook ", f'<workbook xmlns:r="{REL_NS}" ', 1)
    return workbook.replace("</workbook>", f"<extLst>{ext}</extLst></workbook>", 1)


def _rels(xml: str) -> list[dict[str, str]]:
    return [{k: _unescape(v) for k, v in re.findall(r'(\w+)="([^"]*)"', m)}
            for m in re.findall(r"<Relationship\b([^>]*)/?>", xml)]


def _add_rel(xml: str, rel_type: str, target: str) -> tuple[str, str]:
    taken = [int(m) for m in re.findall(r'Id="rId(\d+)"', xml)]
    rid = f"rId{max(taken, default=0) + 1}"
    rel = f'<Relationship Id="{rid}" Type="{rel_type}" Target={quoteattr(target)}/>'
    return xml.replace("</Relationships>", rel + "</Relationships>", 1), rid


def _empty_rels() -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}"></Relationships>')


def _override(types: str, part: str, content_type: str) -> str:
    return types.replace("</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>', 1)


def _rels_name(part: str) -> str:
    p = PurePosixPath(part)
    return str(p.parent / "_rels" / f"{p.name}.rels")


def _relative(source: str, target: str) -> str:
    return os.path.relpath(target, str(PurePosixPath(source).parent))


def _resolve(source: str, target: str) -> str:
    """A relationship's target as a part name (relative to the source part's folder, or absolute)."""
    if target.startswith("/"):
        return target[1:]
    return os.path.normpath(str(PurePosixPath(source).parent / target)).replace(os.sep, "/")


def _next_number(parts: dict[str, bytes], prefix: str) -> int:
    nums = [int(m.group(1)) for name in parts if (m := re.fullmatch(re.escape(prefix) + r"(\d+)\.xml", name))]
    return max(nums, default=0) + 1


def _cache_name(column: str) -> str:
    # a defined name: letters, digits after the first character, dots; anything else becomes '_'
    chars = [c if c.isalpha() or (i > 0 and (c.isdigit() or c == ".")) else "_" for i, c in enumerate(column)]
    return "Slicer_" + "".join(chars)


def _unique(base: str, taken: set[str], sep: str) -> str:
    lower = {t.lower() for t in taken}
    n, name = 0, base
    while name.lower() in lower:
        n += 1
        name = f"{base}{sep}{n}"
    return name


def _attr(tag: str, name: str) -> str:
    return _unescape(re.search(rf'\b{name}="([^"]*)"', tag).group(1))


def _unescape(v: str) -> str:
    return (v.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1

