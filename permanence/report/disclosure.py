"""Small numbers in what a wide audience reads (docs/measures.md#small-numbers).

Counts from 1 to the threshold (default 5, `Settings.small_number_threshold`), and the percentages
and means resting on them, are shown as "c", as the DfE marks suppressed figures. Zero is shown:
it discloses no child. Charts leave a suppressed value out rather than drawing it.

    from permanence.report.disclosure import Suppressor
    s = Suppressor(5)
    shown = s.table(df, counts=["adopted"], resting={"a1_mean": ["adopted"]})
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

SUPPRESSED = "c"


@dataclass(frozen=True)
class Suppressor:
    threshold: int = 5

    def small(self, values: pd.Series) -> pd.Series:
        v = pd.to_numeric(values, errors="coerce")
        # a nullable count (DuckDB's integers with a null) compares to <NA>: a missing count is not a
        # small one, and a mask must be plain booleans
        return ((v > 0) & (v <= self.threshold)).fillna(False).astype(bool)

    def sql_small(self, column: str) -> str:
        """The same rule as `small` as a SQL condition on a quoted column (DuckDB and PostgreSQL), for
        the BI copy's aggregate marts (permanence.publish.tiers): the rule stays in this one class."""
        return f"({column} > 0 and {column} <= {int(self.threshold)})"

    def hidden(self, df: pd.DataFrame, counts: list[str], resting: dict[str, list[str]] | None = None) -> pd.DataFrame:
        """A boolean frame: True where a cell must not be shown."""
        mask = pd.DataFrame(False, index=df.index, columns=df.columns)
        for col in counts:
            mask[col] = self.small(df[col]).to_numpy()
        for col, bases in (resting or {}).items():
            rests_on_small = pd.concat([self.small(df[b]) for b in bases], axis=1).any(axis=1)
            mask[col] = (rests_on_small & df[col].notna()).to_numpy()
        return mask

    def table(self, df: pd.DataFrame, counts: list[str], resting: dict[str, list[str]] | None = None) -> pd.DataFrame:
        """The frame with every small count, and every figure resting on one, replaced by 'c'."""
        mask = self.hidden(df, counts, resting)
        return df.astype(object).mask(mask, SUPPRESSED)

    def chart(self, df: pd.DataFrame, counts: list[str], resting: dict[str, list[str]] | None = None) -> pd.DataFrame:
        """The frame with suppressed cells blank (a chart must not draw what the table hides)."""
        mask = self.hidden(df, counts, resting)
        return df.mask(mask)
