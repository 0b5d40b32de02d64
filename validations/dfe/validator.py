"""The DfE's own 903 rules, run by Data to Insight's validator (csc-validator-be-903) in its own env.

The validator pins pandas<2 and numpy<1.25, so it lives in `.venv-dfe` (`make .venv-dfe`, from
requirements-dfe.lock) and runs as a subprocess (validations/dfe/runner.py). It is handed the
drop's rows as the project's reader reads them (same rows, file order, one CSV per 903 table with
the validator's column names), so a CSV or XML drop, a BOM, CRLF, extra columns or another CMS's
file names all reach it alike, and each finding maps back to the file and line a user sees.

    from validations.dfe.validator import available, dfe_findings, run_on_drop
    findings = run_on_drop(folder, "2024-25", rules=["501", "142"])  # [DfeFinding(code, table, file, row)]
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from permanence.contract.frames import ROW, ExtractFrame

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().with_name("runner.py")
# The rule packs the pinned validator ships, by collection year end.
FIRST_YEAR, LAST_YEAR = 2023, 2027

# Our table -> the validator's table name and its columns (lac_validator/config.py).
DFE_TABLES: dict[str, tuple[str, list[str]]] = {
    "header": ("Header", ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]),
    "episodes": ("Episodes", ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                              "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"]),
    "reviews": ("Reviews", ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"]),
    "uasc": ("UASC", ["CHILD", "SEX", "DOB", "DUC"]),
    "oc2": ("OC2", ["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
                    "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
                    "INTERVENTION_OFFERED"]),
    "oc3": ("OC3", ["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"]),
    "ad1": ("AD1", ["CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"]),
    "placed_adoption": ("PlacedAdoption", ["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"]),
    "prev_perm": ("PrevPerm", ["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"]),
    "missing": ("Missing", ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"]),
    "social_worker_episodes": ("SWEpisodes", ["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"]),
    "dolo": ("DoLo", ["CHILD", "DOB", "DOLO_START", "DOLO_END"]),
}


class DfeUnavailable(RuntimeError):
    """The validator's env is missing or the validator failed; the message is one line."""


@dataclass(frozen=True)
class DfeFinding:
    code: str
    table: str  # our table name
    file_name: str
    row: int  # line in the file as a user sees it (header = 1), as in our Issues


@dataclass
class DfeRun:
    ruleset: str
    findings: list[DfeFinding]
    failed: list[str]  # rules the validator could not run on this data (it crashed inside the rule)
    skipped: list[str]  # rules whose tables are not in the drop
    rules: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # code: (DfE text, fields)


def python() -> Path:
    return Path(os.environ.get("PERMANENCE_DFE_PYTHON", ROOT / ".venv-dfe" / "bin" / "python"))


def available() -> bool:
    return python().is_file()


def year_end(year: str) -> str:
    """'2024-25' -> '2025': the validator's collectionYear, which sets the year's start and end."""
    return str(int(year[:4]) + 1)


def pack_year(year: str) -> str:
    """The year end of the rule pack to run: the year's own, or the nearest pack the validator ships
    (an older return is judged by the oldest pack's rules, but against its own year's dates)."""
    return str(min(max(int(year[:4]) + 1, FIRST_YEAR), LAST_YEAR))


def dfe_findings(frames: list[ExtractFrame], year: str, rules: list[str] | None = None,
                 timeout: float = 900) -> DfeRun:
    """Run the DfE's rules (all of the year's pack, or `rules`) on the 903 tables of `frames`."""
    if not available():
        raise DfeUnavailable(f"DfE validator env not found at {python()} (make .venv-dfe)")
    first: dict[str, ExtractFrame] = {}
    for ef in frames:
        if ef.table.name in DFE_TABLES:
            first.setdefault(ef.table.name, ef)
    by_dfe_table = {DFE_TABLES[name][0]: ef for name, ef in first.items()}
    with tempfile.TemporaryDirectory(prefix="dfe-") as tmp:
        for name, ef in first.items():
            _write(ef, DFE_TABLES[name][1], Path(tmp) / f"{name}.csv")
        try:
            done = subprocess.run(
                [str(python()), str(RUNNER), tmp, year_end(year), pack_year(year), *(rules or [])],
                capture_output=True, text=True, timeout=timeout, check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DfeUnavailable(f"DfE validator did not run: {type(exc).__name__}") from None
    if done.returncode != 0:
        # The last line names the exception type; the validator's messages may quote values.
        last = (done.stderr.strip().splitlines() or ["no output"])[-1].split(":")[0]
        raise DfeUnavailable(f"DfE validator failed ({last})")
    out = json.loads(done.stdout)
    findings = []
    for code, dfe_table, index in out["findings"]:
        ef = by_dfe_table.get(dfe_table)
        if ef is not None:
            findings.append(DfeFinding(code, ef.table.name, ef.file_name, int(ef.frame[ROW].iloc[index])))
    return DfeRun(out["ruleset"], sorted(findings, key=lambda f: (f.code, f.file_name, f.row)),
                  out["failed"], out["skipped"], {c: (m, fields) for c, (m, fields) in out.get("rules", {}).items()})


def run_on_drop(folder: Path, year: str, rules: list[str] | None = None) -> DfeRun:
    from permanence.ingest.read import read_drop

    frames, _ = read_drop(Path(folder))
    return dfe_findings(frames, year, rules)


def _write(ef: ExtractFrame, columns: list[str], path: Path) -> None:
    data = {c: ef.frame[c].astype(object).tolist() if c in ef.frame.columns else [None] * ef.rows for c in columns}
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for values in zip(*(data[c] for c in columns)):
            w.writerow(["" if v is None or v != v else v for v in values])
