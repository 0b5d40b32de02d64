"""One load as it goes through the pipeline: the drop, the rows cleaned, what was rejected and why,
and its status. A shape of its own so the steps that read a load (the validation report, the
workers) need not import the pipeline that makes it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from permanence import warehouse
from permanence.contract.frames import ExtractFrame, Issue
from permanence.progress import StepTiming
from permanence.ingest.pull import ArchivedDrop


@dataclass
class Ingested:
    """One load: one LA's drop, or several yearly 903 returns of one LA stitched into one history."""

    load_id: str
    la_code: str
    source: str  # for messages and audit: the sources joined with " + "
    started_at: dt.datetime
    as_at: dt.date | None = None  # reporting date D; None: the extract date E
    drop: ArchivedDrop | None = None  # the drop; for stitched returns, all of them as one (see stitch)
    sources: list[str] = field(default_factory=list)
    extract_date: dt.date | None = None  # --extract-date: E, overriding the drop's own
    coverage_start: dt.date | None = None  # --coverage-start: C, overriding the drop's own
    returns: list[ArchivedDrop] = field(default_factory=list)  # stitched: each yearly return, oldest first
    status: str = "running"  # cleaned | loaded | published | skipped | quarantined | failed
    frames: list[ExtractFrame] = field(default_factory=list)
    tables: list[warehouse.RawRows] = field(default_factory=list)  # cleaned rows, typed for raw
    timings: list[StepTiming] = field(default_factory=list)  # measured where cleaned, recorded here
    issues: list[Issue] = field(default_factory=list)
    rejected_rows: dict[str, set[int]] = field(default_factory=dict)
    rows_in: int = 0
    rows_loaded: int = 0
    message: str = ""
    key_fingerprint: str | None = None  # permanence.ops.security.key_fingerprint: which key, never the key
    report_dir: Path | None = None
    loaded_per_file: dict[str, int] = field(default_factory=dict)
    rows_per_file: dict[str, int] = field(default_factory=dict)
    tables_per_file: dict[str, str] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        return sum(len(v) for v in self.rejected_rows.values())
