"""Every rule the validator can raise, as data: stable code, severity, short text, DfE code.

Issues take their `rule` text and severity from here, so a rule's wording or severity is one
edit, and docs/validation-rules.md can be checked against this table by a test.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str  # structural | error | warning
    text: str  # short, never holds a value from the extract
    dfe_code: str | None = None  # the DfE SSDA903 validation rule it mirrors, where one exists


_RULES = [
    # Structural: the drop cannot be trusted, it is quarantined.
    Rule("PERM-COLUMN-MISSING", "structural", "required column missing from the file"),
    Rule("PERM-EMPTY", "structural", "file has no data rows"),
    Rule("PERM-NO-ROWS", "warning", "file has a header but no rows (allowed for this table)"),
    Rule("PERM-TABLE-TWICE", "structural", "two files in the drop hold the same table"),
    # Raised while reading a drop (permanence.readers, permanence.sources), before any model runs.
    Rule("PERM-ENCODING", "structural", "file is not UTF-8 text"),
    Rule("PERM-UNRECOGNISED", "warning", "file matches no table of the extract contract: archived, not loaded"),
    Rule("PERM-TABLE-MISSING", "structural", "drop holds no file with a table every drop must have"),
    Rule("PERM-SYMLINK", "structural", "file is a symbolic link: a drop must hold its own files"),
    Rule("PERM-UNREADABLE", "structural", "file cannot be read"),
    Rule("PERM-MALFORMED", "structural", "row has more fields than the header"),
    Rule("PERM-XML", "structural", "XML file is not well-formed"),
    Rule("PERM-NO-FILES", "structural", "drop holds no CSV or XML file of a contract table"),
    Rule("PERM-SOURCE", "structural", "source is not a folder that can be read"),
    Rule("PERM-MANIFEST", "structural", "manifest.json is not valid JSON"),
    Rule("PERM-LA-CODE", "structural", "manifest is for another LA"),
    Rule("PERM-EXTRACT-DATE", "structural", "no extract date in --as-at, manifest.json or the folder name"),
    Rule("PERM-EXTRA-COLUMN", "warning", "column not in the extract contract: not loaded"),
    # Per-row rules from the pandera models: the row is excluded from the warehouse.
    Rule("PERM-NULL", "error", "value is blank where the contract requires one"),
    Rule("PERM-DATE", "error", "not a real calendar date in dd/mm/yyyy"),
    Rule("PERM-FUTURE", "error", "date is after the extract date"),
    Rule("PERM-INT", "error", "not a whole number"),
    Rule("PERM-CODE", "error", "code not in the code list for the row's collection year"),
    Rule("PERM-DUP", "error", "duplicate key: an earlier row has the same key"),
    Rule("PERM-SCHEMA", "error", "row failed a schema check"),
    # Cross-row and cross-file rules.
    Rule("501", "error", "episode starts before the previous episode ended", "501"),
    Rule("356", "error", "episode ceased before it started", "356"),
    Rule("142", "error", "episode is open but a later episode exists for the child", "142"),
    Rule("302", "error", "episode starts before the child's date of birth", "302"),
    Rule("PERM-NO-HEADER", "error", "child is not in the Header file"),
    Rule("PERM-OPEN-TWICE", "warning", "child has more than one open episode"),
    Rule("PERM-X1", "warning", "episode ended with X1 but no episode of the child starts that day"),
    Rule("431", "warning", "continuation episode has RNE S (started to be looked after)", "431"),
    Rule("432", "warning", "previous episode ceased care the same day but RNE is not S", "432"),
    Rule("433", "warning", "RNE says continuation but the episode does not start when the previous ended", "433"),
    Rule("PERM-RNE-LS", "warning", "RNE disagrees with whether the legal status changed"),
    Rule("PERM-RNE-L-PLACE", "warning", "RNE L (legal status change only) but the placement changed"),
    Rule("602", "warning", "AD1 row but the episodes do not show an adoption (REC E11/E12)", "602"),
    Rule("PERM-PA-NO-ADOPTION", "warning", "PlacedAdoption says adopted (E11/E12) but no episode ended in adoption"),
]

RULES: dict[str, Rule] = {r.code: r for r in _RULES}


def rule(code: str) -> Rule:
    return RULES[code]
