"""Measure an op's implementations on the report's inputs: one :class:`Row` per
implementation, derivative and group of modes with bitwise identical results.

Each result is judged by :func:`properties.classify.classify`, as in the suite.
Exact values come from the op's certified fast reference where it offers one
for the dtype (:data:`properties.fastref.FLOAT32`), and from mpmath
(:func:`reference.correctly_rounded`, :func:`reference.ulp_error`) otherwise.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from properties import fastref
from properties.backend import x64_for
from properties.classify import Stats, classify
from properties.evaluate import Implementation, derivative_label, order_of
from properties.ops import OpSpec

REFERENCES = {
    "fast": "float64 NumPy evaluation, certified (bound 2^-48 rel.; uncertain roundings "
            "recomputed with reference.correctly_rounded)",
    "mpmath": "reference.correctly_rounded / reference.ulp_error (mpmath, Ziv)",
}


def reference_kind(op: OpSpec, dtype: str) -> str:
    """``"fast"`` where ``op`` offers a certified fast reference in ``dtype``, else ``"mpmath"``."""
    return "fast" if dtype == "float32" and op.name in fastref.FLOAT32 else "mpmath"


@dataclasses.dataclass
class Row:
    """One line of the report: an implementation's derivative, in one or more identical modes."""

    op: str
    implementation: str
    role: str
    dtype: str
    derivative: str  # "value", "d1", "dxy", ...
    modes: tuple[str, ...]
    stats: Stats

    def to_json(self) -> dict:
        return {"op": self.op, "implementation": self.implementation, "role": self.role,
                "dtype": self.dtype, "derivative": self.derivative, "modes": list(self.modes),
                **self.stats.to_json()}


@dataclasses.dataclass
class Measurement:
    """The rows of one op and dtype, and for a unary op the ULP error at each input
    per (label, order), the worst mode kept, flushed results nan (for the plot)."""

    op: str
    dtype: str
    inputs: tuple[np.ndarray, ...]
    counts: dict[str, int]
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


def measure(op: OpSpec, impls: list[Implementation], args: tuple[np.ndarray, ...],
            counts: dict[str, int] | None = None, *,
            progress: Callable[[str], None] = lambda step: None,
            on_comparison: Callable[[Row, "object"], None] | None = None) -> Measurement:
    """Every implementation, derivative and mode of ``op`` at the inputs ``args`` (one dtype).

    ``on_comparison(row, comparison)``, if given, sees each row with the elementwise
    :class:`properties.classify.Comparison` it was counted from (the audit's findings)."""
    dtype = args[0].dtype.name
    fast = fastref.FLOAT32[op.name] if reference_kind(op, dtype) == "fast" else None
    refs = fast(args[0], orders=op.orders) if fast else {}
    rows, curves = [], {}
    with x64_for(dtype):
        for derivative in dict.fromkeys(d for impl in impls for d, _ in impl.derivatives):
            name = derivative_label(derivative, "").strip()
            exact, ref = op.reference(derivative), refs.get(order_of(derivative))
            for impl in impls:
                modes = [m for d, m in impl.derivatives if d == derivative]
                if not modes:
                    continue
                progress(f"{op.name} {dtype} {name}: {impl.label}")
                worst = np.full(args[0].size, -np.inf)
                for group, out in group_identical({m: impl(derivative, m, *args) for m in modes}):
                    c = classify(out, exact, *args, limits=op.limit_points(derivative), **(
                        {"expected": ref.rounded, "ulps": ref.ulp_errors(out)} if ref else {}))
                    rows.append(Row(op.name, impl.label, impl.role, dtype, name, group, Stats.of(c)))
                    if on_comparison is not None:
                        on_comparison(rows[-1], c)
                    np.fmax(worst, np.where(c.flushed, np.nan, c.ulps), out=worst)
                if op.arity == 1:
                    curves[(impl.label, derivative)] = np.where(np.isneginf(worst), np.nan, worst)
    return Measurement(op.name, dtype, args, counts or {}, rows, curves)


#: The tutorial's inputs for its comparison of first derivatives.
TUTORIAL_X = (-10.0, 0.0, 10.0, 80.0, 100.0)


def tutorial_table(op: OpSpec, impls: list[Implementation], dtypes) -> dict:
    """First derivatives (reverse mode) at :data:`TUTORIAL_X`, per dtype, and the exact value."""
    import reference

    chosen = [i for i in impls if (1, "reverse") in i.derivatives]
    entries = []
    for dtype in dtypes:
        x = np.array(TUTORIAL_X, dtype)
        exact = reference.correctly_rounded(op.reference(1), x)
        with x64_for(dtype):
            got = [i(1, "reverse", x) for i in chosen]
        entries += [{"dtype": dtype, "x": str(x[k]), "exact": str(exact[k]),
                     "values": [str(g[k]) for g in got]} for k in range(x.size)]
    return {"labels": [i.label for i in chosen], "entries": entries}
