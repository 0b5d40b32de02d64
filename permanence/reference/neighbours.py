"""DfE children's services statistical neighbours: each LA with its 10 nearest LAs and closeness.

2025 model (``sn_model_2025_wide.csv``): old_la_code, la_name, region_ind, region_name,
SN_1, SN_1P, ..., SN_10, SN_10P. 2021 model (``New_Statistical_Neighbour_Groupings_April_2021``):
LA num, LA Name, LA number, GOInd, GOReg, SN1, SNP, SN2, SNP, ... (the closeness column repeats
its name; the reader makes them snp, snp__2, ...). Each neighbour column is followed by its
closeness column, which is how closeness is paired whatever it is called.

The model label is the family's (2025 / 2021) unless the file name carries a year (e.g. a 2027
release in the 2025 shape saved as ``sn_model_2027_wide.csv``): that year wins.
"""

from __future__ import annotations

import re

from permanence.reference.reader import Table, la_code
from permanence.reference.spec import Converted, Family

_SN = re.compile(r"^sn_?(\d{1,2})$")


def _model_from_name(file_name: str, default: str) -> str:
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", file_name)
    return years[0] if years else default


def _converter(code_column: str, name_column: str, default_model: str):
    def convert(table: Table, file_name: str) -> Converted:
        model = _model_from_name(file_name, default_model)
        cols = table.columns
        pairs = []
        for i, c in enumerate(cols):
            m = _SN.match(c)
            if m:
                closeness = cols[i + 1] if i + 1 < len(cols) and not _SN.match(cols[i + 1]) else None
                pairs.append((int(m.group(1)), c, closeness))
        rows, skipped = [], 0
        for r in table.rows:
            code = la_code(r.get(code_column))
            if code is None:
                skipped += 1
                continue
            for rank, col, close_col in pairs:
                neighbour = la_code(r.get(col))
                if neighbour is None:
                    continue
                rows.append({
                    "la_code": code,
                    "la_name": r.get(name_column) or None,
                    "model": model,
                    "rank": rank,
                    "neighbour_la_code": neighbour,
                    "closeness": (r.get(close_col) or None) if close_col else None,
                })
        return Converted(rows, notes=[f"model {model}"], skipped=skipped)

    return convert


_SN_2025 = frozenset({"old_la_code", *(f"sn_{i}" for i in range(1, 11))})
_SN_2021 = frozenset({"la num", "la name", *(f"sn{i}" for i in range(1, 11))})

FAMILIES = [
    Family(
        name="statistical_neighbours_2025",
        table="statistical_neighbours",
        required=_SN_2025,
        convert=_converter("old_la_code", "la_name", "2025"),
        replace_on=("model",),
        description="DfE statistical neighbours, 2025 model shape (SN_1..SN_10 with SN_nP closeness)",
    ),
    Family(
        name="statistical_neighbours_2021",
        table="statistical_neighbours",
        required=_SN_2021,
        convert=_converter("la num", "la name", "2021"),
        replace_on=("model",),
        description="DfE statistical neighbours, April 2021 model shape (SN1..SN10, repeated SNP)",
    ),
]
