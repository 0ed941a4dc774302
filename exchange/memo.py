"""A bounded memo for the few distinct values a file repeats on every line (prices, rates)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict[K, V], Generic[K, V]):
    """A bounded memo: ``memo[key]`` computes the value on first use and keeps it if ``keep(key)``.

    A hit is a plain dict lookup, which is what makes it pay off for the few distinct prices,
    quantities and rates a file repeats on every line.
    """

    def __init__(self, compute: Callable[[K], V], keep: Callable[[K], bool] = lambda _: True,
                 limit: int = 8192) -> None:
        super().__init__()
        self._compute, self._keep, self._limit = compute, keep, limit

    def __missing__(self, key: K) -> V:
        value = self._compute(key)
        if self._keep(key):
            if len(self) >= self._limit:
                self.clear()
            self[key] = value
        return value
