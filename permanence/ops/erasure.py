"""Erase one child, or re-pseudonymise the whole history under a new key, then rebuild and republish.

`erase`: the child's pseudonym (HMAC of the CMS id under the warehouse's key) names their rows in
every raw table of the LA; the archived drop files holding the CMS id are rewritten without the
child's records, and the raw rows read from those files follow them (their source hash becomes the
new file's, their source row the line or record it now is), so raw still traces to the archive
exactly and a rebuild from the edited archive is the same warehouse. Then every model is rebuilt
from scratch, checked, published, and the older Parquet snapshots lose the child's rows too.

`rekey`: every pseudonym in raw is recomputed from the archived CMS ids under the new key (the
archive keeps every drop whose rows are in raw: permanence.ops.retention), in one transaction, then
the same rebuild. The rekey's audit row names the new key's fingerprint, which is from then on the
only key a run is accepted with (warehouse.check_key).

Audit (audit.erasures, audit.erasure_files, audit.rekeys) holds counts, hashes of files, the
SHA-256 of the erased pseudonym and key fingerprints: never a CMS id or a pseudonym.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from permanence import contract, warehouse

from permanence.tracker import actions
from permanence.config import Settings
from permanence.contract.frames import ROW, ExtractFrame, StructuralError
from permanence.ingest.pseudonymise import pseudonym, resolve_key
from permanence.ops.security import (UnsafeSetup, check_key_file, check_key_strength, check_la_code, ensure_private_dir,
                                 key_fingerprint, private_files)

DATA_SUFFIXES = {".csv", ".txt", ".xml"}
# Columns of the marts (and so of their Parquet snapshots) that hold pseudonyms.
MART_CHILD_COLUMNS = ("child_id",)
MART_STAFF_COLUMNS = ("social_worker_id", "sw_id")


class Refused(RuntimeError):
    """A request that cannot be done as asked; nothing was changed. `hint` says what to do instead."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


class RebuildFailed(RuntimeError):
    """The raw tables and archive were changed but the rebuild or checks failed: nothing published."""


# -------------------------------------------------------------------------------- archive files


def archived_folders(settings: Settings, la_code: str | None = None) -> list[Path]:
    """Every archived drop folder (archive/<la>/<extract date>/<fingerprint>), of one LA or all."""
    base = settings.archive_dir
    if not base.is_dir():
        return []
    pattern = f"{la_code}/*/*" if la_code else "[0-9][0-9][0-9]/*/*"
    return sorted(p for p in base.glob(pattern) if p.is_dir() and not p.parent.name.startswith("."))


def _data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.is_symlink() and p.suffix.lower() in DATA_SUFFIXES)


def _read(path: Path) -> list[ExtractFrame]:
    from permanence.ingest.read import read_csv_file, read_xml_file

    if path.suffix.lower() == ".xml":
        return read_xml_file(path)[0]
    ef = read_csv_file(path)[0]
    return [ef] if ef is not None else []


def _child_rows(frames: list[ExtractFrame], child_id: str) -> set[int]:
    """The reader's row numbers (CSV: line; XML: record) of the child's records."""
    rows: set[int] = set()
    for ef in frames:
        col = ef.table.child_column
        if col in ef.frame.columns:
            rows |= set(ef.frame.loc[ef.frame[col] == child_id, ROW].astype(int))
    return rows


def _without_csv(data: bytes, rows: set[int]) -> bytes:
    """The file's bytes without the given lines (1 = header), everything else byte for byte."""
    lines = data.splitlines(keepends=True)
    return b"".join(line for i, line in enumerate(lines, start=1) if i not in rows)


def _without_xml(path: Path, child_id: str) -> bytes:
    from lxml import etree

    tree = etree.parse(str(path), etree.XMLParser(huge_tree=True, remove_blank_text=False))
    for el in list(tree.iter("CHILD")):
        ids = [c.text for c in el if c.tag == "CHILDID"]
        if ids and (ids[0] or "").strip() == child_id:
            el.getparent().remove(el)
    return etree.tostring(tree, xml_declaration=True, encoding=tree.docinfo.encoding or "UTF-8")


@dataclass
class Rewrite:
    path: Path
    old_sha256: str
    new_sha256: str
    old_bytes: int
    data: bytes
    removed: list[int]  # the reader's row numbers removed, in the old file


def _shifted(rows: pd.Series, removed: list[int]) -> pd.Series:
    return rows - rows.map(lambda r: sum(1 for x in removed if x < r))


def plan_rewrite(path: Path, child_id: str) -> Rewrite | None:
    """The file without the child's records, checked by reading it back: every other record the
    same, at the row number it moves to. None: the child is not in the file."""
    data = path.read_bytes()
    if child_id.encode() not in data:
        return None  # cheap pre-filter: most files of a long archive do not name the child
    frames = _read(path)  # StructuralError: a file of a refused drop; the caller reports it
    removed = sorted(_child_rows(frames, child_id))
    if not removed:
        return None
    new = _without_xml(path, child_id) if path.suffix.lower() == ".xml" else _without_csv(data, set(removed))
    # Read back beside the original (same suffix, so the same reader), before anything is replaced.
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.check{path.suffix}")
    folder_mode = stat.S_IMODE(path.parent.stat().st_mode)
    path.parent.chmod(folder_mode | stat.S_IWUSR)
    try:
        tmp.write_bytes(new)
        check = _read(tmp)
    finally:
        tmp.unlink(missing_ok=True)
        path.parent.chmod(folder_mode)
    expected = {}
    for ef in frames:
        keep = ef.frame[~ef.frame[ROW].isin(removed)].copy()
        keep[ROW] = _shifted(keep[ROW], removed)
        expected[ef.table.name] = keep.reset_index(drop=True)
    got = {ef.table.name: ef.frame.reset_index(drop=True) for ef in check}
    if not all(_same(expected.get(t), got.get(t)) for t in expected.keys() | got.keys()):
        raise Refused(f"{path.name}: cannot be rewritten without the child's records and read back the same "
                      "(a record spanning lines?); nothing was changed",
                      "remove the child's records from that archived file by hand, or ask for a new drop")
    return Rewrite(path, hashlib.sha256(data).hexdigest(), hashlib.sha256(new).hexdigest(), len(data), new, removed)


def _same(a: pd.DataFrame | None, b: pd.DataFrame | None) -> bool:
    if a is None or a.empty or b is None or b.empty:
        return (a is None or a.empty) and (b is None or b.empty)
    cols = sorted(set(a.columns) | set(b.columns))
    return a.reindex(columns=cols).fillna("").astype(str).equals(b.reindex(columns=cols).fillna("").astype(str))


def _replace_archived(rw: Rewrite) -> None:
    """Write the new file over the archived one, keeping the archive's modes (0400 in a 0500 folder)."""
    folder = rw.path.parent
    folder_mode = stat.S_IMODE(folder.stat().st_mode)
    file_mode = stat.S_IMODE(rw.path.stat().st_mode)
    folder.chmod(folder_mode | stat.S_IWUSR)
    try:
        tmp = folder / f".{rw.path.name}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(rw.data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(file_mode)
        os.replace(tmp, rw.path)
    finally:
        folder.chmod(folder_mode)


# -------------------------------------------------------------------------------------- rebuild


def rebuild_and_publish(settings: Settings, run_name: str) -> Path | None:
    """Every model rebuilt from raw (full refresh: the per-LA incremental models cannot see rows
    removed or renamed under the same load id), the mart checks, then publish as a nightly run does.
    A failure raises RebuildFailed and publishes nothing: the last published copy stays."""
    from permanence import pipeline
    from permanence.publish.copies import record_publication
    from permanence.transform.dbt import DbtError, run_dbt

    try:
        outcome = run_dbt("build", warehouse=settings.warehouse_path, artifacts_dir=settings.dbt_target_dir,
                          exclude="test_type:unit", full_refresh=True, **pipeline._dbt_target(settings))
    except DbtError as exc:
        raise RebuildFailed(f"dbt build failed: {exc}") from None
    # a table of a model since renamed would still hold the erased child's rows
    pipeline.drop_orphans(settings, outcome)
    from validations.marts.expectations import run_mart_checks

    outcome = run_mart_checks(settings, settings.reports_dir / "data-docs" / run_name, run_name=run_name,
                              dbt_target=settings.dbt_target_dir / "target")
    if not outcome.success:
        raise RebuildFailed(f"mart checks failed: {outcome.summary()} (Data Docs: {outcome.docs_index})")
    if settings.target != "duckdb":  # PostgreSQL: readers query the database; dbt's rebuild dropped the grants
        from permanence.publish.tiers import secure_postgres

        secure_postgres(settings)
        with warehouse.connect(settings) as con:
            warehouse.mark_rebuilt(con, f"marts rebuilt ({run_name})")
        return None
    with warehouse.connect(settings) as con:
        current = [r[0] for r in con.execute("select load_id from raw.current_load").fetchall()]
        con.execute("CHECKPOINT")
        pub, restricted = pipeline.publish_copies(settings, con=con)  # the two tiers, as a nightly publish
        record_publication(con, current, restricted)
        record_publication(con, current, pub)
    from permanence.tracker.workbook import write_la_trackers

    write_la_trackers(restricted.path, settings.restricted_dir, run_label=str(restricted.path),
                      slicers=settings.tracker_slicers, workers=settings.workers)
    with warehouse.connect(settings) as con:
        warehouse.mark_rebuilt(con, f"marts rebuilt and published ({run_name})")
    return restricted.path  # the copy that holds the child-level marts the erasure reached


def _rewrite_parquet(settings: Settings, select_sql, pairs: dict[str, str] | None = None) -> int:
    """Rewrite every Parquet snapshot file holding one of the mart pseudonym columns.

    select_sql(columns) -> a SELECT over the view `src` (the file), or None to leave the file alone;
    `pairs` (old -> new pseudonym) is the table `rekey_pairs` it may read. Each file is written
    aside and replaced, keeping its mode (the BI group may read it)."""
    import duckdb

    from permanence.publish.copies import copy_parquet

    root = settings.published_dir / "parquet"
    if not root.is_dir():
        return 0
    rewritten = 0
    with duckdb.connect() as con:
        if pairs is not None:
            con.register("rekey_pairs", pd.DataFrame({"old": list(pairs), "new": list(pairs.values())}, dtype=object))
        # <day>/<mart>/<mart>.parquet, and <day>/<mart>.parquet as snapshots before one folder per mart
        for f in sorted([*root.glob("*/*.parquet"), *root.glob("*/*/*.parquet")]):
            day = f.parent if f.parent.parent == root else f.parent.parent
            if day.is_symlink() or day.name.startswith(".") or f.parent.name.startswith("."):
                continue
            cols = [r[0] for r in con.execute("select name from parquet_schema(?)", [str(f)]).fetchall()]
            sql = select_sql(cols)
            if sql is None:
                continue
            tmp = f.with_name(f".{f.name}.{os.getpid()}.tmp")
            con.execute(f"create or replace temp view src as select * from read_parquet('{f}')")
            copy_parquet(con, sql, tmp, f.stem)  # the mart's documentation is written again
            tmp.chmod(stat.S_IMODE(f.stat().st_mode) | stat.S_IRUSR)
            os.replace(tmp, f)
            rewritten += 1
    return rewritten


# ---------------------------------------------------------------------------------------- erase


@dataclass
class Erasure:
    erasure_id: str
    la_code: str
    rows_per_table: dict[str, int] = field(default_factory=dict)
    files: list[Rewrite] = field(default_factory=list)
    parquet_files: int = 0
    published: Path | None = None
    resumed: bool = False  # an earlier erasure of this child stopped before its republish
    unreadable: list[str] = field(default_factory=list)  # archived files naming the id that no reader parses
    actions_removed: int = 0  # the SPG's action entries (permanence.tracker.actions), free text about the child

    @property
    def rows_removed(self) -> int:
        return sum(self.rows_per_table.values())


def _key(settings: Settings) -> bytes:
    return resolve_key(settings.hmac_key, settings.hmac_key_block, settings.hmac_key_file)[0]


def _check_warehouse_key(con, fingerprint: str) -> None:
    row = warehouse.warehouse_key(con)
    if row and row[0] != fingerprint:
        raise Refused(f"the configured pseudonymisation key (fingerprint {fingerprint}) is not this warehouse's "
                      f"(fingerprint {row[0]}); nothing was changed",
                      "set PERMANENCE_HMAC_KEY / PERMANENCE_HMAC_KEY_FILE to the key the nightly run uses")


def _check_key_against_raw(con, settings: Settings, key: bytes, la_code: str) -> None:
    """For a warehouse whose loads predate key fingerprints: the key must turn some archived CMS id
    of the LA into a pseudonym that is in raw, or an erasure would rewrite the archive and miss raw."""
    import itertools

    if not con.execute("select count(*) from raw.header where la_code = ?", [la_code]).fetchone()[0]:
        return
    for folder in archived_folders(settings, la_code):
        for path in _data_files(folder):
            try:
                frames = _read(path)
            except StructuralError:
                continue
            for ef in frames:
                ids = list(itertools.islice(ef.frame[ef.table.child_column].dropna().unique(), 50))
                if not ids:
                    continue
                found = con.execute(
                    f'select count(*) from raw.{ef.table.name} where la_code = ? and "{ef.table.child_column.lower()}" '
                    f'in ({", ".join("?" * len(ids))})', [la_code, *[pseudonym(key, la_code, i) for i in ids]]).fetchone()[0]
                if found:
                    return
    raise Refused(f"the configured pseudonymisation key turns none of LA {la_code}'s archived ids into a pseudonym "
                  "in raw: it is not the key the loads were made with; nothing was changed",
                  "set PERMANENCE_HMAC_KEY / PERMANENCE_HMAC_KEY_FILE to the key the nightly run uses")


def _known_las(con, settings: Settings) -> list[str]:
    in_audit = {r[0] for r in con.execute("select distinct la_code from audit.loads where la_code is not null").fetchall()}
    on_disk = {p.name for p in settings.archive_dir.glob("[0-9][0-9][0-9]")} if settings.archive_dir.is_dir() else set()
    return sorted(in_audit | on_disk)


def _existing_warehouse(settings: Settings) -> None:
    """Erase and rekey act on a warehouse that exists: a mistyped --data-dir must not create one."""
    if settings.target == "duckdb" and not settings.warehouse_path.is_file():
        raise Refused(f"{settings.warehouse_label}: no warehouse there; nothing was changed",
                      "give the nightly run's --data-dir (or PERMANENCE_DATA_DIR / PERMANENCE_WAREHOUSE)")


def _pseudonym_sha(p: str) -> str:
    return hashlib.sha256(p.encode()).hexdigest()


def erase(settings: Settings, la_code: str, child_id: str) -> Erasure:
    """Remove one child (their CMS id, as in the drop) from raw, the archive and every mart."""
    try:
        check_la_code(la_code)
    except UnsafeSetup as exc:
        raise Refused(str(exc), "give the DfE 3-digit code of the LA whose drop held the child") from None
    child_id = (child_id or "").strip()
    if not child_id:
        raise Refused("--child is empty", "give the child's CMS id as it appears in the drop's CHILD column")
    _existing_warehouse(settings)
    ensure_private_dir(settings.data_dir, settings.bi_group)
    key = _key(settings)
    fingerprint = key_fingerprint(key)
    p = pseudonym(key, la_code, child_id)
    tag = _pseudonym_sha(p)
    job = Erasure(f"{dt.datetime.now():%Y%m%dT%H%M%S}-erase-{secrets.token_hex(3)}", la_code)
    with private_files(), warehouse.exclusive(settings):
        with warehouse.connect(settings) as con:
            warehouse.create_schema(con)
            _check_warehouse_key(con, fingerprint)
            las = _known_las(con, settings)
            if la_code not in las:
                raise Refused(f"LA {la_code} has no loads or archive in this warehouse; nothing was changed",
                              f"LAs here: {', '.join(las) or 'none'}")
            if warehouse.warehouse_key(con) is None:
                _check_key_against_raw(con, settings, key, la_code)
            for name, t in contract.tables().items():
                col = t.child_column.lower()
                n = con.execute(f'select count(*) from raw.{name} where la_code = ? and "{col}" = ?', [la_code, p]).fetchone()[0]
                if n:
                    job.rows_per_table[name] = n
            # An earlier erasure of this child that stopped before its republish: finish it.
            last = con.execute("select status from audit.erasures where pseudonym_sha256 = ? and la_code = ? "
                               "order by erased_at desc limit 1", [tag, la_code]).fetchone()
            unfinished = bool(last and last[0] == "erased")
        store = actions.store_path(settings)
        job.actions_removed = actions.count_child(store, la_code, p)
        for folder in archived_folders(settings, la_code):
            for path in _data_files(folder):
                try:
                    rw = plan_rewrite(path, child_id)
                except StructuralError:
                    # A refused drop's file that cannot be parsed, so not rewritten record by
                    # record: named to the operator (it may hold the id), never passed over silently.
                    job.unreadable.append(str(path.relative_to(settings.data_dir)))
                    continue
                if rw is not None:
                    job.files.append(rw)
        if not job.rows_per_table and not job.files and not job.actions_removed:
            if job.unreadable and not unfinished:
                raise Refused(f"the child is in none of LA {la_code}'s raw tables or readable archived files, but "
                              f"{len(job.unreadable)} unparseable files of refused drops contain the id's text: "
                              f"{', '.join(job.unreadable)}; nothing was changed",
                              "delete those files (their drops were never loaded), or let retention remove them")
            if not unfinished:
                raise Refused(f"no child with that id in LA {la_code}'s raw tables or archive; nothing was changed",
                              "give the CMS id exactly as in the drop's CHILD column (not the pseudonym), and the LA that sent it")
            job.resumed = True
        with warehouse.connect(settings) as con:
            with warehouse.transaction(con):
                for name, t in contract.tables().items():
                    if name in job.rows_per_table:
                        col = t.child_column.lower()
                        con.execute(f'delete from raw.{name} where la_code = ? and "{col}" = ?', [la_code, p])
                for rw in job.files:
                    # The rows read from the rewritten file now point at it: its hash, their new line.
                    shift = " + ".join(["(case when source_row > ? then 1 else 0 end)"] * len(rw.removed))
                    for name in contract.tables():
                        con.execute(
                            f"update raw.{name} set source_row = source_row - ({shift}), source_sha256 = ? "
                            "where la_code = ? and source_sha256 = ?",
                            [*rw.removed, rw.new_sha256, la_code, rw.old_sha256])
                warehouse.record_rows(con, "erasure_files", [
                    {"erasure_id": job.erasure_id, "file": str(rw.path.relative_to(settings.data_dir)),
                     "old_sha256": rw.old_sha256, "new_sha256": rw.new_sha256, "old_bytes": rw.old_bytes,
                     "new_bytes": len(rw.data), "records_removed": len(rw.removed)} for rw in job.files])
                if job.actions_removed:  # the store is rewritten after the commit, as the archived files are
                    warehouse.record_rows(con, "erasure_files", [{
                        "erasure_id": job.erasure_id, "file": str(store.relative_to(settings.data_dir)),
                        "old_sha256": actions._file_sha(store), "new_sha256": None, "old_bytes": store.stat().st_size,
                        "new_bytes": None, "records_removed": job.actions_removed}])
                _record_erasure(con, job, tag, fingerprint, "erased",
                                "raw rows and archived records removed; rebuild next")
        # Files after the commit: if this stops part way, running erase again finds the files
        # still holding the child and rewrites them to the same bytes the raw rows already name.
        for rw in job.files:
            _replace_archived(rw)
        actions.erase_child(store, la_code, p)  # again on a rerun: nothing left to remove then
        job.parquet_files = _rewrite_parquet(
            settings, lambda cols: (
                "select * from src where " + " and ".join(f'"{c}" is distinct from \'{p}\'' for c in cols if c in MART_CHILD_COLUMNS)
                if any(c in MART_CHILD_COLUMNS for c in cols) else None))
        job.published = rebuild_and_publish(settings, job.erasure_id)  # records it 'published'
    return job


def _record_erasure(con, job: Erasure, tag: str, fingerprint: str, status: str, message: str) -> None:
    warehouse.record_rows(con, "erasures", [{
        "erasure_id": job.erasure_id, "la_code": job.la_code, "pseudonym_sha256": tag, "status": status,
        "rows_removed": job.rows_removed,
        "rows_per_table": ",".join(f"{t}:{n}" for t, n in sorted(job.rows_per_table.items())),
        "files_rewritten": len(job.files), "parquet_files_rewritten": job.parquet_files,
        "key_fingerprint": fingerprint, "erased_at": dt.datetime.now(),
        "message": message + (f"; {len(job.unreadable)} unparseable archived files may still hold the id (delete them)"
                              if job.unreadable else ""),
    }])


# ---------------------------------------------------------------------------------------- rekey


@dataclass
class Rekey:
    rekey_id: str
    old_fingerprint: str
    new_fingerprint: str
    ids_mapped: int = 0
    rows_updated: int = 0
    archive_folders: int = 0
    parquet_files: int = 0
    published: Path | None = None
    resumed: bool = False  # an earlier rekey to this key stopped before its rebuild and publish


def read_new_key(path: Path) -> bytes:
    """The new key from a private file, as strong as any key (permanence.ops.security)."""
    if not path.is_file():
        raise Refused(f"new key file {path} not found", "generate one with `openssl rand -hex 32 > FILE; chmod 600 FILE`")
    check_key_file(path)
    text = path.read_text().strip()
    check_key_strength(text, f"new key file {path}")
    return text.encode()


def _id_map(settings: Settings, old: bytes, new: bytes) -> tuple[pd.DataFrame, int]:
    """Old pseudonym -> new, for every child and staff id in the archive (each LA's own ids)."""
    from permanence.ingest.read import read_drop

    pairs: dict[str, str] = {}
    folders = archived_folders(settings)
    for folder in folders:
        la = folder.parts[-3]
        try:
            frames, _ = read_drop(folder)
        except StructuralError:
            continue  # a refused drop: nothing of it was loaded
        for ef in frames:
            for col in ef.table.of_kind("child_id", "staff_id"):
                if col.name not in ef.frame.columns:
                    continue
                for v in ef.frame[col.name].dropna().unique():
                    o = pseudonym(old, la, v)
                    if o not in pairs:
                        pairs[o] = pseudonym(new, la, v)
    return pd.DataFrame({"old": list(pairs), "new": list(pairs.values())}, dtype=object), len(folders)


def _id_columns() -> list[tuple[str, str]]:
    return [(name, c.warehouse_name) for name, t in contract.tables().items() for c in t.of_kind("child_id", "staff_id")]


def rekey(settings: Settings, new_key_file: Path) -> Rekey:
    """Re-pseudonymise every raw id under the new key in one transaction, then rebuild and publish."""
    new = read_new_key(new_key_file)
    _existing_warehouse(settings)
    ensure_private_dir(settings.data_dir, settings.bi_group)
    old = _key(settings)
    job = Rekey(f"{dt.datetime.now():%Y%m%dT%H%M%S}-rekey-{secrets.token_hex(3)}", key_fingerprint(old), key_fingerprint(new))
    with warehouse.exclusive(settings), warehouse.connect(settings) as con:
        warehouse.create_schema(con)
        pending = set(warehouse.pending_rebuilds(con))
        to_new = [r[0] for r in con.execute("select distinct rekey_id from audit.rekeys where new_fingerprint = ?",
                                            [job.new_fingerprint]).fetchall()]
    unfinished = next((i for i in to_new if i in pending), None)
    if unfinished:
        # The same command again after a failed rebuild: raw is already under the new key (whatever
        # key is configured now); finish the rebuild and publish.
        job.rekey_id, job.resumed = unfinished, True
        with private_files(), warehouse.exclusive(settings):
            job.published = rebuild_and_publish(settings, job.rekey_id)
        return job
    if job.old_fingerprint == job.new_fingerprint:
        raise Refused("the new key is the key the warehouse already uses; nothing was changed",
                      "generate a new one with `openssl rand -hex 32`")
    started = dt.datetime.now()
    with private_files(), warehouse.exclusive(settings):
        with warehouse.connect(settings) as con:
            warehouse.create_schema(con)
            _check_warehouse_key(con, job.old_fingerprint)
        mapping, job.archive_folders = _id_map(settings, old, new)
        job.ids_mapped = len(mapping)
        with warehouse.connect(settings) as con:
            con.execute("CREATE TEMP TABLE IF NOT EXISTS rekey_map (old VARCHAR, new VARCHAR)")
            con.execute("DELETE FROM rekey_map")
            if not mapping.empty:
                con.insert_frame("rekey_map", mapping)
            missing = 0
            for table, col in _id_columns():
                missing += con.execute(
                    f'select count(distinct "{col}") from raw.{table} t where "{col}" is not null '
                    f'and not exists (select 1 from rekey_map m where m.old = t."{col}")').fetchone()[0]
            if missing:
                raise Refused(f"{missing} pseudonymised ids in raw have no CMS id in the archive to re-derive them "
                              "from; nothing was changed",
                              "restore the archived drops of the loads still in raw (audit.load_files names their "
                              "hashes), or reload the current drops")
            try:
                with warehouse.transaction(con):
                    for table, col in _id_columns():
                        job.rows_updated += con.execute(
                            f'select count(*) from raw.{table} t join rekey_map m on m.old = t."{col}"').fetchone()[0]
                        con.execute(f'update raw.{table} as t set "{col}" = m.new from rekey_map m where t."{col}" = m.old')
                    _record_rekey(con, job, started, "done", "raw re-pseudonymised; rebuild next")
            finally:
                con.execute("DROP TABLE IF EXISTS rekey_map")
        # The old snapshots name children by the old key's pseudonyms: renamed, or a holder of the
        # old key could still link them.
        pairs = dict(zip(mapping["old"], mapping["new"]))

        def renamed(cols: list[str]) -> str | None:
            ids = [c for c in cols if c in MART_CHILD_COLUMNS + MART_STAFF_COLUMNS]
            if not ids:
                return None
            return "select * replace (" + ", ".join(
                f'coalesce((select new from rekey_pairs where old = src."{c}"), src."{c}") as "{c}"' for c in ids) + ") from src"

        job.parquet_files = _rewrite_parquet(settings, renamed, pairs)
        actions.rekey_store(actions.store_path(settings), pairs)  # the SPG's entries follow their children
        job.published = rebuild_and_publish(settings, job.rekey_id)  # records it 'published'
    return job


def _record_rekey(con, job: Rekey, started: dt.datetime, status: str, message: str) -> None:
    warehouse.record_rows(con, "rekeys", [{
        "rekey_id": job.rekey_id, "old_fingerprint": job.old_fingerprint, "new_fingerprint": job.new_fingerprint,
        "status": status, "rows_updated": job.rows_updated, "ids_mapped": job.ids_mapped,
        "archive_folders": job.archive_folders, "started_at": started, "finished_at": dt.datetime.now(),
        "message": message,
    }])

