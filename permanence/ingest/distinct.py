"""Work on each distinct value once and gather the result back to every row.

Extract columns repeat a few values many times (a code list, a few thousand dates, hundreds of
children across tens of thousands of rows), so cleaning, hashing or parsing the distinct values and
gathering by position is several times cheaper than doing it per row. Every per-value transform in
the reader and in pseudonymisation goes through here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd


def map_distinct(values: pd.Series, fn: Callable[[np.ndarray], Sequence]) -> np.ndarray:
    """`fn` maps an object array of the distinct non-null values to one result each; returns an
    object array with each row's result, None where the value is null."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = fn(np.asarray(uniques, dtype=object))
    mapped[-1] = None  # code -1 (null) picks the last slot
    return mapped[codes]
