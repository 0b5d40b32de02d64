"""The checks that keep children's data private on a shared host (docs/security.md).

- files: everything under the data directory is created private to the service account (umask 077
  while a run writes); the data directory itself must not be open to other users;
- keys: a pseudonymisation key must be a generated secret of at least 32 random bytes, from a
  private file; each load records the key's fingerprint, and a different key is refused;
- inputs: LA codes are DfE 3-digit codes (no path can be smuggled in), credentials never leave the
  source URL they came in.
"""

from __future__ import annotations

import contextlib
import grp
import hashlib
import hmac
import os
import re
import stat
import string
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PRIVATE_UMASK = 0o077


class UnsafeSetup(RuntimeError):
    """A setting or a file that would expose children's data; the message is the one line to act on."""


class WeakKeyError(UnsafeSetup):
    pass


class KeyMismatch(UnsafeSetup):
    pass


# ---------------------------------------------------------------------------------------- files


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created inside are 0600/0700 whatever the caller's umask (022 on most hosts
    would make the archive, warehouse, reports and Parquet readable by every local user)."""
    old = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(old)


def group_id(name: str | None) -> int | None:
    if not name:
        return None
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise UnsafeSetup(f"PERMANENCE_BI_GROUP: no group '{name}' on this host") from None


def ensure_private_dir(path: Path, bi_group: str | None = None, fix: bool = False) -> Path:
    """Create the data directory 0700 (0750 with its group set to the BI group, so readers can reach
    the published copy and nothing else), or refuse an existing one open to other users.

    fix: tighten it instead (the synthetic demo's own directory)."""
    gid = group_id(bi_group)
    wanted = 0o750 if gid is not None else 0o700
    if not path.exists():
        with private_files():
            path.mkdir(parents=True)
        path.chmod(wanted)
    mode = stat.S_IMODE(path.stat().st_mode)
    # Group access is the operator's choice (0750 for the service or BI group); others never.
    if mode & 0o007:
        if not fix:
            raise UnsafeSetup(
                f"{path}: data directory open to other users (mode {mode:04o}); run `chmod {wanted:o} {path}` "
                "(children's data lives under it)")
        path.chmod(wanted)
    if gid is not None:  # the BI group must reach published/ (everything else in it is 0700)
        if path.stat().st_gid != gid:
            os.chown(path, -1, gid)
        path.chmod((stat.S_IMODE(path.stat().st_mode) & 0o770) | 0o050)
    return path


def ensure_restricted_dir(path: Path) -> Path:
    """The restricted location (child-level marts, tracker, --reveal-ids output): 0700 whatever the
    umask or an earlier chmod, and never given to the BI group."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        path.chmod(0o700)
    return path


def share_with_group(path: Path, bi_group: str | None, recursive: bool = True) -> None:
    """The published BI copy (a file or a folder tree) readable by the BI group; never by others."""
    gid = group_id(bi_group)
    paths = [path, *path.rglob("*")] if path.is_dir() and recursive else [path]
    for p in paths:
        if p.is_symlink():
            continue
        if gid is not None:
            os.chown(p, -1, gid)
        mode = stat.S_IMODE(p.stat().st_mode) & 0o700
        group = 0o050 if p.is_dir() else 0o040
        p.chmod(mode | (group if gid is not None else 0))


# ----------------------------------------------------------------------------------------- keys

KEY_HELP = "generate one with `openssl rand -hex 32` (64 hex digits) and keep it in a 0600 file"
# The README's example value and its like: a placeholder copied into production is a known key.
PLACEHOLDERS = {"a long random secret kept by the la", "changeme", "secret", "..."}
_HEX = set(string.hexdigits)
_B64 = set(string.ascii_letters + string.digits + "+/=-_")
FINGERPRINT_LABEL = b"permanence key fingerprint v1"


def check_key_strength(key: str, where: str) -> None:
    """A key is accepted when it is an encoding of at least 32 random bytes: 64+ hex digits, or 43+
    base64 characters; and it looks random: at least 12 distinct characters and no run of 8
    characters repeated. Passphrases and words are refused: a 7-letter word falls to a dictionary
    in seconds, and with it every pseudonym."""
    k = key.strip()
    if k.lower() in PLACEHOLDERS:
        raise WeakKeyError(f"pseudonymisation key from {where} is the documentation's placeholder; {KEY_HELP}")
    chars = set(k)
    encoded = (chars <= _HEX and len(k) >= 64) or (chars <= _B64 and len(k) >= 43)
    repeated = any(k.count(k[i:i + 8]) > 1 for i in range(len(k) - 7))
    if not encoded or len(chars) < 12 or repeated:
        raise WeakKeyError(f"pseudonymisation key from {where} is too weak (needs at least 32 random bytes); {KEY_HELP}")


def check_key_file(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise WeakKeyError(f"key file {path} is open to other users (mode {mode:04o}); run `chmod 600 {path}`")


def key_fingerprint(key: bytes) -> str:
    """Names the key in audit tables without revealing it: an HMAC of a fixed label under the key."""
    return hmac.new(key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


# --------------------------------------------------------------------------------------- inputs

_LA_CODE = re.compile(r"[0-9]{3}")


def check_la_code(code: str) -> str:
    """A DfE (old) 3-digit LA code. It names folders in the archive, so nothing else may pass."""
    if not isinstance(code, str) or not _LA_CODE.fullmatch(code):
        raise UnsafeSetup(f"LA code {code!r} refused: an LA code is the DfE 3-digit code, e.g. 894")
    return code


def strip_credentials(url: str) -> str:
    """The URL without user name and password, for anything stored or logged (audit, reports, logs,
    Prefect parameters): sftp://user:pw@host/drops -> sftp://host/drops. Paths come back unchanged."""
    if "://" not in str(url):
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


# Credential-bearing source URLs given on this process's command line, by their stripped form: the
# flow is handed the stripped URL (so Prefect never stores the password) and pull() gets it back here.
_WITH_CREDENTIALS: dict[str, str] = {}


def register_source(url: str) -> str:
    """Keep a credential-bearing URL in this process only; return the form safe to pass on."""
    safe = strip_credentials(url)
    if safe != url:
        _WITH_CREDENTIALS[safe] = url
    return safe


def source_with_credentials(url: str) -> str:
    """The URL pull() opens: the registered one, or PERMANENCE_SOURCE when it is this source (the
    scheduled deployment's parameter is deployed stripped; the worker's environment holds the rest)."""
    if url in _WITH_CREDENTIALS:
        return _WITH_CREDENTIALS[url]
    env = os.environ.get("PERMANENCE_SOURCE")
    if env and env != url and strip_credentials(env) == url:
        return env
    return url


def is_synthetic_drop(folder: Path) -> bool:
    """A drop written by permanence.synth (its manifest says so): the only drop `serve` makes a key for."""
    import json

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("generator") == "permanence.synth"
