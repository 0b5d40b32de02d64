"""Every rule the validator can raise, as data: stable code, severity, short text, DfE code.

Issues take their `rule` text and severity from here, so a rule's wording or severity is one
edit, and docs/validation-rules.md can be checked against this table by a test.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str  # structural | error | repair | warning
    text: str  # short, never holds a value from the extract
    dfe_code: str | None = None  # set only where the rule IS the DfE's rule of that code
    # Another severity on the rows of one table ("header") or one column ("header.MC_DOB"), e.g.
    # the DfE's 302 flags the Header row too, and only the episode is rejected.
    by_table: tuple[tuple[str, str], ...] = ()

    def severity_for(self, table: str, column: str | None = None) -> str:
        given = dict(self.by_table)
        return given.get(f"{table}.{column}", given.get(table, self.severity))


_RULES = [
    # Structural: the drop cannot be trusted, it is quarantined.
    Rule("PERM-COLUMN-MISSING", "structural", "required column missing from the file"),
    Rule("PERM-EMPTY", "structural", "file has no data rows"),
    Rule("PERM-NO-ROWS", "warning", "file has a header but no rows (allowed for this table)"),
    Rule("PERM-TABLE-TWICE", "structural", "two files in the drop hold the same table"),
    # Raised while reading a drop (permanence.ingest.read, permanence.ingest.pull), before any model runs.
    Rule("PERM-ENCODING", "structural", "file is not UTF-8 text"),
    Rule("PERM-UNRECOGNISED", "warning", "file matches no table of the extract contract: archived, not loaded"),
    Rule("PERM-TABLE-MISSING", "structural", "drop holds no file with a table every drop must have"),
    Rule("PERM-SYMLINK", "structural", "file is a symbolic link: a drop must hold its own files"),
    Rule("PERM-UNREADABLE", "structural", "file cannot be read"),
    Rule("PERM-MALFORMED", "structural", "row has more fields than the header"),
    Rule("PERM-FIELD-SIZE", "structural", "a cell is larger than any 903 field can be (over 128 KB)"),
    Rule("PERM-FILE-SIZE", "structural", "file is larger than the configured limit (PERMANENCE_MAX_FILE_MB)"),
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
    # A date after E on an episode is kept: the episode is read as known on D <= E (one starting
    # after D is left out, one ending after D is open), so rejecting it would only punch a hole in
    # the history. A future MC_DOB says nothing of the child's care: the Header row is kept.
    Rule("PERM-FUTURE", "error", "date is after the extract date",
         by_table=(("episodes", "repair"), ("header.MC_DOB", "warning"))),
    Rule("PERM-INT", "error", "not a whole number"),
    Rule("PERM-CODE", "error", "code not in the code list for the row's collection year"),
    Rule("PERM-DUP", "error", "duplicate key: an earlier row has the same key"),
    Rule("PERM-SCHEMA", "error", "row failed a schema check"),
    # The DfE's own rules, as its validator defines them for the collection year (texts are the
    # DfE's messages). `repair`: the row is kept and loaded; dbt repairs it in the order of docs/measures.md#repairs.
    Rule("501", "repair", "A new episode has started before the end date of the previous episode.", "501"),
    Rule("356", "error", "The date the episode ceased is before the date the same episode started.", "356"),
    Rule("142", "repair", "A new episode has started, but the previous episode has not ended.", "142"),
    Rule("302", "error", "First episode starts before child was born.", "302", (("header", "warning"),)),
    Rule("431", "warning", "The reason for new episode is started to be looked after, but the previous "
         "episode ended on the same day.", "431"),
    Rule("432", "warning", "The child ceased to be looked after at the end of the previous episode but the "
         "reason for the new episode is not started to be looked after.", "432"),
    Rule("433", "warning", "The reason for new episode suggests that this is a continuation episode, but "
         "the episode does not start on the same day as the last episode finished.", "433"),
    Rule("602", "warning", "The episode data submitted for this child does not show that he/she was "
         "adopted during the year.", "602"),
    # Ours, on the rows that are kept.
    Rule("PERM-NO-HEADER", "error", "child is not in the Header file"),
    Rule("PERM-DUP-START", "repair", "another episode of the child starts the same day: one is kept downstream"),
    Rule("PERM-OVERLAP", "repair", "episode starts before an earlier (not the previous) episode ended"),
    Rule("PERM-SAME-END", "repair", "an earlier episode of the child ends the same day: the shorter is dropped downstream"),
    Rule("PERM-HOLE-X1", "warning", "chain hole: episode ended with X1 but no kept episode of the child starts that day"),
    Rule("PERM-HOLE-START", "warning", "chain hole: RNE says continuation but no kept episode ended with X1 that day"),
    Rule("PERM-RNE-LS", "warning", "RNE disagrees with whether the legal status changed"),
    Rule("PERM-RNE-L-PLACE", "warning", "RNE L (legal status change only) but the placement changed"),
    Rule("PERM-AD1-NO-ADOPTION", "warning", "AD1 row but no kept episode of the child ended in adoption (E11/E12)"),
    Rule("PERM-PA-NO-ADOPTION", "warning", "PlacedAdoption says adopted (E11/E12) but no episode ended in adoption"),
]

RULES: dict[str, Rule] = {r.code: r for r in _RULES}
# Chain holes: named as such in the validation report.
HOLE_CODES = ("PERM-HOLE-X1", "PERM-HOLE-START")


def rule(code: str) -> Rule:
    return RULES[code]
