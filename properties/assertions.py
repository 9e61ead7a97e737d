"""One checker per kind of property, one message pattern.

Every accuracy check goes through :func:`compare`, which measures ``got``
against the correctly rounded reference in ULPs and classifies each element,
then :func:`assert_within_budget`, which records the worst error in the
ledger, steers Hypothesis toward larger errors (``hypothesis.target``) and
fails with a message in one pattern::

    softplus_vjp d2 reverse-over-reverse float32: out=0.0 [0x00000000], but should be
    4.539787e-05 [0x383e6f9d] at x=10.0 [0x41200000]: inf ULP > budget 1 ULP
    (nonfinite or zero where the exact value is finite) ...
    reproduce: JAX_ENABLE_X64=0 python -c "..."

Subnormal policy: a result returned as 0 whose exact value is nonzero and
below the smallest normal (before rounding: it may round up to the smallest
normal) is *flushed*; so is a result at a subnormal input
that is the correctly rounded result at that input replaced by ±0 (the backend
treats subnormal inputs as zero, DAZ: XLA on CPU returns ``log(1e-45) = -inf``). Flushed results are never judged by
their (meaningless, huge) ULP figure: they are counted apart in the ledger, and
they fail unless ``flush_allowed`` (the plugin allows them only where the
backend flushes subnormals, or never with ``--subnormals=strict``).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np
from hypothesis import Phase, control, settings, target

import reference
from properties import ledger

#: How many failing elements a message lists.
MAX_LISTED = 5


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Elementwise comparison of results with the exact values (flat arrays)."""

    inputs: tuple[np.ndarray, ...]
    got: np.ndarray
    expected: np.ndarray  # correctly rounded into got's dtype
    ulps: np.ndarray      # reference.ulp_error
    flushed: np.ndarray   # got == 0 where the exact value is nonzero and below the smallest normal
    nonfinite: np.ndarray  # got is inf/nan where the exact value is finite

    def failures(self, budget: float, *, flush_allowed: bool) -> np.ndarray:
        """Indices of elements outside ``budget``, worst first."""
        bad = self.ulps > budget
        if flush_allowed:
            bad &= ~self.flushed
        idx = np.flatnonzero(bad)
        return idx[np.argsort(-self.ulps[idx], kind="stable")]


def compare(got, exact: Callable, *inputs) -> Comparison:
    """Measure ``got`` against ``exact(*inputs)`` (mpmath function, exact float inputs).

    ``got`` and ``inputs`` broadcast together; results are flattened.
    """
    got = np.asarray(got)
    arrays = np.broadcast_arrays(got, *(np.asarray(a) for a in inputs))
    got, inputs = arrays[0].reshape(-1), tuple(a.reshape(-1) for a in arrays[1:])
    ulps = reference.ulp_error(got, exact, *inputs).reshape(-1)
    # A finite nonzero result less than half an ULP from the exact value is the
    # correctly rounded one (the margin keeps clear of ties and of ulp_error's own
    # 2^-64); the reference rounds only the others, which halves its work.
    with np.errstate(invalid="ignore"):
        rounded = np.isfinite(got) & (got != 0) & (ulps < 0.5 - 2.0**-20)
    expected = got.copy()
    if not rounded.all():
        rest = ~rounded
        expected[rest] = reference.correctly_rounded(
            exact, *(a[rest] for a in inputs), dtype=got.dtype).reshape(-1)
    tiny = np.finfo(got.dtype).smallest_normal
    flushed = (got == 0) & (expected != 0) & (np.abs(expected) < tiny)
    # An exact value just below the smallest normal can round up to it; a backend
    # that flushes results tiny before rounding returns 0 there: flushed, too.
    edge = (got == 0) & (np.abs(expected) == tiny)
    if edge.any():
        below = np.copysign(np.nextafter(tiny, np.zeros((), got.dtype)), expected[edge])
        flushed[edge] = reference.ulp_error(below, exact, *(a[edge] for a in inputs)) < 1
    # Subnormal inputs treated as zero (DAZ): the result is the exact one at +-0.
    daz = np.zeros_like(flushed)
    for a in inputs:
        daz |= (a != 0) & (np.abs(a) < np.finfo(a.dtype).smallest_normal)
    if daz.any():
        zeroed = tuple(np.where(np.abs(a[daz]) < np.finfo(a.dtype).smallest_normal,
                                np.copysign(np.zeros((), a.dtype), a[daz]), a[daz])
                       for a in inputs)
        at_zero = reference.ulp_error(got[daz], exact, *zeroed) <= 0.5
        flushed[daz] |= at_zero & (ulps[daz] > 0.5)
    nonfinite = ~np.isfinite(got) & np.isfinite(expected)
    return Comparison(inputs, got, expected, ulps, flushed, nonfinite)


def _show(v) -> str:
    """A float with its bit pattern, e.g. ``1.0 [0x3f800000]``."""
    v = np.asarray(v)
    bits = v.view(np.uint32 if v.dtype == np.float32 else np.uint64)
    return f"{str(v[()])} [{int(bits):#0{v.dtype.itemsize * 2 + 2}x}]"


def _diagnosis(c: Comparison, i: int) -> str:
    if c.flushed[i]:
        return "flushed: 0 where the exact value is subnormal (--subnormals=strict, or backend does not flush)"
    if c.nonfinite[i]:
        return "NONFINITE result where the exact value is finite"
    if np.isnan(c.expected[i]) != np.isnan(c.got[i]):
        return "nan mismatch"
    if np.isinf(c.expected[i]):
        return "wrong limit: the exact value is infinite"
    return ""


def _targeting() -> bool:
    """Whether the active profile searches toward large errors (its phases include
    ``Phase.target``): only then is each result's worst error reported to
    ``hypothesis.target``, whose bookkeeping costs ~10% of a run."""
    return Phase.target in settings.default.phases


def assert_within_budget(c: Comparison, *, what: str, rule: str, derivative: str,
                         budget: float, flush_allowed: bool,
                         repro: Callable[[int], str] | None = None) -> None:
    """Fail if any element of ``c`` is more than ``budget`` ULPs from the exact value.

    - ``what``: the property and case, e.g. ``"softplus_vjp d1 reverse float32"``.
    - ``rule``, ``derivative``: the ledger's row (e.g. ``"softplus_vjp"``, ``"d1 reverse"``).
    - ``repro``: index -> a shell line that reproduces that element.
    """
    __tracebackhide__ = True
    dtype = c.got.dtype.name
    ledger.record(rule=rule, derivative=derivative, dtype=dtype, ulps=c.ulps,
                  x=c.inputs[0] if len(c.inputs) == 1 else c.inputs,
                  flushed=c.flushed, nonfinite=c.nonfinite)
    judged = c.ulps[~(c.flushed | c.nonfinite)]
    if control.currently_in_test_context() and judged.size and _targeting():
        worst = float(judged.max())
        target(worst if math.isfinite(worst) else 1e300, label=f"ULP {what}")
    failing = c.failures(budget, flush_allowed=flush_allowed)
    if failing.size == 0:
        return
    lines = []
    for i in failing[:MAX_LISTED]:
        at = ", ".join(f"{name}={_show(a[i])}" for name, a in
                       zip(("x", "y", "z"), c.inputs))
        why = _diagnosis(c, i)
        lines.append(f"out={_show(c.got[i])}, but should be {_show(c.expected[i])} at {at}: "
                     f"{c.ulps[i]:.4g} ULP > budget {budget:g} ULP"
                     + (f" ({why})" if why else ""))
    head = (f"{what}: {failing.size} of {c.got.size} elements outside the budget"
            + (f"; worst {MAX_LISTED} shown" if failing.size > MAX_LISTED else ""))
    tail = f"\n  reproduce: {repro(int(failing[0]))}" if repro else ""
    raise AssertionError(head + "\n  " + "\n  ".join(lines) + tail)


def assert_true(condition: bool, message: str) -> None:
    """Fail with ``message`` (for structural properties: dtypes, shapes, residuals)."""
    __tracebackhide__ = True
    if not condition:
        raise AssertionError(message)


def repro_line(*, module: str, rule: str, dtype: str, x, expression: str) -> str:
    """A shell line that recomputes one result, with the x64 mode of ``dtype``.

    ``x``: the input, or a tuple of inputs (``x``, ``y``) for a binary rule."""
    x64 = 1 if dtype == "float64" else 0
    values = x if isinstance(x, tuple) else (x,)
    assign = "; ".join(f"{name} = np.{dtype}(float.fromhex('{float(v).hex()}'))"
                       for name, v in zip("xyz", values))
    return (f"JAX_ENABLE_X64={x64} python -c \"import importlib, jax, numpy as np; "
            f"f = importlib.import_module('{module}').{rule}; "
            f"{assign}; print(repr({expression}))\"")


def derivative_label(order, mode: str) -> str:
    """``value``, ``d1 reverse``, ``d2 forward-over-reverse`` for an order (unary op);
    ``dx reverse``, ``dxy reverse-over-reverse`` for a multi-index (binary op)."""
    if isinstance(order, (int, np.integer)):
        return "value" if order == 0 else f"d{order} {mode}"
    index = tuple(order)
    if sum(index) == 0:
        return "value"
    if len(index) == 1:
        return f"d{index[0]} {mode}"
    return "d" + "".join("xyz"[i] * k for i, k in enumerate(index)) + f" {mode}"


def assert_rule_within_budget(*, target: str, op, variant: str, rule: Callable,
                              order, mode: str, x, budget: float,
                              flush_allowed: bool, prop: str = "") -> Comparison:
    """Evaluate ``rule``'s derivative in ``mode`` at every element of ``x`` and assert
    it is within ``budget`` ULPs of ``op``'s exact derivative.

    - ``target``: the module name (for the reproduce line);
    - ``op``: the :class:`properties.ops.OpSpec`;
    - ``order``: the derivative, an order (unary op) or a multi-index (binary op);
    - ``x``: the input array, or a tuple of one array per argument (broadcast together);
    - ``prop``: the property's name, prefixed to the message.
    """
    __tracebackhide__ = True
    from properties import evaluate  # JAX is imported only where rules are run

    args = tuple(x) if isinstance(x, tuple) else (x,)
    dtype = np.asarray(args[0]).dtype.name
    got = evaluate.evaluate(rule, order, mode, *args)
    c = compare(got, op.reference(order), *args)
    name = f"{op.name}_{variant}"
    label = derivative_label(order, mode)
    assert_within_budget(
        c, what=f"{prop + ': ' if prop else ''}{name} {label} {dtype}", rule=name,
        derivative=label, budget=budget, flush_allowed=flush_allowed,
        repro=lambda i: repro_line(module=target, rule=name, dtype=dtype,
                                   x=tuple(a[i] for a in c.inputs),
                                   expression=evaluate.repro_expression(order, mode)))
    return c
