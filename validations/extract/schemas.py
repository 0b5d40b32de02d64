"""The pandera DataFrameModel of every contract table, built from permanence/contract/tables.yaml.

The contract is written once, in the YAML; this module turns each column's kind (child_id, date,
code, ...) into its checks, so a kind's rules live in one place and a table added to the YAML is
validated without a line here. Code columns name their list, not its codes: the codes for a row
come from permanence.contract.codelists() for the row's collection year at run time (checks.py).
Values stay strings here: parsing happens inside the checks, which never copy a value out.
"""

from __future__ import annotations

from typing import Any

import pandera.pandas as pa
from pandera.typing import Series

import validations.extract.checks  # noqa: F401  (registers dd_mm_yyyy, codes_in_year, ...)
from permanence.contract import Column, Table, tables

# kind -> the checks of a present value (blanks are the `nullable` flag's business)
_CHECKS = {
    "child_id": lambda c: {},
    "staff_id": lambda c: {},
    "date": lambda c: {"dd_mm_yyyy": ()} if c.ahead else {"dd_mm_yyyy": (), "not_after_extract": ()},
    "dob": lambda c: {"dd_mm_yyyy": (), "not_after_extract": ()},
    "code": lambda c: {"codes_in_year": {"codes": c.codes}},
    "int": lambda c: {"whole_number": ()},
    "text": lambda c: {},
    "postcode": lambda c: {},
    "drop": lambda c: {},
}


class ContractModel(pa.DataFrameModel):
    class Config:
        strict = False  # ROW and columns the contract marks optional may or may not be present


def field(column: Column):
    """A column's pandera Field: its kind's checks, its nullability, its kind as metadata."""
    # Every check passes a blank itself (blanks are the `nullable` flag's business): pandera need
    # not drop a column's blanks before each check and OR them back after, two copies of the
    # column per check and most of pandera's own cost on a national run.
    return pa.Field(nullable=column.nullable, metadata={"kind": column.kind}, ignore_na=False,
                    **_CHECKS[column.kind](column))


def model_for(t: Table) -> type[pa.DataFrameModel]:
    """The DataFrameModel of one contract table; the table's key is its uniqueness rule."""
    namespace: dict[str, Any] = {
        "__annotations__": {c.name: Series[Any] for c in t.columns},
        **{c.name: field(c) for c in t.columns},
        "Config": type("Config", (), {"unique": list(t.key)}),
        "__module__": __name__,
    }
    return type(t.title.replace(" ", "_"), (ContractModel,), namespace)


MODELS: dict[str, type[pa.DataFrameModel]] = {name: model_for(t) for name, t in tables().items()}
