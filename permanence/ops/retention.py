"""Retention: delete what is past its time, each deletion recorded in audit.retention.

Classes and their days are in Settings (`retain_*_days`; 0 keeps a class for ever):

- raw: the raw rows of a load that is no longer its LA's current load (a newer load superseded it),
  counted from when that load finished. The current load's rows are never due.
- archive: an archived drop folder none of whose loads still has raw rows, counted from its last
  load. Kept while any raw row comes from it, so `permanence rekey` can always re-derive every
  pseudonym from the archive, and an auditor can trace every row in raw to its file.
- quarantined: an archived drop folder whose loads were all quarantined (never loaded).
- reports: a load's validation report folder, its Data Docs, quarterly reports; by modification
  time. The current loads' reports are kept.
- parquet: dated Parquet snapshots other than the one `latest` points at, by their date.

Not a class: the SPG's action entries (`restricted/spg-actions.duckdb`, permanence.tracker.actions) are
kept with the child's history and removed by `permanence erase`.

What is recorded: the class, the path relative to the data directory (or the load id), bytes or
rows, when and why. Paths under the data directory are named by LA code, dates, hashes and load
ids, never by a child.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from permanence import contract, warehouse
from permanence.config import Settings


@dataclass
class Deletion:
    klass: str  # raw | archive | quarantined | reports | parquet
    item: str  # load id, or path relative to the data directory
    bytes: int
    rows: int
    reason: str
    path: Path | None = None  # what to remove (None: raw rows of the load `item`)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime)


def _rel(settings: Settings, path: Path) -> str:
    return str(path.relative_to(settings.data_dir))


def _raw_load_ids(con) -> dict[str, int]:
    """Rows in raw per load id, over every raw table."""
    counts: dict[str, int] = {}
    for t in contract.tables():
        for load_id, n in con.execute(f"select load_id, count(*) from raw.{t} group by load_id").fetchall():
            counts[load_id] = counts.get(load_id, 0) + n
    return counts


def due(settings: Settings, now: dt.datetime | None = None) -> list[Deletion]:
    """Everything past its time, oldest class first; nothing is deleted here."""
    now = now or dt.datetime.now()
    out: list[Deletion] = []
    with warehouse.connect(settings) as con:
        warehouse.create_schema(con)
        current = {r[0] for r in con.execute("select load_id from raw.current_load").fetchall()}
        in_raw = _raw_load_ids(con)
        # A load's latest row is its status (audit.loads is append-only).
        loads = {
            r[0]: r[1:]
            for r in con.execute(
                """select load_id, status, finished_at, la_code, extract_date, drop_sha256 from (
                     select *, row_number() over (partition by load_id order by finished_at desc) as rn
                     from audit.loads) latest where rn = 1""").fetchall()
        }
        returns = con.execute("select load_id, extract_date, drop_sha256 from audit.load_returns").fetchall()

    days = settings.retain_raw_days
    if days:
        for load_id, rows in sorted(in_raw.items()):
            status, finished, *_ = loads.get(load_id, (None, None))
            if load_id in current or status != "published" or finished is None:
                continue  # the current load, or one whose run has not finished: never due
            if now - finished >= dt.timedelta(days=days):
                out.append(Deletion("raw", load_id, 0, rows,
                                    f"superseded load finished {finished:%Y-%m-%d}, over {days} days"))
    due_raw = {d.item for d in out}
    kept_loads = (set(in_raw) - due_raw) | current

    # Which loads used each archived drop folder (archive/<la>/<extract date>/<fingerprint[:16]>).
    used_by: dict[tuple[str, str, str], set[str]] = {}
    for load_id, (status, finished, la, extract_date, drop_sha) in loads.items():
        if la and extract_date and drop_sha:
            used_by.setdefault((la, extract_date.isoformat(), drop_sha[:16]), set()).add(load_id)
    for load_id, extract_date, drop_sha in returns:
        la = loads.get(load_id, (None, None, None))[2]
        if la and extract_date and drop_sha:
            used_by.setdefault((la, extract_date.isoformat(), drop_sha[:16]), set()).add(load_id)
    if settings.archive_dir.is_dir():
        for folder in sorted(settings.archive_dir.glob("[0-9][0-9][0-9]/*/*")):
            if not folder.is_dir() or folder.parent.name.startswith("."):
                continue  # .incoming: a pull in progress (or killed), cleaned by the pull itself
            users = used_by.get((folder.parts[-3], folder.parts[-2], folder.parts[-1]), set())
            if users & kept_loads:
                continue  # raw rows still come from it (or it is the current load's)
            statuses = {loads[u][0] for u in users}
            quarantined = bool(users) and statuses == {"quarantined"}
            days = settings.retain_quarantined_days if quarantined else settings.retain_archive_days
            if not days:
                continue
            finished = [loads[u][1] for u in users if loads[u][1] is not None]
            last = max(finished) if finished else _mtime(folder)
            if now - last >= dt.timedelta(days=days):
                klass = "quarantined" if quarantined else "archive"
                what = "quarantined drop" if quarantined else "archived drop with no rows left in raw"
                out.append(Deletion(klass, _rel(settings, folder), _size(folder), 0,
                                    f"{what}, last used {last:%Y-%m-%d}, over {days} days", folder))

    days = settings.retain_reports_days
    reports = settings.reports_dir
    if days and reports.is_dir():
        candidates = [p for p in reports.iterdir() if p.name not in ("data-docs", "quarterly")]
        for sub in ("data-docs", "quarterly"):
            if (reports / sub).is_dir():
                candidates += list((reports / sub).iterdir())
        for p in sorted(candidates):
            if p.name in current or p.is_symlink():
                continue  # the current loads' own reports stay while they are current
            written = _mtime(p)
            if now - written >= dt.timedelta(days=days):
                out.append(Deletion("reports", _rel(settings, p), _size(p), 0,
                                    f"report written {written:%Y-%m-%d}, over {days} days", p))

    days = settings.retain_parquet_days
    parquet = settings.published_dir / "parquet"
    if days and parquet.is_dir():
        latest_file = parquet / "LATEST"
        latest = latest_file.read_text(encoding="utf-8").strip() if latest_file.exists() else None
        for p in sorted(parquet.iterdir()):
            if p.is_symlink() or not p.is_dir() or p.name == latest:
                continue
            try:
                day = dt.date.fromisoformat(p.name)
            except ValueError:
                continue  # not a snapshot (a staging folder of a publish in progress)
            if now.date() - day >= dt.timedelta(days=days):
                out.append(Deletion("parquet", _rel(settings, p), _size(p), 0,
                                    f"Parquet snapshot of {day}, not the latest, over {days} days", p))
    return out


def _remove(path: Path) -> None:
    """Remove a file or folder, the archive's read-only ones included (0400 files in 0500 folders)."""
    if path.is_dir() and not path.is_symlink():
        for p in [path, *path.rglob("*")]:
            if p.is_dir() and not p.is_symlink():
                p.chmod(stat.S_IMODE(p.stat().st_mode) | stat.S_IRWXU)
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def apply(settings: Settings, dry_run: bool = False, now: dt.datetime | None = None) -> list[Deletion]:
    """Delete what is due and record each deletion. The caller holds the warehouse
    (warehouse.exclusive): no run may load while raw rows are deleted."""
    found = due(settings, now)
    if dry_run or not found:
        return found
    run_id = f"{dt.datetime.now():%Y%m%dT%H%M%S}-retention-{secrets.token_hex(3)}"
    raw = [d for d in found if d.klass == "raw"]
    with warehouse.connect(settings) as con:
        if raw:
            with warehouse.transaction(con):
                for d in raw:
                    for t in contract.tables():
                        con.execute(f"delete from raw.{t} where load_id = ?", [d.item])
                _record(con, run_id, raw)
    # Files after the rows: a file whose deletion fails stays, and is found due again next time.
    for d in found:
        if d.path is None:
            continue
        _remove(d.path)
        with warehouse.connect(settings) as con:
            _record(con, run_id, [d])
        parent = d.path.parent
        if d.klass in ("archive", "quarantined") and parent != settings.archive_dir and not any(parent.iterdir()):
            parent.rmdir()  # the extract date's folder, now empty
    return found


def _record(con, run_id: str, deletions: list[Deletion]) -> None:
    now = dt.datetime.now()
    warehouse.record_rows(con, "retention", [
        {"run_id": run_id, "class": d.klass, "item": d.item, "bytes": d.bytes, "rows": d.rows,
         "deleted_at": now, "reason": d.reason}
        for d in deletions
    ])

