"""Replace identifying fields before anything reaches the warehouse.

Child identifiers become a keyed HMAC-SHA256 of (LA code, identifier): stable across loads so a
child's history joins, unlinkable without the key, and distinct between LAs that reuse numbers.
Dates of birth become the first of their month; postcodes keep their district only; UPNs and other
`drop` columns never leave this module.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pandas as pd

from permanence.ingest.distinct import map_distinct
from permanence.contract.frames import ExtractFrame
from permanence.ops.security import check_key_file, check_key_strength

KEY_ENV = "PERMANENCE_HMAC_KEY"


class MissingKeyError(RuntimeError):
    pass


def resolve_key(
    explicit: str | None,
    block_name: str | None,
    key_file: Path | None = None,
    *,
    create: bool = False,
) -> tuple[bytes, str]:
    """Find the pseudonymisation key: explicit/env value, a Prefect Secret block, or a key file.

    Returns (key, where) so the caller can say where the key came from, never the key itself.
    `create` writes a new random key file: only the demo does that, and says so.
    A weak key, or a key file other users can read, raises WeakKeyError (permanence.ops.security).
    """
    if explicit:
        return _strong(explicit, f"environment variable {KEY_ENV}")
    if block_name:
        from prefect.blocks.system import Secret

        return _strong(Secret.load(block_name).get(), f"Prefect Secret block '{block_name}'")
    if key_file is not None:
        if key_file.exists():
            check_key_file(key_file)
            return _strong(key_file.read_text().strip(), f"key file {key_file}")
        if create:
            key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            return key_file.read_text().strip().encode(), f"new demo key file {key_file} (generated)"
    raise MissingKeyError(
        f"No pseudonymisation key: set {KEY_ENV}, or PERMANENCE_HMAC_KEY_BLOCK to a Prefect Secret block name"
    )


def _strong(key: str, where: str) -> tuple[bytes, str]:
    check_key_strength(key, where)
    return key.encode(), where


def pseudonym(key: bytes, la_code: str, identifier: str) -> str:
    # hmac.digest is the one-shot C path: the same HMAC as hmac.new(...).hexdigest(), 4x faster.
    return hmac.digest(key, f"{la_code}:{identifier}".encode(), hashlib.sha256).hex()


def pseudonymise_series(key: bytes, la_code: str, values: pd.Series, known: dict[str, str] | None = None) -> pd.Series:
    """`known`: pseudonyms already made for this key and LA (a drop's other tables), reused and added to."""
    # Hash each distinct id once: a child appears in many rows and tables.
    known = {} if known is None else known

    def hashed(ids):
        for v in ids:
            if v not in known:
                known[v] = pseudonym(key, la_code, v)
        return [known[v] for v in ids]

    return pd.Series(map_distinct(values, hashed), index=values.index, dtype=object)


def month_start(values: pd.Series) -> pd.Series:
    """dd/mm/yyyy -> 01/mm/yyyy; the load step parses the file's date format as for any date."""
    return pd.Series(map_distinct(values, lambda u: ["01" + str(v)[2:] for v in u]), index=values.index, dtype=object)


def postcode_district(values: pd.Series) -> pd.Series:
    """'TF1 5AB' -> 'TF1'; an outward code alone is kept as it is."""
    return pd.Series(map_distinct(values, lambda u: [_district(v) for v in u]), index=values.index, dtype=object)


def _district(postcode) -> str | None:
    parts = str(postcode).upper().split()
    return parts[0] if parts else ""


def pseudonymise_frame(ef: ExtractFrame, key: bytes, la_code: str, known: dict[str, str] | None = None) -> ExtractFrame:
    """`known` as for pseudonymise_series: pass one dict for all of a drop's files."""
    df = ef.frame.copy()
    for col in ef.table.columns:
        if col.name not in df.columns:
            continue
        if col.kind in ("child_id", "staff_id"):
            df[col.name] = pseudonymise_series(key, la_code, df[col.name], known)
        elif col.kind == "dob":
            df[col.name] = month_start(df[col.name])
        elif col.kind == "postcode":
            df[col.name] = postcode_district(df[col.name])
        elif col.kind == "drop":
            df = df.drop(columns=col.name)
    # Dates already parsed for validation are the same rows: keep them, but not a month-rounded DOB.
    kept = {c: v for c, v in ef.parsed_dates.items() if ef.table.column(c).kind == "date"}
    return ExtractFrame(table=ef.table, file_name=ef.file_name, frame=df, parsed_dates=kept)
