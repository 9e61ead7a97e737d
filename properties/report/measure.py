"""Measure implementations against the exact values, on the report's inputs.

Exact values come from one of two references, named in the report header:

- float32: :mod:`properties.report.fastref` (vectorised float64, certified;
  uncertain roundings recomputed with :func:`reference.correctly_rounded`);
- float64: :func:`reference.correctly_rounded` and :func:`reference.ulp_error`
  (mpmath, Ziv's strategy) at every input.

Modes of one order whose results are bitwise identical share a row
(``reverse = forward``); a mode that differs gets its own.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable

import numpy as np

from properties.backend import x64_for
from properties.report import fastref
from properties.report.implementations import Implementation
from properties.report.stats import Stats

ORDER_NAMES = {0: "value", 1: "d1", 2: "d2"}
REFERENCE_METHOD = {
    "float32": "float64 NumPy evaluation, certified (bound 2^-48 rel.; uncertain "
               "roundings recomputed with reference.correctly_rounded)",
    "float64": "reference.correctly_rounded / reference.ulp_error (mpmath, Ziv)",
}


@dataclasses.dataclass(frozen=True)
class Exact:
    """The exact values of one derivative order at inputs ``x``.

    - ``rounded``: correctly rounded into ``x``'s dtype;
    - ``subnormal``: exact value below the smallest normal, not rounding to 0;
    - ``ulp_errors``: ULP errors of an array of results against the exact values.
    """

    x: np.ndarray
    rounded: np.ndarray
    subnormal: np.ndarray
    ulp_errors: Callable[[np.ndarray], np.ndarray]


def exact_values(x: np.ndarray, order: int) -> Exact:
    """:class:`Exact` for float32 (fast certified reference) or float64 (mpmath) ``x``."""
    if x.dtype == np.float32:
        ref = fastref.reference_f32(x, order)
        return Exact(x, ref.rounded, ref.subnormal(), lambda a: fastref.ulp_errors(a, ref))
    if x.dtype != np.float64:
        raise TypeError(f"x must be float32 or float64, got {x.dtype}")
    import reference
    fn = reference.functions.SOFTPLUS_DERIVATIVES[order]
    rounded = reference.correctly_rounded(fn, x)
    tiny = np.finfo(np.float64).smallest_normal
    subnormal = (rounded != 0) & (np.abs(rounded) < tiny)
    return Exact(x, rounded, subnormal, lambda a: reference.ulp_error(a, fn, x))


@dataclasses.dataclass
class Row:
    """One line of the report: an implementation's order, in one or more identical modes."""

    label: str
    role: str
    dtype: str
    order: int
    modes: tuple[str, ...]
    stats: Stats

    def to_json(self) -> dict:
        return {"implementation": self.label, "role": self.role, "dtype": self.dtype,
                "order": self.order, "derivative": ORDER_NAMES[self.order],
                "modes": list(self.modes), **self.stats.to_json()}


@dataclasses.dataclass
class Measurement:
    """Rows for one dtype, and per (label, order) ULP errors at each input for plots.

    In ``curves`` a flushed result is nan (left out) and the worst mode is kept.
    """

    dtype: str
    x: np.ndarray
    rows: list[Row]
    curves: dict[tuple[str, int], np.ndarray]


def group_identical(results: dict[str, np.ndarray]) -> list[tuple[tuple[str, ...], np.ndarray]]:
    """Modes whose results are bitwise identical, grouped (first seen first)."""
    groups: list[tuple[list[str], np.ndarray]] = []
    for mode, out in results.items():
        for modes, first in groups:
            if np.array_equal(first.view(np.uint8), out.view(np.uint8)):
                modes.append(mode)
                break
        else:
            groups.append(([mode], out))
    return [(tuple(m), out) for m, out in groups]


def measure(x: np.ndarray, impls: Iterable[Implementation], *,
            progress: Callable[[str], None] = lambda step: None) -> Measurement:
    """Measure every implementation, order and mode at the inputs ``x`` (one dtype)."""
    dtype = x.dtype.name
    impls = list(impls)
    rows, curves = [], {}
    with x64_for(dtype):
        for order in (0, 1, 2):
            progress(f"{dtype} {ORDER_NAMES[order]}: reference")
            exact = exact_values(x, order)
            for impl in impls:
                modes = [m for o, m in impl.derivatives if o == order]
                if not modes:
                    continue
                progress(f"{dtype} {ORDER_NAMES[order]}: {impl.label}")
                results = {m: impl(order, m, x) for m in modes}
                worst = np.full(x.size, -np.inf)
                for group, out in group_identical(results):
                    ulps = exact.ulp_errors(out)
                    stats = Stats.of(x=x, actual=out, rounded=exact.rounded, ulps=ulps,
                                     subnormal=exact.subnormal)
                    rows.append(Row(impl.label, impl.role, dtype, order, group, stats))
                    flushed = exact.subnormal & (out == 0)
                    np.fmax(worst, np.where(flushed, np.nan, ulps), out=worst)
                curves[(impl.label, order)] = np.where(np.isneginf(worst), np.nan, worst)
    return Measurement(dtype, x, rows, curves)
