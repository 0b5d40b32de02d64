"""The SPG's actions per child and cohort: kept across every rebuild (issue 17 point 1).

The tracker workbook (permanence.tracker.workbook) has editable columns: barrier, next action, owner, due
date, status, notes. `permanence tracker import FILE` reads an edited workbook into the actions store
`restricted/spg-actions.duckdb` (0600, in the restricted location: free text is personal data). The
store is a DuckDB file of its own, so no dbt build, publish or erasure rebuild ever replaces it,
and nothing in it reaches the BI copy.

- Append-only: an import appends an entry only where a row's editable values differ from what the
  workbook was written with (the latest entry recorded before the workbook's generation stamp), so
  an older workbook imported with --force changes only what was edited in it. Nothing is updated or
  deleted, except by `permanence erase` (the child's entries go, and the file is rewritten so their
  text is not left in free pages) and `permanence rekey` (pseudonyms renamed, text kept).
- Keyed by LA, pseudonym and cohort: a child who leaves a cohort keeps their entries; if they
  re-enter, the next tracker shows them again.
- Each import records who (--by or the OS user), when, the workbook's SHA-256, its LA, as-at date
  and generation stamp. A workbook generated before the LA's latest imported one is refused unless
  forced, so last week's copy cannot silently undo this week's meeting.
- A workbook with any problem is refused whole, every problem listed by sheet, row, column and
  rule: never a cell's text or a full pseudonym.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from permanence.tracker.layout import COHORT_SHEETS, COLUMNS, EDITABLE, FIELDS, STATUSES

STORE_NAME = "spg-actions.duckdb"
CLOSED = ("done", "dropped")
MAX_TEXT = 2000  # a pasted document is not an action; Excel's own cell limit is 32767
# Workbook custom properties carrying what an import needs to know about the workbook it reads
PROP_PREFIX = "permanence_"
FORMAT_VERSION = "1"
PSEUDONYM = re.compile(r"[0-9a-f]{64}")

DDL = [
    """create table if not exists entries (
        la_code varchar not null, child_id varchar not null, cohort_id integer not null,
        barrier varchar, next_action varchar, owner varchar, due_date date, status varchar, notes varchar,
        seq bigint not null, import_id varchar not null, recorded_at timestamp not null, recorded_by varchar not null)""",
    """create table if not exists imports (
        import_id varchar, la_code varchar, file_name varchar, workbook_sha256 varchar, as_at_date date,
        generated_at timestamp, generation varchar, imported_at timestamp, imported_by varchar,
        rows_read bigint, entries_appended bigint, forced boolean)""",
]


class ImportRefused(RuntimeError):
    """The workbook was not imported; nothing was recorded. `problems` name sheet, row, column, rule."""

    def __init__(self, message: str, hint: str | None = None, problems: list[str] | None = None):
        super().__init__(message)
        self.hint = hint
        self.problems = problems or []


@dataclass
class Imported:
    import_id: str
    la_code: str
    rows_read: int = 0
    appended: int = 0
    forced: bool = False
    per_cohort: dict[int, int] = field(default_factory=dict)


def store_path(settings) -> Path:
    return settings.restricted_dir / STORE_NAME


def _connect(path: Path, read_only: bool = False):
    """The store, waiting a little for another process's import or tracker (DuckDB's file lock)."""
    import duckdb

    for attempt in range(20):
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException:
            if attempt == 19:
                raise
            time.sleep(0.5)


def latest(store: Path | None, la_code: str | None = None, before: dt.datetime | None = None) -> pd.DataFrame:
    """The latest entry per (LA, child, cohort), of those recorded before `before` when given."""
    cols = ["la_code", "child_id", "cohort_id", *FIELDS]
    if store is None or not Path(store).exists():
        return pd.DataFrame(columns=cols)
    where, params = [], []
    if la_code:
        where.append("la_code = ?")
        params.append(la_code)
    if before is not None:
        where.append("recorded_at <= ?")
        params.append(before)
    with _connect(Path(store), read_only=True) as con:
        return con.execute(
            f"select {', '.join(cols)} from entries {'where ' + ' and '.join(where) if where else ''} "
            "qualify row_number() over (partition by la_code, child_id, cohort_id order by seq desc) = 1",
            params).df()


def carry_forward(children: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """The tracker's rows with the latest entry of each child and cohort (`found`, from `latest`) in the
    editable columns. A new frame: `children` is left as it is."""
    keys = ["la_code", "child_id", "cohort_id"]
    out = children.drop(columns=[c for c in FIELDS if c in children.columns])
    if found.empty:
        for c in FIELDS:
            out[c] = None
        return out
    found = found.astype({"la_code": str, "child_id": str, "cohort_id": int})
    left = out.assign(_la=out["la_code"].astype(str), _id=out["child_id"].astype(str), _c=out["cohort_id"].astype(int))
    merged = left.merge(found.rename(columns=dict(zip(keys, ["_la", "_id", "_c"]))), how="left", on=["_la", "_id", "_c"])
    return merged.drop(columns=["_la", "_id", "_c"])


def ids_digest(pseudonyms) -> str:
    """What a cohort sheet was written with: its rows and the SHA-256 of its sorted pseudonyms."""
    ids = sorted(str(p) for p in pseudonyms)
    return f"{len(ids)}:{hashlib.sha256(chr(10).join(ids).encode()).hexdigest()}"


def workbook_properties(la_code: str | None, as_at, digests: dict[int, str]) -> dict[str, str]:
    """The custom properties write_tracker sets: the LA, D, when it was generated, and each sheet's ids."""
    props = {"tracker_format": FORMAT_VERSION, "la_code": la_code or "",
             "as_at_date": "" if as_at is None or pd.isna(as_at) else f"{pd.Timestamp(as_at):%Y-%m-%d}",
             "generated_at": dt.datetime.now().isoformat(timespec="microseconds"),
             "generation": secrets.token_hex(8)}
    props |= {f"ids_cohort_{cid}": d for cid, d in digests.items()}
    return {PROP_PREFIX + k: v for k, v in props.items()}


def _init(con) -> None:
    for ddl in DDL:
        con.execute(ddl)


# ------------------------------------------------------------------------------------------ import


def _short(p: object) -> str:
    return str(p)[:8]


def _cell_problem(value, kind: str) -> tuple[object, str | None]:
    """(the value to store, or a rule it breaks) for one editable cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date(), None
        if isinstance(value, dt.date):
            return value, None
        if isinstance(value, str):
            return None, "date typed as text (enter a date, e.g. 31/01/2025)"
        return None, "not a date"
    if kind == "status":
        s = str(value).strip().lower()
        return (s, None) if s in STATUSES else (None, f"status not one of: {', '.join(STATUSES)}")
    if isinstance(value, (dt.datetime, dt.date)):
        return f"{value:%d/%m/%Y}", None
    if isinstance(value, bool):
        return None, "not text"
    s = str(value).strip() if not isinstance(value, float) or not value.is_integer() else str(int(value))
    if len(s) > MAX_TEXT:
        return None, f"longer than {MAX_TEXT} characters"
    return s, None


def read_workbook(path: Path, known_las: list[str], la_code: str | None = None) -> tuple[dict, list[dict], list[str]]:
    """(the workbook's properties, its rows as entries, the problems found) without recording anything."""
    import warnings
    import zipfile

    import openpyxl

    try:
        with warnings.catch_warnings():
            # the tracker's slicers live in extensions openpyxl does not read; they are not data
            warnings.filterwarnings("ignore", "Unknown extension is not supported", UserWarning)
            wb = openpyxl.load_workbook(path)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportRefused(f"{path.name}: not an Excel workbook (.xlsx) that can be read ({type(exc).__name__})",
                            "give the spg-tracker-<LA>.xlsx workbook as saved from Excel") from None
    props = {p.name[len(PROP_PREFIX):]: str(p.value) for p in wb.custom_doc_props.props
             if p.name.startswith(PROP_PREFIX)}
    if props.get("tracker_format") != FORMAT_VERSION or "generated_at" not in props:
        raise ImportRefused(f"{path.name}: not an SPG tracker written by this version of permanence "
                            "(its workbook properties are missing)",
                            "import a workbook written by `permanence tracker` or the nightly run")
    la = props.get("la_code", "")
    if not re.fullmatch(r"\d{3}", la) or la not in known_las:
        raise ImportRefused(f"{path.name}: written for an unknown LA ({'none' if not la else la}); LAs in the "
                            f"warehouse: {', '.join(known_las) or 'none'}",
                            "import the workbook of one LA, as the nightly run writes it (spg-tracker-<LA>.xlsx)")
    if la_code and la != la_code:
        raise ImportRefused(f"{path.name}: a workbook of LA {la}, not of LA {la_code}",
                            "import each LA's own workbook, or leave out --la")
    try:
        props["generated"] = dt.datetime.fromisoformat(props["generated_at"])
    except ValueError:
        raise ImportRefused(f"{path.name}: its generation stamp is not a time", "import the workbook as written") from None

    problems: list[str] = []
    expected = {"Summary", *COHORT_SHEETS.values()}
    for i, title in enumerate(wb.sheetnames, start=1):
        if title not in expected:  # named by position: a typed sheet name may be anything, a child's name too
            problems.append(f"sheet {i}: not one of the tracker's sheets (renamed or added?)")
    headers = [h for h, _c, _k, _w in COLUMNS]
    kinds = {h: ("status" if c == "status" else k) for h, c, k, _w in EDITABLE}
    entries: list[dict] = []
    for cid, title in COHORT_SHEETS.items():
        if title not in wb.sheetnames:
            problems.append(f"sheet {title!r}: missing (renamed or deleted?)")
            continue
        ws = wb[title]
        header = [c.value for c in ws[1]]
        missing = [h for h in headers if h not in header]
        if missing:
            problems += [f"sheet {title!r}, column {h!r}: missing (renamed or deleted?)" for h in missing]
            continue
        at = {h: header.index(h) for h in headers}
        seen: dict[str, int] = {}
        for r, row in enumerate(ws.iter_rows(min_row=2), start=2):
            values = [c.value for c in row]
            if all(v is None for v in values):
                continue
            where = f"sheet {title!r}, row {r}"
            for c in row:
                if c.data_type == "f":
                    problems.append(f"{where}, column {_col(header, c.column)}: a formula (type the value)")
            p = values[at["Pseudonym (full)"]]
            shown = values[at["Child"]]
            if not isinstance(p, str) or not PSEUDONYM.fullmatch(p):
                problems.append(f"{where}, column 'Pseudonym (full)': changed or deleted (not a pseudonym)")
                continue
            if not isinstance(shown, str) or len(shown) < 8 or not p.startswith(shown):
                problems.append(f"{where}, column 'Child': changed (does not match the hidden pseudonym {_short(p)})")
            if values[at["LA"]] != la:
                problems.append(f"{where}, column 'LA': another LA's row (the workbook is LA {la})")
            if p in seen:
                problems.append(f"{where}: child {_short(p)} again (first in row {seen[p]})")
                continue
            seen[p] = r
            entry = {"la_code": la, "child_id": p, "cohort_id": cid}
            for h, col, _k, _w in EDITABLE:
                cell = row[at[h]]
                value, rule = (None, None) if cell.data_type == "f" else _cell_problem(cell.value, kinds[h])
                if rule:
                    problems.append(f"{where}, column {h!r}: {rule}")
                entry[col] = value
            entries.append(entry)
        written = props.get(f"ids_cohort_{cid}")
        if written is not None and ids_digest(seen) != written:
            problems.append(f"sheet {title!r}: its children differ from those written ({written.split(':')[0]} "
                            f"written, {len(seen)} here): a row was deleted or added, or an id changed")
    return props, entries, problems


def _col(header: list, column: int) -> str:
    name = header[column - 1] if column - 1 < len(header) else None
    return repr(name) if name else f"#{column}"


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def import_workbook(store: Path, path: Path, known_las: list[str], by: str, la_code: str | None = None,
                    force: bool = False) -> Imported:
    """Read an edited tracker and append its changed entries to the store, or refuse it whole."""
    from permanence.ops.security import private_files

    props, entries, problems = read_workbook(path, known_las, la_code)
    la = props["la_code"]
    if problems:
        raise ImportRefused(f"{path.name}: {len(problems)} problem{'s' if len(problems) > 1 else ''} in the workbook; "
                            "nothing was imported", "correct the cells named above in Excel and import it again",
                            problems)
    sha = _file_sha(path)
    generated = props["generated"]
    job = Imported(f"{dt.datetime.now():%Y%m%dT%H%M%S}-import-{secrets.token_hex(3)}", la, rows_read=len(entries),
                   forced=force)
    with private_files():
        store.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        con = _connect(store)
    try:
        _init(con)
        newest = con.execute("select max(generated_at) from imports where la_code = ?", [la]).fetchone()[0]
        if newest is not None and generated < newest and not force:
            raise ImportRefused(
                f"{path.name}: written {generated:%d/%m/%Y %H:%M}, before the LA {la} workbook imported last "
                f"(written {newest:%d/%m/%Y %H:%M}); nothing was imported",
                "import the latest workbook (the nightly one in the restricted folder), or add --force to record "
                "the edits made in this one")
        # what the workbook was written with: only a difference from it is an edit
        con_rows = con.execute(
            f"select child_id, cohort_id, {', '.join(FIELDS)} from entries where la_code = ? and recorded_at <= ? "
            "qualify row_number() over (partition by child_id, cohort_id order by seq desc) = 1",
            [la, generated]).df()
        base = {(r["child_id"], int(r["cohort_id"])): r for r in _records(con_rows)}
        now = dt.datetime.now()
        seq = con.execute("select coalesce(max(seq), 0) from entries").fetchone()[0]
        new = []
        for e in entries:
            before = base.get((e["child_id"], e["cohort_id"]))
            was = {f: (before or {}).get(f) for f in FIELDS}
            if all(_same(e[f], was[f]) for f in FIELDS):
                continue
            seq += 1
            new.append({**{k: e[k] for k in ("la_code", "child_id", "cohort_id")}, **{f: e[f] for f in FIELDS},
                        "seq": seq, "import_id": job.import_id, "recorded_at": now, "recorded_by": by})
            job.per_cohort[e["cohort_id"]] = job.per_cohort.get(e["cohort_id"], 0) + 1
        job.appended = len(new)
        con.execute("begin transaction")
        if new:
            frame = pd.DataFrame(new, columns=["la_code", "child_id", "cohort_id", *FIELDS, "seq", "import_id",
                                               "recorded_at", "recorded_by"])
            frame["due_date"] = pd.to_datetime(frame["due_date"]).dt.date
            con.register("new_entries", frame)
            con.execute("insert into entries select la_code, child_id, cohort_id, barrier, next_action, owner, "
                        "cast(due_date as date), status, notes, seq, import_id, recorded_at, recorded_by from new_entries")
        con.execute("insert into imports values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [job.import_id, la, path.name, sha, props.get("as_at_date") or None, generated,
                     props.get("generation"), now, by, len(entries), len(new), force])
        con.execute("commit")
    finally:
        con.close()
    store.chmod(0o600)
    return job


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if _blank(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]


def _blank(v) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _same(a, b) -> bool:
    if _blank(a) or _blank(b):
        return _blank(a) and _blank(b)
    if isinstance(a, (dt.date, pd.Timestamp)) or isinstance(b, (dt.date, pd.Timestamp)):
        return pd.Timestamp(a).date() == pd.Timestamp(b).date()
    return str(a) == str(b)


# ------------------------------------------------------------------------------------------ report


def actions_overdue(store: Path, on: dt.date, la_code: str | None = None) -> dict[str, int]:
    """Open actions past their due date on `on` (D), per LA, from the entries recorded by the end of D.

    Open: a due date set and a status other than done or dropped (blank counts as open). An LA none
    of whose workbooks was imported by then is absent: 'no tracker imported', never a 0."""
    store = Path(store)
    if not store.exists():
        return {}
    end = dt.datetime.combine(on, dt.time.max)
    with _connect(store, read_only=True) as con:
        las = [r[0] for r in con.execute("select distinct la_code from imports where imported_at <= ?"
                                         + (" and la_code = ?" if la_code else ""),
                                         [end, *([la_code] if la_code else [])]).fetchall()]
        rows = dict(con.execute(
            f"""select la_code, count(*) from (
                  select * from entries where recorded_at <= ?
                  qualify row_number() over (partition by la_code, child_id, cohort_id order by seq desc) = 1)
                where due_date < ? and coalesce(status, 'open') not in ({', '.join('?' * len(CLOSED))})
                group by 1""", [end, on, *CLOSED]).fetchall())
    return {la: int(rows.get(la, 0)) for la in sorted(las)}


# ------------------------------------------------------------------------------- erasure and rekey


def count_child(store: Path, la_code: str, pseudonym: str) -> int:
    if not Path(store).exists():
        return 0
    with _connect(Path(store), read_only=True) as con:
        return con.execute("select count(*) from entries where la_code = ? and child_id = ?",
                           [la_code, pseudonym]).fetchone()[0]


def _rewrite(store: Path, statements: list[tuple[str, list]], frames: dict[str, pd.DataFrame] | None = None) -> None:
    """Apply the statements, then copy the store into a new file that replaces it: DuckDB leaves
    deleted rows in free blocks until they are reused, and an erased child's text must not stay."""
    from permanence.ops.security import private_files

    tmp = store.with_name(f".{store.name}.{os.getpid()}.tmp")
    # a killed erase's copy holds the text it was removing; erase and rekey run one at a time
    for leftover in store.parent.glob(f".{store.name}.*.tmp*"):
        leftover.unlink(missing_ok=True)
    with private_files():
        con = _connect(store)
        try:
            for name, frame in (frames or {}).items():
                con.register(name, frame)
            con.execute("begin transaction")
            for sql, params in statements:
                con.execute(sql, params)
            con.execute("commit")
            con.execute(f"attach '{tmp}' as fresh")
            name = con.execute("select current_database()").fetchone()[0]
            con.execute(f'copy from database "{name}" to fresh')
            con.execute("detach fresh")
        except BaseException:
            con.close()
            tmp.unlink(missing_ok=True)
            raise
        con.close()
    tmp.chmod(0o600)
    os.replace(tmp, store)
    store.with_name(store.name + ".wal").unlink(missing_ok=True)


def erase_child(store: Path, la_code: str, pseudonym: str) -> int:
    """Remove every entry of one child (permanence erase). Returns how many went."""
    n = count_child(store, la_code, pseudonym)
    if Path(store).exists():  # even with none left: a rerun after a kill still rewrites the free pages away
        _rewrite(Path(store), [("delete from entries where la_code = ? and child_id = ?", [la_code, pseudonym])])
    return n


def rekey_store(store: Path, pairs: dict[str, str]) -> int:
    """Rename pseudonyms old -> new (permanence rekey), so the entries follow their children."""
    if not Path(store).exists() or not pairs:
        return 0
    frame = pd.DataFrame({"old": list(pairs), "new": list(pairs.values())}, dtype=object)
    with _connect(Path(store), read_only=True) as con:
        con.register("pairs", frame)
        n = con.execute("select count(*) from entries e join pairs p on p.old = e.child_id").fetchone()[0]
    if n:
        _rewrite(Path(store), [("update entries as e set child_id = p.new from pairs p where e.child_id = p.old", [])],
                 {"pairs": frame})
    return n
