"""One checker per kind of property, one message pattern.

Every accuracy check goes through :func:`compare`, which measures ``got``
against the correctly rounded reference in ULPs and classifies each result
with :func:`properties.classify.classify` (judged, flushed, nonfinite, ...: the
classes and the subnormal policy are stated there), then
:func:`assert_within_budget`, which records the statistics in the ledger,
steers Hypothesis toward larger errors (``hypothesis.target``) and fails with a
message in one pattern, its failures in the verdict groups of
:data:`properties.classify.VERDICTS` (wrong finite values first, then nonfinite
where the exact value is finite, then wrong where it is ±inf or nan, then limit
conventions; each group with its count and worst ULP, so a nan at ±inf never
hides a wrong value inside the domain)::

    special values: softplus_vjp value float32: 2 of 5 elements outside the budget
      1. wrong finite results: 2, worst 0.8424 ULP at x=4.0
        out=4.0181503 [0x408094b0], but should be 4.01815 [0x408094af] at x=4.0 [0x40800000]: 0.8424 ULP > budget 0.51 ULP
        out=3.5297506 [0x4061e76f], but should be 3.5297503 [0x4061e76e] at x=3.5 [0x40600000]: 0.7016 ULP > budget 0.51 ULP
      reproduce: JAX_ENABLE_X64=0 python -c "import importlib, jax, numpy as np; f = importlib.import_module('properties.defects.one_ulp_high_between_3_and_6').softplus_vjp; x = np.float32(float.fromhex('0x1.0000000000000p+2')); print(repr(f(x)))"

(a result in a class other than judged adds why, e.g. ``(NONFINITE result where
the exact value is finite)``). The reproduce line is the first listed result of
the first group.

Flushed results pass only where ``flush_allowed`` (the plugin allows them
where the backend flushes subnormals, never with ``--subnormals=strict``).
"""

from __future__ import annotations

import math
import sys
from typing import Callable

import numpy as np
from hypothesis import Phase, control, settings, target

from properties import evaluate, fastref, ledger
from properties.classify import (CLASS_NAMES, FLUSHED_GROUP, JUDGED, VERDICTS, WRONG_FINITE,
                                 Comparison, Stats,
                                 classify, input_size)
from properties.evaluate import derivative_label  # noqa: F401  (its former home)
from properties.target import nondiff_arguments

#: How many failing elements a message lists in each verdict group.
MAX_LISTED = 3

__all__ = ["Comparison", "compare", "assert_within_budget", "assert_true", "repro_line",
           "assert_rule_within_budget", "MAX_LISTED"]


def compare(got, exact: Callable, *inputs, limits: tuple | None = None) -> Comparison:
    """Measure ``got`` against ``exact(*inputs)`` (mpmath function, exact float inputs)
    and classify each result (:func:`properties.classify.classify`).

    ``got`` and ``inputs`` broadcast together; results are flattened. ``limits``: the
    op's limit points per input (:meth:`properties.ops.OpSpec.limit_points`).

    Where ``exact`` is the declared reference of a built-in op with a certified fast
    float32 reference (:data:`properties.fastref.FLOAT32`) and ``got`` and the input are
    float32, that reference gives the correctly rounded values and ULP errors (as in
    the report's sweeps and :mod:`properties.dense`): about 1 ms for a batch where
    mpmath takes 5 ms, 16% of the float32 unary properties' time.
    """
    fast = _fast_float32_reference(got, exact, inputs)
    if fast is not None:
        reference, flat = fast
        return classify(got, exact, *inputs, limits=limits, expected=reference.rounded,
                        ulps=reference.ulp_errors(flat))
    return classify(got, exact, *inputs, limits=limits)


def _fast_float32_reference(got, exact, inputs):
    """(fastref.Reference at the flat input, flat ``got``) where one applies, else None."""
    found = fastref.certified_for(exact) if len(inputs) == 1 else None
    if found is None:
        return None
    got, x = np.broadcast_arrays(np.asarray(got), np.asarray(inputs[0]))
    if got.dtype != np.float32 or x.dtype != np.float32:
        return None
    name, order = found
    return fastref.FLOAT32[name](x.reshape(-1), orders=(order,))[order], got.reshape(-1)


def _show(v) -> str:
    """A float with its bit pattern, e.g. ``1.0 [0x3f800000]``."""
    v = np.asarray(v)
    bits = v.view(f"u{v.dtype.itemsize}")
    return f"{str(v[()])} [{int(bits):#0{v.dtype.itemsize * 2 + 2}x}]"


def _diagnosis(c: Comparison, i: int) -> str:
    kind = int(c.classes[i])
    if kind == JUDGED:
        return "wrong limit: the exact value is infinite" if np.isinf(c.expected[i]) else ""
    return CLASS_NAMES[kind]


def _targeting() -> bool:
    """Whether the active profile searches toward large errors (its phases include
    ``Phase.target``): only then is each result's worst error reported to
    ``hypothesis.target``, whose bookkeeping costs ~10% of a run."""
    return Phase.target in settings.default.phases


def assert_within_budget(c: Comparison, *, what: str, rule: str, derivative: str,
                         budget: float | np.ndarray, flush_allowed: bool,
                         repro: Callable[[int], str] | None = None) -> None:
    """Fail if any element of ``c`` is more than ``budget`` ULPs from the exact value.

    - ``what``: the property and case, e.g. ``"softplus_vjp d1 reverse float32"``.
    - ``rule``, ``derivative``: the ledger's row (e.g. ``"softplus_vjp"``, ``"d1 reverse"``).
    - ``repro``: index -> a shell line that reproduces that element.
    """
    __tracebackhide__ = True
    stats = Stats.of(c)
    ledger.record(rule=rule, derivative=derivative, dtype=c.got.dtype.name, stats=stats)
    if control.currently_in_test_context() and stats.judged and _targeting():
        worst = stats.max_ulp
        target(worst if math.isfinite(worst) else 1e300, label=f"ULP {what}")
    failing = c.failures(budget, flush_allowed=flush_allowed)
    if failing.size == 0:
        return
    budgets = np.broadcast_to(budget, c.ulps.shape)
    groups = c.verdicts[failing]
    lines, first = [], None
    for group, heading in VERDICTS.items():
        members = failing[groups == group]  # worst first
        if members.size == 0:
            continue
        ranked = group in (WRONG_FINITE, FLUSHED_GROUP)
        if ranked:
            summary = f"worst {c.ulps[members[0]]:.4g} ULP at {_at(c, members[0], bits=False)}"
        else:  # each off by an infinite or undefined number of ULPs: the simplest inputs first
            members = np.array(sorted(members, key=lambda i: input_size(
                tuple(float(a[i]) for a in c.inputs))), dtype=members.dtype)
            summary = f"simplest at {_at(c, members[0], bits=False)}"
        first = int(members[0]) if first is None else first
        lines.append(f"{group}. {heading}: {members.size}, {summary}")
        for i in members[:MAX_LISTED]:
            why = _diagnosis(c, i)
            lines.append(f"  out={_show(c.got[i])}, but should be {_show(c.expected[i])} at "
                         f"{_at(c, i)}: {c.ulps[i]:.4g} ULP > budget {float(budgets[i]):g} ULP"
                         + (f" ({why})" if why else ""))
        if members.size > MAX_LISTED:
            lines.append(f"  ... and {members.size - MAX_LISTED} more")
    head = f"{what}: {failing.size} of {c.got.size} elements outside the budget"
    tail = f"\n  reproduce: {repro(first)}" if repro else ""
    raise AssertionError(head + "\n  " + "\n  ".join(lines) + tail)


def _at(c: Comparison, i: int, *, bits: bool = True) -> str:
    """``x=4.0 [0x40800000]`` (or without the bits): the inputs of result ``i``."""
    return ", ".join(f"{name}={_show(a[i]) if bits else str(a[i])}"
                     for name, a in zip(("x", "y", "z"), c.inputs))


def assert_true(condition: bool, message: str) -> None:
    """Fail with ``message`` (for structural properties: dtypes, shapes, residuals)."""
    __tracebackhide__ = True
    if not condition:
        raise AssertionError(message)


def repro_line(*, module: str, rule: str, dtype: str, x, expression: str) -> str:
    """A shell line that recomputes one result, with the x64 mode of ``dtype``.

    ``x``: the input, or a tuple of inputs (``x``, ``y``) for a binary rule. A target
    module made by :func:`properties.check_rule` names, in ``__repro__``, where the
    rule itself can be imported from; the line imports it from there."""
    x64 = 1 if dtype == "float64" else 0
    source = getattr(sys.modules.get(module), "__repro__", None)  # check_rule's own targets
    if source is not None:
        module, rule = source
    bound = _bound_arguments(module, rule)  # a rule's declared nondiff arguments
    values = x if isinstance(x, tuple) else (x,)
    scalar = "jax.numpy.bfloat16" if dtype == "bfloat16" else f"np.{dtype}"  # numpy has no bfloat16
    assign = "; ".join(f"{name} = {scalar}(float.fromhex('{float(v).hex()}'))"
                       for name, v in zip("xyz", values))
    return (f"JAX_ENABLE_X64={x64} python -c \"import importlib, jax, numpy as np; "
            f"f = importlib.import_module('{module}').{rule}; "
            + (f"import functools; f = functools.partial(f, **{bound!r}); " if bound else "") +
            f"{assign}; print(repr({expression}))\"")


def _bound_arguments(module: str, rule: str) -> dict:
    """The non-differentiable arguments ``module`` declares for ``rule`` (a target's
    ``NONDIFF_ARGUMENTS``), for the reproduce line; ``{}`` where none or not loaded."""
    loaded = sys.modules.get(module)
    return nondiff_arguments(loaded, rule) if loaded is not None else {}


def assert_rule_within_budget(*, target: str, op, variant: str, rule: Callable,
                              derivative=None, mode: str, x, budget: float | np.ndarray,
                              flush_allowed: bool, prop: str = "", order=None) -> Comparison:
    """Evaluate ``rule``'s derivative in ``mode`` at every element of ``x`` and assert
    it is within ``budget`` ULPs of ``op``'s exact derivative.

    - ``target``: the module name (for the reproduce line);
    - ``op``: the :class:`properties.ops.OpSpec`;
    - ``derivative``: an order (unary op) or a multi-index (binary op); ``order`` is
      its former name;
    - ``x``: the input array, or a tuple of one array per argument (broadcast together);
    - ``prop``: the property's name, prefixed to the message.
    """
    __tracebackhide__ = True
    derivative = order if derivative is None else derivative
    args = tuple(x) if isinstance(x, tuple) else (x,)
    dtype = np.asarray(args[0]).dtype.name
    got = evaluate.derivative_at(rule, derivative, mode, *args)
    checked = op.checked_inputs(derivative, *args)
    if not checked.all():  # outside the domain, where the op leaves derivatives unchecked
        arrays = np.broadcast_arrays(got, *args)
        got, args = arrays[0].reshape(-1)[checked], tuple(a.reshape(-1)[checked] for a in arrays[1:])
        budget = np.broadcast_to(budget, checked.shape)[checked] if np.ndim(budget) else budget
    c = compare(got, op.reference(derivative), *args, limits=op.limit_points(derivative))
    name = f"{op.name}_{variant}"
    label = derivative_label(derivative, mode)
    assert_within_budget(
        c, what=f"{prop + ': ' if prop else ''}{name} {label} {dtype}", rule=name,
        derivative=label, budget=budget, flush_allowed=flush_allowed,
        repro=lambda i: repro_line(module=target, rule=name, dtype=dtype,
                                   x=tuple(a[i] for a in c.inputs),
                                   expression=evaluate.repro_expression(derivative, mode)))
    return c
