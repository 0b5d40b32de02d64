"""Declarative file families: the columns that identify a published file, and how it maps to a table.

A file is recognised by its columns, never its name: a family matches when every `required`
column is present and no `excluded` column is; when several match, the one with the most required
columns (the most specific) wins. Adding a family is adding a module with one `Family(...)` and naming it in
`permanence.reference.families`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from permanence.reference.reader import Table


@dataclass
class Converted:
    """Rows for the family's table, and what the load says about the file."""

    rows: list[dict]
    notes: list[str] = field(default_factory=list)
    # Rows skipped on purpose (combined or terminated LA codes, other age groups, ...), with why.
    skipped: int = 0


@dataclass(frozen=True)
class Family:
    name: str
    table: str  # in schema `reference`
    required: frozenset[str]
    convert: Callable[[Table, str], Converted]  # (table, file name) -> rows
    # Reloading replaces the table's rows whose values in these columns appear in the new rows
    # (() = replace the whole table).
    replace_on: tuple[str, ...] = ()
    excluded: frozenset[str] = frozenset()
    description: str = ""

    def matches(self, columns: list[str]) -> bool:
        cols = set(columns)
        return self.required <= cols and not (self.excluded & cols)
