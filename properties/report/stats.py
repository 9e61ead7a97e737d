"""Accuracy statistics of one implementation, derivative and dtype, mergeable.

One :class:`Stats` summarises a set of results against the exact values:

- ``n``: results; ``judged``: those in the ULP statistics (all but flushed);
- ``correctly_rounded``: equal to the correctly rounded result (nan for nan);
- ``over_1``, ``over_2``: ULP error above 1 and above 2;
- ``max_ulp`` and ``x_at_max``: the worst error and its input (first seen on ties);
- ``nonfinite``: inf or nan returned for a finite input where the exact value is finite;
- ``subnormal``: results whose exact value is below the smallest normal but whose
  correctly rounded value is not 0; ``flushed``: those of them returned as 0.

Subnormal policy: a flushed result is counted apart and kept out of every ULP
figure (``judged``, ``correctly_rounded``, ``over_*``, ``max_ulp``); a subnormal
result that is not flushed is judged like any other. A result whose exact value
is so small that it rounds to 0 is an ordinary result (0 is correct).

Partial statistics (shards, chunks) combine with :meth:`Stats.merge`; the
result does not depend on how the inputs were split, except which input is
named on an exact tie of the worst error (the first part's).

>>> s = Stats.of(x=np.float32([1, 2]), actual=np.float32([1, 2]),
...              rounded=np.float32([1, 2]), ulps=np.array([0.25, 3.0]),
...              subnormal=np.array([False, False]))
>>> s.max_ulp, s.x_at_max, s.over_2
(3.0, 2.0, 1)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

_COUNTS = ("n", "judged", "correctly_rounded", "over_1", "over_2", "nonfinite",
           "subnormal", "flushed")


@dataclasses.dataclass
class Stats:
    """Counts and the worst error of one (implementation, order, mode, dtype)."""

    n: int = 0
    judged: int = 0
    correctly_rounded: int = 0
    over_1: int = 0
    over_2: int = 0
    nonfinite: int = 0
    subnormal: int = 0
    flushed: int = 0
    max_ulp: float = -math.inf
    x_at_max: float | None = None

    @classmethod
    def of(cls, *, x: np.ndarray, actual: np.ndarray, rounded: np.ndarray,
           ulps: np.ndarray, subnormal: np.ndarray) -> "Stats":
        """Statistics of results ``actual`` at inputs ``x`` (equal-size 1-D arrays).

        - ``rounded``: the correctly rounded exact values (``actual``'s dtype);
        - ``ulps``: ULP errors of ``actual`` against the exact values (float64);
        - ``subnormal``: where the exact value is subnormal and does not round to 0.
        """
        flushed = subnormal & (actual == 0) if subnormal.any() else None
        same = actual == rounded
        if np.isnan(rounded).any():
            same |= np.isnan(actual) & np.isnan(rounded)
        bad = ~np.isfinite(actual)
        nonfinite = (np.count_nonzero(bad & np.isfinite(x) & np.isfinite(rounded))
                     if bad.any() else 0)
        if flushed is not None and flushed.any():
            judged = ~flushed
            same &= judged
            ulps = np.where(judged, ulps, -np.inf)
        n_flushed = 0 if flushed is None else int(np.count_nonzero(flushed))
        s = cls(n=int(x.size), judged=int(x.size) - n_flushed,
                correctly_rounded=int(np.count_nonzero(same)),
                over_1=int(np.count_nonzero(ulps > 1)),
                over_2=int(np.count_nonzero(ulps > 2)),
                nonfinite=int(nonfinite), subnormal=int(np.count_nonzero(subnormal)),
                flushed=n_flushed)
        if s.judged:
            i = int(np.argmax(ulps))
            s.max_ulp, s.x_at_max = float(ulps[i]), float(x[i])
        return s

    def merge(self, other: "Stats") -> "Stats":
        """Combine with the statistics of disjoint inputs (in place; returns self)."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.max_ulp > self.max_ulp:
            self.max_ulp, self.x_at_max = other.max_ulp, other.x_at_max
        return self

    @property
    def share_correctly_rounded(self) -> float:
        """Correctly rounded results among the judged ones (nan when none)."""
        return self.correctly_rounded / self.judged if self.judged else math.nan

    def to_json(self) -> dict:
        """A JSON-safe dict (infinities as strings) that :meth:`from_json` reads back."""
        d = dataclasses.asdict(self)
        d["max_ulp"] = _float_out(self.max_ulp)
        d["x_at_max"] = None if self.x_at_max is None else _float_out(self.x_at_max)
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Stats":
        d = dict(d)
        d["max_ulp"] = float(d["max_ulp"])
        d["x_at_max"] = None if d["x_at_max"] is None else float(d["x_at_max"])
        return cls(**d)


def _float_out(v: float) -> float | str:
    """Finite floats as numbers; inf/nan as the strings float() reads back."""
    return v if math.isfinite(v) else repr(float(v))
