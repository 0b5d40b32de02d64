"""Two tiers of marts (issue 13 point 4): what BI readers get, and what stays restricted.

- **aggregate** marts (counts, shares and means per LA and year or cohort) go to the BI copy
  (`published/`: the DuckDB copy and Parquet) with small numbers suppressed: a count from 1 to
  `Settings.small_number_threshold`, and every figure resting on one, is null there, and the row's
  `suppressed_reason` names the columns hidden (`c (1 to 5): children, share_reentered`), as the
  report marks them "c" (`permanence.report.disclosure`, whose rule this reuses).
- **child-level** marts (one row per child, period of care or set of proceedings, with exact dates:
  81% of children are unique on their period start alone) go only to the restricted copy
  (`DATA_DIR/restricted/`, the service account alone) and, on PostgreSQL, to the restricted role
  under row-level security per LA. So do the SPG tracker and any `--reveal-ids` workbook.

The classification is data, kept in one place: `config.meta.tier` of each mart in
`dbt_project/models/marts/*/_*.yml`, with `small_counts` and `resting_on` for the aggregate ones. A mart
without a tier is treated as child-level, so a new mart is never published to BI by accident.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from permanence import yamlfile
from permanence.report.disclosure import Suppressor

CHILD, AGGREGATE = "child", "aggregate"
SUPPRESSED_REASON = "suppressed_reason"
REVEAL_DIR = "reveal"


@dataclass(frozen=True)
class MartTier:
    name: str
    tier: str = CHILD
    small_counts: tuple[str, ...] = ()
    resting_on: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def aggregate(self) -> bool:
        return self.tier == AGGREGATE


def mart_tiers(project: Path | None = None) -> dict[str, MartTier]:
    """Every mart of the dbt project (models/marts/*/_*.yml) -> its tier and suppression columns."""
    from permanence.transform.dbt import dbt_project_dir

    return dict(_read_tiers(str(project or dbt_project_dir())))


@lru_cache(maxsize=4)
def _mart_models(project: str) -> tuple[dict, ...]:
    """The marts' entries of the dbt project's yml (models/marts/*/_*.yml), read once."""
    found = []
    for yml in sorted((Path(project) / "models" / "marts").rglob("_*.yml")):  # a folder per domain
        found += (yamlfile.safe_load(yml.read_text(encoding="utf-8")) or {}).get("models", [])
    return tuple(found)


@lru_cache(maxsize=4)
def _read_tiers(project: str) -> tuple[tuple[str, MartTier], ...]:
    found = []
    for model in _mart_models(project):
        meta = (model.get("config") or {}).get("meta") or {}
        found.append((model["name"], MartTier(
            model["name"], str(meta.get("tier") or CHILD),
            tuple(meta.get("small_counts") or ()),
            {k: tuple(v) for k, v in (meta.get("resting_on") or {}).items()})))
    return tuple(found)


def mart_docs(project: Path | None = None) -> dict[str, tuple[str, dict[str, str]]]:
    """Every mart -> (its description, {column: description}), as documented in the marts yml."""
    from permanence.transform.dbt import dbt_project_dir

    return {m["name"]: (" ".join(str(m.get("description") or "").split()),
                        {c["name"]: " ".join(str(c.get("description") or "").split()) for c in m.get("columns") or []})
            for m in _mart_models(str(project or dbt_project_dir()))}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def bi_select(source: str, columns: list[str], spec: MartTier, threshold: int) -> str:
    """SELECT (DuckDB and PostgreSQL alike) of an aggregate mart for BI: every small count and every
    figure resting on one null, and `suppressed_reason` naming them; columns and types kept."""
    if not spec.aggregate:
        raise ValueError(f"marts.{spec.name} is child-level: it never goes to the BI copy")
    s = Suppressor(threshold)
    hidden: dict[str, str] = {c: s.sql_small(_q(c)) for c in spec.small_counts}
    for col, bases in spec.resting_on.items():
        cond = " or ".join(s.sql_small(_q(b)) for b in bases)
        hidden[col] = f"({hidden[col]} or {cond})" if col in hidden else f"({cond})"
    named = set(hidden) | {b for bases in spec.resting_on.values() for b in bases}
    if named - set(columns):  # a renamed column must not silently go out unsuppressed
        raise ValueError(f"marts.{spec.name}: tier meta names columns the mart lacks: {sorted(named - set(columns))}")
    out = [f"case when {hidden[c]} then null else {_q(c)} end as {_q(c)}" if c in hidden else _q(c)
           for c in columns]
    if hidden:
        parts = ", ".join(f"case when {hidden[c]} and {_q(c)} is not null then '{c.replace(chr(39), chr(39) * 2)}' end"
                          for c in columns if c in hidden)  # named in the mart's column order
        reason = f"'c (1 to {int(threshold)}): ' || nullif(concat_ws(', ', {parts}), '')"
    else:
        reason = "null"
    out.append(f"cast({reason} as varchar) as {SUPPRESSED_REASON}")
    return f"select {', '.join(out)} from {source}"


# ------------------------------------------------------------------------- reveal output and audit

def reveal_dir(settings) -> Path:
    return settings.restricted_dir / REVEAL_DIR


def expire_reveals(settings, now: dt.datetime | None = None) -> list[Path]:
    """Remove `--reveal-ids` workbooks older than `Settings.reveal_retention_days` (by modification
    time): a re-identification key must not outlive the meeting it was made for."""
    folder = reveal_dir(settings)
    if not folder.is_dir():
        return []
    cutoff = (now or dt.datetime.now()).timestamp() - settings.reveal_retention_days * 86400
    removed = []
    for p in folder.iterdir():
        if p.is_file() and not p.is_symlink() and p.stat().st_mtime <= cutoff:
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in a container: the uid says who
        return f"uid {os.geteuid()}"


def record_reveal(settings, la_code: str, rows: int, file: Path) -> dict:
    """audit.reveal_ids: who revealed CMS ids, when, for which LA, how many rows, into which file (its
    name only; no identifier). Raises if the warehouse cannot be written: a reveal is not done unrecorded."""
    from permanence import warehouse
    from permanence.audit.schema import create_audit_schema

    now = dt.datetime.now()
    row = {"revealed_at": now, "os_user": os_user(), "la_code": la_code, "rows_revealed": int(rows),
           "file_name": file.name, "expires_on": (now + dt.timedelta(days=settings.reveal_retention_days)).date()}
    with warehouse.connect(settings) as con:
        create_audit_schema(con)
        warehouse.record_rows(con, "reveal_ids", [row])
    return row


# ------------------------------------------------------------------------------------ PostgreSQL

def _pg_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy_pg_comments(con, table: str) -> None:
    """The descriptions dbt wrote on marts.<table> (persist_docs) onto bi.<table>, which CREATE
    TABLE AS leaves bare, so the BI role's tools show them as on the DuckDB BI copy."""
    about = con.execute("select obj_description(c.oid, 'pg_class') from pg_class c join pg_namespace n "
                        "on n.oid = c.relnamespace where n.nspname = 'marts' and c.relname = ?", [table]).fetchone()
    if about and about[0]:
        con.execute(f"comment on table bi.{_q(table)} is {_pg_text(about[0])}")
    for column, text in con.execute(
            "select a.attname, col_description(a.attrelid, a.attnum) from pg_attribute a join pg_class c "
            "on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'marts' "
            "and c.relname = ? and a.attnum > 0 and not a.attisdropped", [table]).fetchall():
        if text:
            con.execute(f"comment on column bi.{_q(table)}.{_q(column)} is {_pg_text(text)}")


@dataclass
class PgTiers:
    bi_tables: list[str] = field(default_factory=list)
    restricted_tables: list[str] = field(default_factory=list)
    missing_roles: list[str] = field(default_factory=list)


def secure_postgres(settings) -> PgTiers:
    """After each build on PostgreSQL (dbt replaces the mart tables, dropping their grants):

    - schema `bi`: each aggregate mart, suppressed as in the BI copy, replaced in one transaction;
      the BI role (`Settings.pg_bi_role`) reads `bi` and `reference`, never `marts`;
    - schema `marts`: the restricted role (`Settings.pg_restricted_role`) reads its marts under
      row-level security: a member sees the rows of the LAs `access.la_readers` lists for its login.

    The roles are the DBA's to create (the loader is no superuser; docs/deploy.md); a missing role is
    reported and gets nothing. A mart dbt has just rebuilt has no grants until this runs: refused, never open.
    """
    from permanence import warehouse

    tiers = mart_tiers()
    bi, restricted = settings.pg_bi_role, settings.pg_restricted_role
    result = PgTiers()
    with warehouse.connect(settings) as con:
        roles = {r[0] for r in con.execute("select rolname from pg_roles where rolname in (?, ?)",
                                           [bi, restricted]).fetchall()}
        result.missing_roles = [r for r in (bi, restricted) if r not in roles]
        has_bi, has_restricted = bi in roles, restricted in roles
        con.execute("create schema if not exists bi")
        con.execute("create schema if not exists access")
        con.execute("create table if not exists access.la_readers (member varchar not null, "
                    "la_code varchar not null, primary key (member, la_code))")
        cols: dict[str, list[str]] = {}
        for table, col in con.execute(
                "select table_name, column_name from information_schema.columns where table_schema = 'marts' "
                "order by table_name, ordinal_position").fetchall():
            cols.setdefault(table, []).append(col)
        # nothing in marts for the BI role, even through default privileges an older setup granted
        con.execute("alter default privileges in schema marts revoke all on tables from public")
        if has_bi:
            con.execute(f"alter default privileges in schema marts revoke all on tables from {_q(bi)}")
            con.execute(f"revoke all on all tables in schema marts from {_q(bi)}")
            con.execute(f"revoke all on schema marts, access from {_q(bi)}")
        con.execute("revoke all on all tables in schema marts, bi, access from public")
        for table, columns in cols.items():
            spec = tiers.get(table)
            if spec is None or not spec.aggregate:
                continue
            con.execute("begin")
            try:  # readers see the old bi table or the new one, never none
                con.execute(f"drop table if exists bi.{_q(table)}")
                con.execute(f"create table bi.{_q(table)} as "
                            + bi_select(f"marts.{_q(table)}", columns, spec, settings.small_number_threshold))
                _copy_pg_comments(con, table)
                if has_bi:
                    con.execute(f"grant select on bi.{_q(table)} to {_q(bi)}")
                con.execute("commit")
            except Exception:
                con.execute("rollback")
                raise
            result.bi_tables.append(table)
        if has_bi:
            con.execute(f"grant usage on schema bi, reference to {_q(bi)}")
            con.execute(f"grant select on all tables in schema reference to {_q(bi)}")
        if has_restricted:
            con.execute(f"grant usage on schema marts, access to {_q(restricted)}")
            con.execute(f"grant select on access.la_readers to {_q(restricted)}")
            for table, columns in cols.items():
                if "la_code" not in columns:
                    continue  # no LA to filter on: not given to the restricted role
                t = f"marts.{_q(table)}"
                con.execute(f"alter table {t} enable row level security")
                con.execute(f"drop policy if exists per_la on {t}")
                con.execute(f"create policy per_la on {t} for select to {_q(restricted)} using "
                            "(la_code in (select r.la_code from access.la_readers r where r.member = current_user))")
                con.execute(f"grant select on {t} to {_q(restricted)}")
                result.restricted_tables.append(table)
    return result
