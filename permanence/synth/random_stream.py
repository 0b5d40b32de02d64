"""A cheap per-draw random stream over a numpy Generator.

The career simulation makes millions of small sequential draws; calling numpy once per draw costs
~1 microsecond each, so draws are taken from pre-filled buffers instead. Same seed, same numbers.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate

import numpy as np

_BLOCK = 16384


class Choice:
    """A fixed weighted choice: build once at import, pick many times."""

    def __init__(self, weights: dict):
        self.items = tuple(weights)
        total = float(sum(weights.values()))
        self.cum = tuple(w / total for w in accumulate(weights.values()))

    def pick(self, u: float):
        return self.items[min(bisect_right(self.cum, u), len(self.items) - 1)]


class Stream:
    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._u: list[float] = []
        self._n: list[float] = []

    def u(self) -> float:
        if not self._u:
            self._u = self._rng.random(_BLOCK).tolist()
        return self._u.pop()

    def normal(self) -> float:
        if not self._n:
            self._n = self._rng.standard_normal(_BLOCK).tolist()
        return self._n.pop()

    def bern(self, p: float) -> bool:
        return self.u() < p

    def int(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi]."""
        return lo + int(self.u() * (hi - lo + 1))

    def lognorm(self, median: float, sigma: float) -> float:
        return median * math.exp(sigma * self.normal())

    def expo(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.u())

    def pick(self, choice: Choice):
        return choice.pick(self.u())

    def poisson(self, lam: float) -> int:
        # Knuth's method: lam here is always small (a few events).
        limit, k, p = math.exp(-lam), 0, self.u()
        while p > limit:
            k += 1
            p *= self.u()
        return k
