"""One judgement of results against their exact values: the classifier and its statistics.

Every path that decides whether a result is right -- the suite's assertions
(:func:`properties.assertions.compare`), the ledger's closing table, the
report, the exhaustive sweep -- calls :func:`classify` and counts into
:class:`Stats`, so they cannot disagree about the same number.

Each result falls in exactly one class:

- ``JUDGED``: judged by its ULP error (:func:`reference.ulp_error`);
- ``FLUSHED``: what a backend that flushes subnormals returns (below);
- ``NONFINITE``: inf or nan where the correctly rounded exact value is finite;
- ``FINITE_FOR_NONFINITE``: finite where the correctly rounded value is ±inf
  (a wrong limit, or no overflow where the exact value overflows) or nan;
- ``NAN_MISMATCH``: nan where the exact value is ±inf, or ±inf where it is nan;
- ``CONVENTION``: at a *limit point* of an op -- an infinite input, or one of the
  finite points the caller names (an op's domain edges and declared conventions,
  :meth:`properties.ops.OpSpec.limit_points`) -- a result that is not the
  correctly rounded exact limit (more than half an ULP off, or nonfinite where
  the limit is finite, or the reverse). What a function returns at ±inf or at
  the end of its domain is a convention before it is a digit: these results are
  kept apart so they cannot hide wrong values inside the domain.

The verdict a person reads (:data:`VERDICTS`, :meth:`Comparison.verdicts`)
orders the failures in four groups, most important first: (1) wrong finite
results, (2) nonfinite where the exact value is finite, (3) wrong where the
exact value is ±inf or nan (finite, the other infinity, nan for inf), (4)
limit conventions; flushed results last. A sign of zero is never an error of
the ULP measure (``ulp_error(-0.0, 0) == 0``: mpmath has no signed zero), so
it can never fail a budget; where a sign matters the op declares its
conventions, and results at those points are group 4.

Subnormal policy (XLA on CPU flushes subnormal results to zero and reads
subnormal inputs as zero, FTZ/DAZ). A result is *flushed* when

- it is 0 and the exact value is nonzero and below the smallest normal
  *before* rounding (it may round up to the smallest normal: FTZ flushes
  before rounding), or
- some input is subnormal, the result is not within half an ULP, and it is
  the correctly rounded result at the inputs with the subnormal ones replaced
  by ±0 (``log(1e-45)`` is ``-inf`` there).

A flushed result passes only where flushing is allowed (the backend flushes,
and ``--subnormals auto``); otherwise it is judged by its ULP figure like any
other. Results of the three error classes have an ULP figure too (inf, except
a finite result where the exact value overflows), and the budget applies to
it: :meth:`Comparison.failures` and :meth:`Stats.within` give one verdict.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import ml_dtypes
import numpy as np

import reference

JUDGED, FLUSHED, NONFINITE, FINITE_FOR_NONFINITE, NAN_MISMATCH, CONVENTION = range(6)
#: Class -> how a failure message explains it.
CLASS_NAMES = {
    FLUSHED: "flushed: 0 for a subnormal exact value, or the result at a subnormal input read "
             "as 0 (fails with --subnormals=strict, or where the backend does not flush)",
    NONFINITE: "NONFINITE result where the exact value is finite",
    FINITE_FOR_NONFINITE: "wrong limit: finite where the correctly rounded value is ±inf or nan",
    NAN_MISMATCH: "nan mismatch",
    CONVENTION: "limit convention: at ±inf or a declared limit point, not the exact limit",
}

#: The verdict groups, in the order every message and summary lists them: group ->
#: its heading. Group 5 (flushed) fails only where flushing is not allowed.
WRONG_FINITE, NONFINITE_FOR_FINITE, WRONG_FOR_NONFINITE, LIMIT_CONVENTION, FLUSHED_GROUP = 1, 2, 3, 4, 5
VERDICTS = {
    WRONG_FINITE: "wrong finite results",
    NONFINITE_FOR_FINITE: "nonfinite where the exact value is finite",
    WRONG_FOR_NONFINITE: "wrong where the exact value is ±inf or nan (finite, the other "
                         "infinity, or nan for ±inf)",
    LIMIT_CONVENTION: "sign-of-zero and limit conventions (at ±inf, domain edges, declared "
                      "conventions)",
    FLUSHED_GROUP: "flushed subnormals",
}


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Results against their exact values, elementwise (flat arrays).

    - ``expected``: the exact values correctly rounded into ``got``'s dtype;
    - ``ulps``: ULP errors (:func:`reference.ulp_error`, or a certified fast reference);
    - ``classes``: one of the classes above per result (int8);
    - ``subnormal``: the exact value is nonzero and below the smallest normal.
    - ``at_limit``: some input is a limit point (infinite, or one the caller named).
    """

    inputs: tuple[np.ndarray, ...]
    got: np.ndarray
    expected: np.ndarray
    ulps: np.ndarray
    classes: np.ndarray
    subnormal: np.ndarray
    at_limit: np.ndarray | None = None

    @property
    def judged(self) -> np.ndarray:
        return self.classes == JUDGED

    @property
    def flushed(self) -> np.ndarray:
        return self.classes == FLUSHED

    @property
    def nonfinite(self) -> np.ndarray:
        return self.classes == NONFINITE

    @property
    def verdicts(self) -> np.ndarray:
        """The verdict group of each result (:data:`VERDICTS`), 0 for none: a judged
        result is group 1 where it and its exact value are finite, 3 where the exact
        value is not, 2 where only it is not."""
        groups = np.zeros(self.got.size, np.int8)
        with np.errstate(invalid="ignore"):
            exact_finite = np.isfinite(self.expected)
        judged = self.classes == JUDGED
        groups[judged & exact_finite & np.isfinite(self.got)] = WRONG_FINITE
        groups[(judged & exact_finite & ~np.isfinite(self.got)) | (self.classes == NONFINITE)] = (
            NONFINITE_FOR_FINITE)
        groups[(judged & ~exact_finite) | (self.classes == FINITE_FOR_NONFINITE)
               | (self.classes == NAN_MISMATCH)] = WRONG_FOR_NONFINITE
        groups[self.classes == CONVENTION] = LIMIT_CONVENTION
        groups[self.classes == FLUSHED] = FLUSHED_GROUP
        return groups

    def failures(self, budget: float, *, flush_allowed: bool) -> np.ndarray:
        """Indices of results more than ``budget`` ULPs off (flushed ones exempt
        where ``flush_allowed``), worst first."""
        bad = self.ulps > budget
        if flush_allowed:
            bad &= ~self.flushed
        idx = np.flatnonzero(bad)
        return idx[np.argsort(-self.ulps[idx], kind="stable")]


def classify(got, exact: Callable, *inputs, expected=None, ulps=None,
             limits: tuple | None = None) -> Comparison:
    """Classify ``got`` against ``exact(*inputs)`` (an mpmath function of exact float inputs).

    - ``got``, ``inputs``: arrays that broadcast together; results are flattened;
    - ``expected``, ``ulps``: the correctly rounded values and the ULP errors, where
      a certified fast reference already has them (flat, of the broadcast size);
      computed with :mod:`reference` otherwise;
    - ``limits``: one sequence of finite limit points per input (an op's
      :meth:`~properties.ops.OpSpec.limit_points`); where given, ±inf are limit points
      too. Without it (a comparison that knows no op) no result is ``CONVENTION``.

    The reference is asked only where needed: ``expected`` where a result is not
    already within half an ULP, and the subnormal edges on the few results there.
    """
    arrays = np.broadcast_arrays(np.asarray(got), *(np.asarray(a) for a in inputs))
    got, inputs = arrays[0].reshape(-1), tuple(a.reshape(-1) for a in arrays[1:])
    if ulps is None:
        ulps = reference.ulp_error(got, exact, *inputs).reshape(-1)
    if expected is None:
        expected = _correctly_rounded(got, exact, inputs, ulps)
    subnormal = _below_smallest_normal(expected, exact, inputs)
    with np.errstate(invalid="ignore"):
        got_finite, expected_finite = np.isfinite(got), np.isfinite(expected)
        classes = np.zeros(got.size, np.int8)
        classes[~got_finite & expected_finite] = NONFINITE
        classes[got_finite & ~expected_finite] = FINITE_FOR_NONFINITE
        classes[~got_finite & ~expected_finite & (np.isnan(got) != np.isnan(expected))] = NAN_MISMATCH
        at_limit = _at_limit(inputs, limits)
        classes[at_limit & ~(ulps <= 0.5)] = CONVENTION
        classes[((got == 0) & subnormal) | _read_as_zero(got, exact, inputs, ulps)] = FLUSHED
    return Comparison(inputs, got, expected, ulps, classes, subnormal, at_limit)


def _at_limit(inputs, limits) -> np.ndarray:
    """Where some input is infinite or one of its limit points (compared as floats:
    -0.0 is the point 0.0); nowhere when ``limits`` is None."""
    if limits is None:
        return np.zeros(inputs[0].size if inputs else 0, bool)
    if len(limits) != len(inputs):
        raise ValueError(f"classify: limits needs one sequence of points per input "
                         f"({len(inputs)}), got {len(limits)}")
    out = np.zeros(inputs[0].size if inputs else 0, bool)
    for a, points in zip(inputs, limits):
        out |= np.isinf(a)
        if len(points):
            out |= np.isin(a, np.asarray(points, a.dtype))
    return out


def _correctly_rounded(got, exact, inputs, ulps) -> np.ndarray:
    """A finite nonzero result less than half an ULP from the exact value is the
    correctly rounded one (the margin keeps clear of ties and of ulp_error's own
    2^-64); the reference rounds only the others."""
    with np.errstate(invalid="ignore"):
        rounded = np.isfinite(got) & (got != 0) & (ulps < 0.5 - 2.0**-20)
    expected = got.copy()
    if not rounded.all():
        rest = ~rounded
        expected[rest] = reference.correctly_rounded(
            exact, *(a[rest] for a in inputs), dtype=got.dtype).reshape(-1)
    return expected


def _below_smallest_normal(expected, exact, inputs) -> np.ndarray:
    """Where the exact value is nonzero and below the smallest normal: its rounding
    is subnormal, or is the smallest normal itself, rounded up from below."""
    tiny = ml_dtypes.finfo(expected.dtype).smallest_normal  # np.finfo knows no bfloat16
    with np.errstate(invalid="ignore"):
        magnitude = np.abs(expected)
        below = (expected != 0) & (magnitude < tiny)
        edge = np.flatnonzero(magnitude == tiny)
    if edge.size:
        just_below = np.copysign(np.nextafter(tiny, np.zeros((), expected.dtype)), expected[edge])
        below[edge] = reference.ulp_error(just_below, exact, *(a[edge] for a in inputs)) < 1
    return below


def _read_as_zero(got, exact, inputs, ulps) -> np.ndarray:
    """Results at subnormal inputs that are the correctly rounded result with those
    inputs read as ±0 (DAZ), and more than half an ULP from the result at the inputs.

    The reference is asked once per distinct (result, zeroed inputs): under DAZ a
    unary op gives one result at every subnormal input of a sign.
    """
    out = np.zeros(got.size, bool)
    with np.errstate(invalid="ignore"):
        subnormal_in = [(a != 0) & (np.abs(a) < ml_dtypes.finfo(a.dtype).smallest_normal) for a in inputs]
        candidates = np.flatnonzero(np.logical_or.reduce(subnormal_in) & (ulps > 0.5))
    if candidates.size == 0:
        return out
    zeroed = [np.where(s[candidates], np.copysign(np.zeros((), a.dtype), a[candidates]),
                       a[candidates]) for a, s in zip(inputs, subnormal_in)]
    rows = np.stack([_bits(v) for v in [got[candidates]] + zeroed], axis=1)
    _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    at_zero = reference.ulp_error(got[candidates][first], exact, *(z[first] for z in zeroed)) <= 0.5
    out[candidates] = at_zero[inverse.reshape(-1)]
    return out


def _bits(a: np.ndarray) -> np.ndarray:
    return a.view(f"u{a.itemsize}").astype(np.uint64)


# ---- statistics -----------------------------------------------------------------------

_COUNTS = ("n", "judged", "correctly_rounded", "over_1", "over_2", "subnormal", "flushed",
           "nonfinite", "finite_for_nonfinite", "nan_mismatch", "convention")
#: Class -> the Stats count (and :attr:`Stats.examples` key) of the classes other than judged.
CLASS_FIELDS = {FLUSHED: "flushed", NONFINITE: "nonfinite",
                FINITE_FOR_NONFINITE: "finite_for_nonfinite", NAN_MISMATCH: "nan_mismatch",
                CONVENTION: "convention"}
_MAXIMA = ("max_ulp_flushed", "max_ulp_unjudged")


@dataclasses.dataclass
class Stats:
    """What :func:`classify` found in a set of results, mergeable across batches.

    - ``n``: results; ``judged``, ``flushed``, ``nonfinite``, ``finite_for_nonfinite``,
      ``nan_mismatch``, ``convention``: how many fell in each class (they add up to ``n``);
    - ``examples``: per class other than judged (its count's name), the result with the
      smallest input, ``(inputs, got, expected)`` as strings in the results' dtype (the
      case a person can act on: each such result is off by an infinite or undefined
      number of ULPs, so "worst" means simplest);
    - over the judged results only: ``correctly_rounded`` (equal to the correctly
      rounded value; nan for nan), ``over_1`` and ``over_2`` (ULP error above 1, 2),
      ``max_ulp`` and ``at_max``, the worst error and its inputs (first seen on ties);
    - ``subnormal``: results whose exact value is nonzero and below the smallest normal;
    - ``max_ulp_flushed``, ``max_ulp_unjudged``: the worst ULP figure of the flushed
      results and of the three error classes, for :meth:`within`.

    Merged statistics do not depend on how the results were split, except which
    inputs are named on an exact tie of the worst error (the first part's).

    >>> x = np.float32([1, 2, 1e-40])
    >>> got = np.float32([1, np.nextafter(np.float32(2), 3), 0])  # 1 ULP high; flushed
    >>> s = Stats.of(classify(got, lambda v: v, x))
    >>> s.max_ulp, s.at_max, s.judged, s.flushed
    (1.0, (2.0,), 2, 1)
    """

    n: int = 0
    judged: int = 0
    correctly_rounded: int = 0
    over_1: int = 0
    over_2: int = 0
    subnormal: int = 0
    flushed: int = 0
    nonfinite: int = 0
    finite_for_nonfinite: int = 0
    nan_mismatch: int = 0
    convention: int = 0
    max_ulp: float = -math.inf
    at_max: tuple[float, ...] | None = None
    max_ulp_flushed: float = -math.inf
    max_ulp_unjudged: float = -math.inf
    examples: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, c: Comparison) -> "Stats":
        """The statistics of one :class:`Comparison`."""
        per_class = np.bincount(c.classes, minlength=6)
        judged = c.classes == JUDGED
        ulps, got, expected = c.ulps[judged], c.got[judged], c.expected[judged]
        with np.errstate(invalid="ignore"):
            same = (got == expected) | (np.isnan(got) & np.isnan(expected))
        s = cls(n=int(c.got.size), judged=int(per_class[JUDGED]),
                correctly_rounded=int(np.count_nonzero(same)),
                over_1=int(np.count_nonzero(ulps > 1)), over_2=int(np.count_nonzero(ulps > 2)),
                subnormal=int(np.count_nonzero(c.subnormal)), flushed=int(per_class[FLUSHED]),
                nonfinite=int(per_class[NONFINITE]),
                finite_for_nonfinite=int(per_class[FINITE_FOR_NONFINITE]),
                nan_mismatch=int(per_class[NAN_MISMATCH]), convention=int(per_class[CONVENTION]),
                examples=_examples(c), max_ulp_flushed=_max(c.ulps[c.classes == FLUSHED]),
                max_ulp_unjudged=_max(c.ulps[c.classes > FLUSHED]))
        if ulps.size:
            i = int(np.argmax(ulps))
            s.max_ulp = float(ulps[i])
            s.at_max = tuple(float(a[judged][i]) for a in c.inputs)
        return s

    def merge(self, other: "Stats") -> "Stats":
        """Add the statistics of other results (in place; returns self)."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in _MAXIMA:
            setattr(self, name, max(getattr(self, name), getattr(other, name)))
        if other.max_ulp > self.max_ulp:
            self.max_ulp, self.at_max = other.max_ulp, other.at_max
        for name, example in other.examples.items():
            mine = self.examples.get(name)
            if mine is None or (input_size(tuple(map(float, example[0])))
                                < input_size(tuple(map(float, mine[0])))):
                self.examples[name] = example
        return self

    def within(self, budget: float, *, flush_allowed: bool) -> bool:
        """Whether no result is more than ``budget`` ULPs off (flushed ones exempt where
        ``flush_allowed``): the verdict of :meth:`Comparison.failures`."""
        worst = max(self.max_ulp, self.max_ulp_unjudged,
                    -math.inf if flush_allowed else self.max_ulp_flushed)
        return worst <= budget

    @property
    def share_correctly_rounded(self) -> float:
        """Correctly rounded results among the judged ones (nan when none)."""
        return self.correctly_rounded / self.judged if self.judged else math.nan

    def to_json(self) -> dict:
        """A JSON-safe dict (infinities as strings) that :meth:`from_json` reads back."""
        d = dataclasses.asdict(self)
        for name in ("max_ulp",) + _MAXIMA:
            d[name] = _float_out(d[name])
        d["at_max"] = None if self.at_max is None else [_float_out(v) for v in self.at_max]
        d["examples"] = {name: [list(at), got, exp] for name, (at, got, exp) in self.examples.items()}
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Stats":
        d = dict(d)
        for name in ("max_ulp",) + _MAXIMA:
            d[name] = float(d[name])
        d["at_max"] = None if d["at_max"] is None else tuple(float(v) for v in d["at_max"])
        d["examples"] = {name: (tuple(at), got, exp)
                         for name, (at, got, exp) in d.get("examples", {}).items()}
        return cls(**d)


def input_size(inputs: tuple[float, ...]) -> tuple:
    """How small an input is, to pick the simplest example: max |argument|, then the
    sum (nan counts as infinite), then the arguments themselves (so that the choice
    is a total order, whatever order the results come in)."""
    mags = [abs(v) if not math.isnan(v) else math.inf for v in inputs]
    return (max(mags), sum(mags)) + tuple(math.inf if math.isnan(v) else v for v in inputs)


def _examples(c: Comparison) -> dict:
    """Per class other than judged, the result with the smallest input (:func:`input_size`),
    as strings in the results' dtype (shortest repr; nan compares equal as a string):
    ``(inputs, got, expected)``. Vectorized: a sweep has millions of results."""
    out = {}
    if not any(np.any(c.classes == k) for k in CLASS_FIELDS):
        return out
    with np.errstate(invalid="ignore", over="ignore"):
        mags = np.stack([np.where(np.isnan(a), np.inf, np.abs(a)).astype(np.float64)
                         for a in c.inputs])
        values = [np.where(np.isnan(a), np.inf, a).astype(np.float64) for a in c.inputs]
        largest, total = mags.max(axis=0), mags.sum(axis=0)
    for klass, name in CLASS_FIELDS.items():
        idx = np.flatnonzero(c.classes == klass)
        if idx.size:
            keys = tuple(v[idx] for v in reversed(values)) + (total[idx], largest[idx])
            i = int(idx[np.lexsort(keys)[0]])
            out[name] = (tuple(str(a[i]) for a in c.inputs), str(c.got[i]), str(c.expected[i]))
    return out


def _max(a: np.ndarray) -> float:
    return float(a.max()) if a.size else -math.inf


def _float_out(v: float) -> float | str:
    """Finite floats as numbers; inf/nan as the strings float() reads back."""
    return v if math.isfinite(v) else repr(float(v))


def format_inputs(at: tuple[float, ...] | None, dtype: str) -> str:
    """``x=-0.5`` or ``x=-1.0, y=-0.45867515``: inputs in ``dtype``'s shortest repr."""
    if at is None:
        return "-"
    return ", ".join(f"{name}={str(np.dtype(dtype).type(v))}" for name, v in zip("xyz", at))
