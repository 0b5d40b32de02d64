"""Run inside .venv-dfe (csc-validator-be-903 pins pandas<2): the DfE's 903 rules on a folder of
CSVs, one per 903 table, headed with the validator's own column names.

    .venv-dfe/bin/python validations/dfe/runner.py FOLDER COLLECTION_YEAR PACK_YEAR [RULE ...]

COLLECTION_YEAR is the year's end ("2025" for 2024-25): the validator's collectionYear, which sets
the collection start and end its rules compare dates with. PACK_YEAR is the year end of the rule
pack to run (the same year, or the nearest pack shipped for a year it has none). Prints one JSON object:
{"ruleset", "findings": [[code, table, index]], "failed": [codes], "skipped": [codes],
"rules": {code: [message, [fields]]}} (the pack's own texts, for the codes found), where index is
the row's position in its CSV (0 = first data row). Imports nothing from the project.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import sys
from contextlib import redirect_stdout
from pathlib import Path


def main(folder: str, year: str, pack: str, rules: list[str]) -> dict:
    logging.disable(logging.CRITICAL)  # the validator logs row counts and rule progress at INFO
    with redirect_stdout(io.StringIO()):
        from lac_validator.lac_validator import LacValidator
        from lac_validator.types import UploadedFile

        ruleset = f"lac{int(pack) - 1}_{pack[2:4]}"
        registry = importlib.import_module(f"lac_validator.rules.{ruleset}").registry
        files = [
            UploadedFile(name=p.name, description="This year", file_content=p.read_bytes())
            for p in sorted(Path(folder).glob("*.csv"))
        ]
        v = LacValidator(
            metadata={"collectionYear": year, "localAuthority": "E00000000"},
            files=files,
            registry=registry,
            selected_rules=rules or None,
        )
    findings = []
    for table, df in v.ds_results.items():
        if table == "metadata":
            continue
        for col in (c for c in df.columns if c.startswith("ERR_")):
            for index in df.index[df[col] == True].tolist():  # noqa: E712 (object column of True/NaN)
                findings.append([col[4:], table, int(index)])
    found = {code for code, _, _ in findings}
    rules = {code: [str(d.message), list(d.affected_fields or [])] for code, d in registry.items() if code in found}
    return {"ruleset": ruleset, "findings": findings, "failed": v.fails, "skipped": v.skips, "rules": rules}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])))
