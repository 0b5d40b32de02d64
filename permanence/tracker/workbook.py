"""The SPG tracker workbook: one sheet per priority cohort listing its children, and a summary sheet.

    from permanence.tracker.workbook import write_tracker
    write_tracker(published_db, Path("spg-tracker-894.xlsx"), la_code="894")   # pseudonyms only
    write_tracker(published_db, out, la_code="894", reveal=reveal_map(key, drop_folder, "894"))  # adds the CMS id

Reads `marts.spg_cohort_children` and `marts.spg_cohort_summary` (and `marts.targets` when it is
there) from the restricted copy (child-level: never the BI copy, permanence.publish.tiers), so it never
waits for, or blocks, the nightly build. `las_in` lists the LAs: the CLI writes one workbook each.

Made to be printed for the SPG chair: every sheet is an Excel table (filters), header row frozen,
landscape, one page wide, header row repeated on each page; the print area is the table as written.
With settings.tracker_slicers, each cohort table has slicers (placement, legal status, provider,
action status) to the right of it, added after xlsxwriter saves (permanence.tracker.slicers); they do
not print.
Each code has its plain-English label beside it (permanence/contract/labels.yaml); dates are real
dates; the summary's RAG status cell is filled green, amber or red. A child is shown by a short
display id (the pseudonym's first characters, longer where two would collide in the workbook);
the full pseudonym is kept in the last, hidden, column for look-ups.

Spreadsheet safety: every text cell is written with an explicit string type, so a value starting
with `=`, `+`, `-` or `@` stays text and never becomes a formula (CSV/formula injection).
The CMS id appears only when the user asks (`--reveal-ids`) and supplies the key and the drop.

Memory: tables need xlsxwriter's in-memory mode (constant_memory refuses add_table), about 250
bytes a cell: a few MB for one LA's workbook, a few hundred MB only for a national all-LA one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from permanence.tracker.actions import STORE_NAME, carry_forward, ids_digest, latest, workbook_properties
from permanence.contract import labels
from permanence.tracker.layout import COHORT_SHEETS, COLUMNS, HIDDEN, SLICER_COLUMNS, STATUSES
from permanence.tracker.slicers import SlicerSpec, add_table_slicers

DISPLAY_ID_LENGTH = 8
SUMMARY_COLUMNS = [("LA", "text", 6), ("As at", "date", 11), ("Cohort", "int", 7), ("Cohort name", "text", 38),
                   ("Children", "int", 9), ("Target", "num", 8), ("Target date", "date_or_text", 11),
                   ("Status (RAG)", "rag", 12), ("Coverage note", "text", 40)]
# Excel's own Good / Neutral / Bad cell styles, so the colours read as they do in any council workbook
RAG_FILLS = {"green": ("#C6EFCE", "#006100"), "amber": ("#FFEB9C", "#9C5700"), "red": ("#FFC7CE", "#9C0006")}
DATE_FORMAT = "dd/mm/yyyy"
REVEAL_WARNING = (
    "This workbook contains CMS child identifiers: it is personal data. Keep it on the council's "
    "secure network, share it only with the SPG, and delete it after the meeting."
)


def reveal_map(key: bytes, drop_folder: Path, la_code: str) -> dict[str, str]:
    """pseudonym -> CMS id, by re-hashing the CHILD ids of the drop with the key."""
    from permanence.ingest.pseudonymise import pseudonym
    from permanence.ingest.read import read_drop

    frames, _issues = read_drop(Path(drop_folder))
    ids: set[str] = set()
    for f in frames:
        for col in f.table.columns:
            if col.kind == "child_id" and col.name in f.frame.columns:
                ids |= {str(v).strip() for v in f.frame[col.name].dropna() if str(v).strip()}
    return {pseudonym(key, la_code, i): i for i in ids}


def las_in(db: Path) -> list[str]:
    """The LAs with cohort figures in the warehouse, in code order (one workbook each)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute(
            "select distinct cast(la_code as varchar) from marts.spg_cohort_summary where la_code is not null "
            "order by 1").fetchall()]


NIGHTLY_PATTERN = "spg-tracker-[0-9][0-9][0-9].xlsx"


def nightly_trackers(folder: Path) -> list[Path]:
    """The nightly's workbooks in the restricted folder: spg-tracker-<LA>.xlsx, one per LA."""
    return sorted(folder.glob(NIGHTLY_PATTERN))


# What each nightly workbook was last written from, beside them in the restricted folder (0600): an LA
# whose marts, actions and tracker code are unchanged keeps its workbook (a next night of a national
# warehouse changes one LA's of 153, and xlsxwriter takes ~0.2 s of CPU a workbook).
STATE_NAME = ".spg-tracker-state.json"


def _code_key() -> str:
    """What besides a workbook's data decides its bytes: the tracker's code, the contract's labels
    and code lists, and xlsxwriter's version."""
    from importlib.metadata import version

    from permanence import contract

    digest = hashlib.sha256(version("xlsxwriter").encode())
    for path in [*sorted(Path(__file__).parent.glob("*.py")), *sorted(Path(contract.__file__).parent.glob("*.yaml"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _inputs_keys(code_key: str, las: list[str], run_label: str | None, slicers: bool,
                 frames: Iterable[pd.DataFrame | None], rows: Iterable[list[np.ndarray]]) -> list[str]:
    """Per LA, a digest of everything its nightly workbook is written from: its rows, the LA's latest
    actions, and the code that lays them out. Rows as text, in any order (a frame's row order, and
    whether an empty store gave a column a type, say nothing about what is written); a change of type
    that changes the text only makes a workbook be written again. `frames` hold every LA's rows,
    `rows` each LA's positions in them (_la_rows): hashing all LAs' rows at once costs a tenth of
    hashing them LA by LA."""
    digests = [hashlib.sha256(json.dumps([code_key, la, run_label, slicers]).encode()) for la in las]
    for frame, at in zip(frames, rows):
        hashes = None if frame is None or frame.empty else \
            pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
        columns = b"" if hashes is None else json.dumps([str(c) for c in frame.columns]).encode()
        for digest, mine in zip(digests, at):
            if hashes is None or not len(mine):
                digest.update(b"\0none")
            else:
                digest.update(columns)
                digest.update(np.sort(hashes[mine]).tobytes())
    return [d.hexdigest() for d in digests]


def _file_stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _load_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: every workbook is written
    return state if isinstance(state, dict) else {}


def _save_state(path: Path, state: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(state, fh, sort_keys=True)
    tmp.replace(path)


# Below this many LAs one process writes every workbook: spawning a worker (~1.5 s of imports) costs
# more than it saves at ~0.25 s a workbook. A national run (153 LAs) writes two at a time.
POOL_FROM_LAS = 16


def write_la_trackers(db: Path, folder: Path, run_label: str | None = None, slicers: bool = False,
                      workers: int = 1) -> list[Path]:
    """The nightly's workbooks, one per LA (spg-tracker-<LA>.xlsx, 0600): an SPG chair prints their
    own LA's, and a national warehouse never builds one huge workbook in memory. A workbook of an LA
    no longer in the warehouse, and the all-LA workbook of earlier versions, are removed.

    `workers` (settings.workers; 0: one per core): a warehouse of many LAs writes its workbooks in
    that many spawned processes, each given its LAs' rows (read here once, for every LA).
    Spawned, not forked: the nightly's process runs Prefect's threads."""
    las = las_in(db)
    state_path = folder / STATE_NAME
    state = _load_state(state_path)
    # every LA's rows in one read each, split here: opening the copy and the store once per LA cost
    # more CPU (~0.03 s an LA) than the queries themselves
    frames = (*_read(db, None), latest(folder / STORE_NAME))  # children, summary, targets, entries
    rows = [_la_rows(frame, las) for frame in frames]
    inputs = _inputs_keys(_code_key(), las, run_label, slicers, frames, rows)
    jobs = [(folder / f"spg-tracker-{la}.xlsx", la, run_label, slicers, inputs[i], state.get(la),
             *(_part(frame, at[i]) for frame, at in zip(frames, rows))) for i, la in enumerate(las)]
    workers = workers or len(os.sched_getaffinity(0))
    if workers > 1 and len(jobs) >= POOL_FROM_LAS:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(_write_nightly, jobs, chunksize=max(1, len(jobs) // (8 * workers))))
    else:
        results = [_write_nightly(job) for job in jobs]
    written = [path for path, _entry in results]
    if folder.is_dir():  # none when there was no LA to write
        _save_state(state_path, {la: entry for la, (_path, entry) in zip(las, results)})
    for old in [*nightly_trackers(folder), folder / "spg-tracker.xlsx"]:
        if old not in written:
            old.unlink(missing_ok=True)
    return written


def _write_nightly(job: tuple) -> tuple[Path, dict]:
    """One LA's nightly workbook, and what it was written from. Kept as it is when the inputs and the
    file are those of the last write: only its time is brought up to now, as new as the copy it
    was read from (warehouse.recovery rewrites a workbook older than the copy)."""
    out, la, run_label, slicers, inputs, kept, children, summary, targets, entries = job
    if kept and kept.get("inputs") == inputs and kept.get("file") == _file_stat(out):
        os.utime(out)
    else:  # new, changed, or opened and saved since it was written (the nightly's copy is the tracker's)
        _write(out, carry_forward(children, entries), summary, targets, la_code=la, run_label=run_label,
               slicers=slicers)
        out.chmod(0o600)
    return out, {"inputs": inputs, "file": _file_stat(out)}


def display_ids(pseudonyms: Iterable[str], length: int = DISPLAY_ID_LENGTH) -> dict[str, str]:
    """pseudonym -> its shortest prefix of at least `length` characters that no other pseudonym shares.

    Neighbours in sorted order share the longest prefixes, so comparing each with its two neighbours
    is enough; two ids cut to different lengths can never be equal."""
    ids = sorted(set(pseudonyms))

    def common(a: str, b: str) -> int:
        n = 0
        for x, y in zip(a, b):
            if x != y:
                break
            n += 1
        return n

    out = {}
    for i, p in enumerate(ids):
        shared = max(common(p, ids[i - 1]) if i else 0, common(p, ids[i + 1]) if i + 1 < len(ids) else 0)
        out[p] = p[:max(length, shared + 1)]
    return out


def _read(db: Path, la_code: str | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    where = "where la_code = ?" if la_code else ""
    params = [la_code] if la_code else []
    with duckdb.connect(str(db), read_only=True) as con:
        children = con.execute(f"select * from marts.spg_cohort_children {where} "
                               "order by cohort_id, la_code, condition_start, child_id", params).df()
        summary = con.execute(
            f"select * from marts.spg_cohort_summary {'where' if not la_code else where + ' and'} is_current "
            "order by la_code, cohort_id", params).df()
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
        targets = None
        if "targets" in tables:
            targets = con.execute(
                f"select * from marts.targets {where}", params).df()
            targets = targets[targets["measure"].astype(str).str.match(r"cohort_\d_children")]
    return children, summary, targets


def _la_rows(frame: pd.DataFrame | None, las: list[str]) -> list[np.ndarray]:
    """Each LA's row positions in an all-LA frame, in the frame's order (none for an LA without rows)."""
    none = np.empty(0, dtype=np.intp)
    if frame is None:
        return [none] * len(las)
    groups = frame.groupby(frame["la_code"].astype(str), sort=False).indices
    return [groups.get(la, none) for la in las]


def _part(frame: pd.DataFrame | None, rows: np.ndarray) -> pd.DataFrame | None:
    """An LA's rows as the query `where la_code = ?` gives them: the frame's columns, even with no row."""
    return None if frame is None else frame.take(rows).reset_index(drop=True)


def _values(s: pd.Series, kind: str) -> list:
    """One column as plain Python values of its kind, None where blank (converted per column, not per cell)."""
    if kind == "date":
        return _excel_serials(s)
    blank = s.isna().to_numpy()
    if kind in ("int", "num"):
        cast = int if kind == "int" else float
        return [None if b else cast(v) for v, b in zip(pd.to_numeric(s, errors="coerce").tolist(), blank)]
    if kind.startswith("label:"):
        # an unknown code gets no label rather than a guessed one; the code itself stays beside it
        names = labels().get(kind.split(":", 1)[1], {})
        return [None if b else names.get(str(v).strip()) for v, b in zip(s.tolist(), blank)]
    return [None if b else str(v) for v, b in zip(s.tolist(), blank)]


EXCEL_EPOCH = np.datetime64("1899-12-31", "us")  # xlsxwriter's, for Excel's 1900 date system
DAY_US = 86_400_000_000


def _excel_serials(s: pd.Series) -> list:
    """A date column as the serial numbers Excel keeps dates as, None where blank: written as numbers
    in the date format they are the cells write_datetime makes, without its conversion cell by cell
    (~0.01 s of CPU a workbook). xlsxwriter's own arithmetic, done once for the column."""
    t = pd.to_datetime(s, errors="coerce").to_numpy("datetime64[us]")
    blank = np.isnat(t).tolist()
    days, us = np.divmod((t - EXCEL_EPOCH).astype(np.int64), DAY_US)
    seconds, micro = np.divmod(us, 1_000_000)
    serial = days + (seconds + micro / 1e6) / 86400
    serial -= t.astype("datetime64[D]") == np.datetime64("1900-01-01")  # as xlsxwriter does
    serial += serial > 59  # Excel counts 29/02/1900, a day that never was
    return [None if b else v for v, b in zip(serial.tolist(), blank)]


def _date_or_text(v: object) -> dt.datetime | str | None:
    """A target period that is a day (2024-12-31) as a date; a collection year (2024-25) stays text."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    try:
        return dt.datetime.strptime(str(v).strip(), "%Y-%m-%d")
    except ValueError:
        return str(v)


def _sheet(wb, title: str, table_name: str, headers: list[tuple[str, str, int]], columns: list[list],
           page_header: str) -> int:
    """Write one sheet as an Excel table from column lists, set up to print; returns the data rows."""
    ws = wb.add_worksheet(title)
    head = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79", "pattern": 1,
                          "text_wrap": True, "valign": "top"})
    date_fmt = wb.add_format({"num_format": DATE_FORMAT})
    rag = {k: wb.add_format({"bg_color": bg, "font_color": fg, "pattern": 1}) for k, (bg, fg) in RAG_FILLS.items()}

    def write_date_or_text(r, c, v):
        if isinstance(v, dt.datetime):
            ws.write_datetime(r, c, v, date_fmt)
        else:
            ws.write_string(r, c, v)

    # explicit per-kind writers: write() would turn a leading '=' into a formula
    writers = [{"date": partial(ws.write_number, cell_format=date_fmt),  # a serial (_excel_serials)
                "date_or_text": write_date_or_text,
                "int": ws.write_number, "num": ws.write_number,
                "rag": lambda r, c, v: ws.write_string(r, c, v, rag.get(v.lower()))}.get(kind, ws.write_string)
               for _name, kind, _w in headers]
    ws.set_row(0, 32)
    for c, (name, _kind, width) in enumerate(headers):
        ws.set_column(c, c, width, None, {"hidden": name in HIDDEN})
    n = 0
    for n, values in enumerate(zip(*columns), start=1):
        for c, (write, v) in enumerate(zip(writers, values)):
            if v is not None:
                write(n, c, v)
    # a table needs a data row: an empty cohort shows one blank row under its header
    ws.add_table(0, 0, max(n, 1), len(headers) - 1, {
        "name": table_name, "style": "Table Style Light 1",
        "columns": [{"header": name, "header_format": head} for name, _k, _w in headers]})
    ws.freeze_panes(1, 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many long as it takes
    ws.repeat_rows(0)
    ws.set_header(f"&L{_header_text(page_header)}&R&A")
    ws.set_footer("&LPrinted &D&RPage &P of &N")
    return n


def _editable(ws, header: list[str], last_row: int) -> None:
    """Excel's own guard on the SPG's columns: status from a list, due date a real date. A paste
    can bypass both, so the import checks them again."""
    status, due = header.index("Status"), header.index("Due date")
    ws.data_validation(1, status, last_row, status, {
        "validate": "list", "source": list(STATUSES), "error_title": "Status",
        "error_message": f"Choose one of: {', '.join(STATUSES)}"})
    ws.data_validation(1, due, last_row, due, {
        "validate": "date", "criteria": ">=", "value": dt.date(2000, 1, 1), "error_title": "Due date",
        "error_message": "Enter a date, e.g. 31/01/2025"})


def _header_text(text: str) -> str:
    # '&' starts a control code in Excel's page header
    return text.replace("&", "&&")


def write_tracker(db: Path, out: Path, la_code: str | None = None, reveal: dict[str, str] | None = None,
                  run_label: str | None = None, counts: dict | None = None, actions: Path | None = None,
                  slicers: bool = False) -> Path:
    """Write the tracker workbook from the restricted copy (or any DuckDB file with the marts).
    `counts`, when given, receives the rows written and how many carry a CMS id (for audit.reveal_ids).
    `actions`: the actions store whose latest entries fill the editable columns (none: blank)."""
    children, summary, targets = _read(db, la_code)
    return _write(out, carry_forward(children, latest(actions, la_code)), summary, targets, la_code=la_code,
                  reveal=reveal, run_label=run_label, counts=counts, slicers=slicers)


def _write(out: Path, children: pd.DataFrame, summary: pd.DataFrame, targets: pd.DataFrame | None,
           la_code: str | None = None, reveal: dict[str, str] | None = None, run_label: str | None = None,
           counts: dict | None = None, slicers: bool = False) -> Path:
    import xlsxwriter

    # `children` is carry_forward's own new frame: the columns below are added to it in place
    children["days_in_condition"] = (pd.to_datetime(children["as_at_date"])
                                     - pd.to_datetime(children["condition_start"])).dt.days
    children["display_id"] = children["child_id"].astype(str).map(display_ids(children["child_id"].astype(str)))
    cols = list(COLUMNS)
    if reveal is not None:
        children["cms_id"] = children["child_id"].map(reveal)
        cols.insert(1, ("CMS id", "cms_id", "text", 14))
    headers = [(h, kind, w) for h, _c, kind, w in cols]

    # Summary: children per cohort against targets (marts.targets, when issue 4's reference data is loaded)
    target_by = {}
    if targets is not None and not targets.empty:
        for t in targets.sort_values("period").to_dict("records"):
            cid = int(str(t["measure"]).split("_")[1])
            target_by[(str(t["la_code"]), cid)] = t
    found = [target_by.get((str(la), int(cid))) for la, cid in zip(summary["la_code"], summary["cohort_id"])]
    summary_cols = [
        _values(summary["la_code"], "text"), _values(summary["as_at_date"], "date"),
        _values(summary["cohort_id"], "int"), _values(summary["cohort_name"], "text"),
        _values(summary["children"], "int"),
        [None if t is None or pd.isna(t["target"]) else float(t["target"]) for t in found],
        ["not available" if t is None else _date_or_text(t["period"]) for t in found],
        ["not available" if t is None else str(t["status"]) for t in found],
        _values(summary["incomplete_reason"], "text"),
    ]
    scope = f"LA {la_code}" if la_code else "all LAs"
    notes = [
        f"SPG tracker for {scope}, generated {dt.datetime.now():%d/%m/%Y %H:%M}" + (f" from {run_label}" if run_label else ""),
        "Counts are children (a child can be in several cohorts). Source: marts.spg_cohort_summary / "
        "marts.spg_cohort_children; targets: marts.targets (seed la_targets), 'not available' when not loaded. "
        "A coverage or history note means the extract starts too late to be sure of a count or a duration.",
        f"Child: the first {DISPLAY_ID_LENGTH} characters of the pseudonym (more where two children would share "
        "them); the full pseudonym is in the hidden last column of each cohort sheet.",
        "Children are identified by pseudonym." if reveal is None else REVEAL_WARNING,
    ]
    page_header = f"SPG tracker, {scope}" + (" - PERSONAL DATA (CMS ids)" if reveal is not None else "")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    # not constant_memory: add_table needs the cells in memory (see the module note on memory).
    # in_memory: each of the ~30 XML parts is otherwise a temporary file made, zipped and removed
    # (~0.02 s of CPU a workbook, more of waiting), and child-level XML is never left in the temp folder.
    # The strings_to_* options only guard write(); cells here go through typed writers anyway.
    wb = xlsxwriter.Workbook(str(tmp), {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    n = _sheet(wb, "Summary", "Summary_table", SUMMARY_COLUMNS, summary_cols, page_header)
    ws = wb.get_worksheet_by_name("Summary")
    for i, note in enumerate(notes):
        ws.write_string(max(n, 1) + 2 + i, 0, note)
    digests = {}
    # each column converted once for the LA, then cut into its cohorts' rows, in the frame's order
    columns = [_values(children[c], kind) for _h, c, kind, _w in cols]
    ids = children["child_id"].astype(str).tolist()
    cohort_of = children["cohort_id"].to_numpy()
    for cid, title in COHORT_SHEETS.items():
        rows = np.flatnonzero(cohort_of == cid).tolist()
        n = _sheet(wb, title, f"Cohort_{cid}", headers, [[col[i] for i in rows] for col in columns], page_header)
        cohort_ws = wb.get_worksheet_by_name(title)
        _editable(cohort_ws, [h for h, _k, _w in headers], max(n, 1))
        # the table alone, so the slicers beside it never widen the printed page (one page wide)
        cohort_ws.print_area(0, 0, max(n, 1), len(headers) - 1)
        digests[cid] = ids_digest(ids[i] for i in rows)
    # what an import checks the edited workbook against (permanence.tracker.actions.read_workbook)
    as_at = summary["as_at_date"].dropna().max() if "as_at_date" in summary and len(summary) else None
    for name, value in workbook_properties(la_code, as_at, digests).items():
        wb.set_custom_property(name, value)
    wb.close()  # the file only appears here, so a failure above leaves neither tmp nor a half-written out
    try:
        if slicers:  # settings.tracker_slicers: see there why it is off by default
            add_table_slicers(tmp, [SlicerSpec(f"Cohort_{cid}", h) for cid in COHORT_SHEETS
                                    for h in SLICER_COLUMNS if h in [name for name, _k, _w in headers]])
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    if counts is not None:
        counts["rows"] = len(children)
        counts["revealed"] = int(children["cms_id"].notna().sum()) if reveal is not None else 0
    return out
