"""The extract contract as typed objects: tables, their columns, and year-keyed code lists.

Everything that reads, checks, pseudonymises or loads an extract takes its column lists from
here, so a table or code change is one edit to the YAML beside this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from permanence import yamlfile

_HERE = Path(__file__).parent


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # child_id, staff_id, date, dob, code, int, text, postcode, drop
    codes: str | None = None
    nullable: bool = False
    required: bool = True
    ahead: bool = False  # a date ahead by nature (DUC, planned dates): never "future"
    description: str = ""

    @property
    def loaded(self) -> bool:
        return self.kind != "drop"

    @property
    def warehouse_name(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Table:
    name: str  # canonical key, also the raw table name in the warehouse
    title: str  # the name users know (DfE file name or SSD object)
    family: str  # ssda903 or extras
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    year_from: str | None = None
    first_year: str | None = None
    may_be_empty: bool = True
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def child_column(self) -> str:
        return next(c.name for c in self.columns if c.kind == "child_id")

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def of_kind(self, *kinds: str) -> list[Column]:
        return [c for c in self.columns if c.kind in kinds]


@dataclass(frozen=True)
class CodeEntry:
    codes: frozenset[str]
    year_from: str | None = None
    year_to: str | None = None

    def covers(self, year: str) -> bool:
        return (self.year_from is None or year >= self.year_from) and (
            self.year_to is None or year <= self.year_to
        )


@dataclass(frozen=True)
class CodeList:
    name: str
    entries: tuple[CodeEntry, ...] = field(default_factory=tuple)

    def valid_for(self, year: str) -> frozenset[str]:
        out: set[str] = set()
        for e in self.entries:
            if e.covers(year):
                out |= e.codes
        return frozenset(out)

    @property
    def all_codes(self) -> frozenset[str]:
        return frozenset().union(*(e.codes for e in self.entries))


@lru_cache(maxsize=1)
def tables() -> dict[str, Table]:
    raw = yamlfile.safe_load((_HERE / "tables.yaml").read_text())
    out: dict[str, Table] = {}
    for family, specs in raw.items():
        for name, spec in specs.items():
            cols = tuple(
                Column(
                    name=cname,
                    kind=c["kind"],
                    codes=c.get("codes"),
                    nullable=bool(c.get("nullable", False)),
                    required=bool(c.get("required", True)),
                    ahead=bool(c.get("ahead", False)),
                    description=c.get("description", ""),
                )
                for cname, c in spec["columns"].items()
            )
            out[name] = Table(
                name=name,
                title=spec["title"],
                family=family,
                columns=cols,
                key=tuple(spec["key"]),
                year_from=spec.get("year_from"),
                first_year=spec.get("first_year"),
                may_be_empty=bool(spec.get("may_be_empty", True)),
                description=spec.get("description", ""),
            )
    return out


@lru_cache(maxsize=1)
def codelists() -> dict[str, CodeList]:
    raw = yamlfile.safe_load((_HERE / "codelists.yaml").read_text())
    return {
        name: CodeList(
            name=name,
            entries=tuple(
                CodeEntry(
                    codes=frozenset(str(c) for c in e["codes"]),
                    year_from=e.get("from"),
                    year_to=e.get("to"),
                )
                for e in entries
            ),
        )
        for name, entries in raw.items()
    }


@lru_cache(maxsize=1)
def labels() -> dict[str, dict[str, str]]:
    """Plain-English label per code, keyed by code list name then code (labels.yaml)."""
    raw = yamlfile.safe_load((_HERE / "labels.yaml").read_text())
    return {name: {str(code): str(text) for code, text in codes.items()} for name, codes in raw.items()}


def label(codelist: str, code: str | None) -> str | None:
    """The label of one code; None for a blank or unknown code (never a guess)."""
    return None if code is None else labels().get(codelist, {}).get(str(code).strip())


def collection_year(day: dt.date) -> str:
    """'2023-24' for any date from 1 April 2023 to 31 March 2024."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def collection_year_start(label: str) -> dt.date:
    return dt.date(int(label[:4]), 4, 1)


def table(name: str) -> Table:
    return tables()[name]
