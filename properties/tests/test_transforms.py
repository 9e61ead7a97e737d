"""Property 5: the VJP agrees with the JVP under every transformation.

The ``custom_vjp`` gradient and the ``custom_jvp`` derivative are each computed
eagerly, under ``jit``, under ``vmap`` at shapes (0,), (1,), (n,), (m, n),
under ``jit∘vmap``, applied to whole arrays (``grad`` of the sum, ``jvp``
with a tangent of ones, as users call an elementwise function: ``vmap``
shows a rule one element at a time, which hides a backward pass that mixes
elements), and as ``grad∘grad``; each result must have the input's
shape and dtype and be within the ULP budget of the same exact derivative, so
the two agree with each other under every transformation
(``test_vjp_agrees_with_jvp`` for the jitted ones,
``test_vjp_agrees_with_jvp_without_jit`` for eager and plain ``vmap``). Then both rules
must be linear: the VJP in its cotangent, the JVP in its tangent, for
cotangents/tangents including 0, negatives, and large and small values.

For a binary op the partials of the order are compared, one drawn per example
(both cotangents of the backward pass, tangents ``(1, 0)`` and ``(0, 1)``, the
three second partials),
linearity is checked in each argument's cotangent/tangent, and
:func:`test_broadcasting` checks inputs of different, broadcasting shapes: the
result has the broadcast shape, each cotangent its input's shape, and each
cotangent is the sum of the elementwise partials over the broadcast axes.
"""

import functools
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import hypothesis.extra.numpy as hnp
from hypothesis import given, settings, strategies as st

import reference
from properties import evaluate, strategies
from properties.assertions import assert_true, assert_within_budget, compare, derivative_label
from properties.budgets import STRUCTURAL_BUDGETS
from properties.target import VARIANTS

M, N = 3, 8

#: These properties are about structure (accuracy has its own tests), so they take
#: a third of the active profile's examples; outside ``jit`` (eager, and ``vmap``
#: at four shapes), where every example dispatches op by op at ~10x the cost, a
#: seventh: the computation is the one checked under ``jit``, what is at stake is
#: that it runs and agrees there.
_FEWER = settings(max_examples=max(2, settings.default.max_examples // 3))
_FEWEST = settings(max_examples=max(2, settings.default.max_examples // 7))


def _vmap_n(fn: Callable, depth: int) -> Callable:
    for _ in range(depth):
        fn = jax.vmap(fn)
    return fn


JITTED = ("jit", "jit-vmap", "array")
WITHOUT_JIT = ("eager", "vmap")

# Derivatives compared across the two variants: (order, the mode each variant takes it in).
AGREEMENT = {
    "grad": (1, {"vjp": "reverse", "jvp": "reverse"}),
    "jvp-vs-grad": (1, {"vjp": "reverse", "jvp": "forward"}),
    "grad-of-grad": (2, {"vjp": "reverse-over-reverse", "jvp": "reverse-over-reverse"}),
}


@functools.lru_cache(maxsize=None)
def _transformed_fn(fn: Callable, derivative, mode: str, kind: str, ndim: int) -> Callable:
    """The derivative of ``fn`` under transformation ``kind`` for inputs of ``ndim``,
    built once per case: a new ``jax.jit`` wrapper (or a new function under an old
    one) would recompile on every example."""
    if kind == "array":  # the rule applied to whole arrays: its Jacobian is diagonal
        return jax.jit(evaluate.array_derivative(fn, derivative, mode))
    d = evaluate.scalar_derivative(fn, derivative, mode)
    built = {"eager": lambda: d, "jit": lambda: jax.jit(d),
             "vmap": lambda: _vmap_n(d, ndim), "jit-vmap": lambda: jax.jit(_vmap_n(d, ndim))}
    return built[kind]()


def _inputs(kind: str, args: tuple[np.ndarray, ...]) -> list[tuple[np.ndarray, ...]]:
    """The inputs transformation ``kind`` is tried at, cut from the drawn (M, N) arrays:
    scalars; shapes (0,), (1,), (N,), (M, N) for vmap; (N,), (M, N) for the jitted ones."""
    if kind in ("eager", "jit"):
        return [tuple(a[0, 0] for a in args)]
    if kind == "vmap":
        return [tuple(a[0, :0] for a in args), tuple(a[0, :1] for a in args),
                tuple(a[0] for a in args), args]
    if kind in ("jit-vmap", "array"):
        return [tuple(a[0] for a in args), args]
    raise ValueError(kind)


@pytest.fixture
def both_variants(target, op):
    found = target.variants(op.name)
    if set(found) != {"vjp", "jvp"}:
        pytest.skip("; ".join(target.missing_reason(op.name, v) for v in VARIANTS
                              if v not in found) + " (this property compares both)")
    return found


def _draw_args(data, dtype, op, shape, **kwargs) -> tuple[np.ndarray, ...]:
    if op.arity == 1:
        return (data.draw(strategies.batches(dtype, op=op, shape=shape, **kwargs), label="x"),)
    return data.draw(strategies.pairs(dtype, op=op, shape=shape, **kwargs), label="x, y")


def _partials(op, order: int):
    """The derivatives of ``order`` that ``op`` checks (orders, or multi-indices)."""
    indices = sorted((k for k in op.indices if sum(k) == order), key=lambda k: [-i for i in k])
    return [k[0] if op.arity == 1 else k for k in indices]


@pytest.mark.usefixtures("differentiable")
@pytest.mark.parametrize("transform", JITTED)
@pytest.mark.parametrize("derivative_kind", list(AGREEMENT))
@_FEWER
@given(data=st.data())
def test_vjp_agrees_with_jvp(target, op, both_variants, dtype, transform, derivative_kind,
                             budgets, flush_allowed, data):
    _check_agreement(op, both_variants, dtype, transform, derivative_kind, budgets,
                     flush_allowed, data)


@pytest.mark.usefixtures("differentiable")
@pytest.mark.parametrize("transform", WITHOUT_JIT)
@pytest.mark.parametrize("derivative_kind", list(AGREEMENT))
@_FEWEST
@given(data=st.data())
def test_vjp_agrees_with_jvp_without_jit(target, op, both_variants, dtype, transform,
                                         derivative_kind, budgets, flush_allowed, data):
    _check_agreement(op, both_variants, dtype, transform, derivative_kind, budgets,
                     flush_allowed, data)


def _check_agreement(op, both_variants, dtype, transform, derivative_kind, budgets,
                     flush_allowed, data):
    """Both variants' derivative of ``derivative_kind`` under ``transform``, at every
    shape the transformation is tried at, within budget of the exact derivative."""
    __tracebackhide__ = True
    order, modes = AGREEMENT[derivative_kind]
    args = _draw_args(data, dtype, op, (M, N))
    budget = budgets(op.name, order, dtype)
    # Binary ops: one partial per example, drawn (every one is compiled and reached
    # across the examples; checking all of them each time tripled the cost).
    derivative = data.draw(st.sampled_from(_partials(op, order)), label="partial")
    for variant, fn in both_variants.items():
        for inputs in _inputs(transform, args):
            d = _transformed_fn(fn, derivative, modes[variant], transform, inputs[0].ndim)
            out = np.asarray(d(*inputs))
            shape = np.shape(inputs[0])
            label = f"d{order}" if op.arity == 1 else derivative_label(derivative, "").strip()
            what = (f"vjp/jvp agreement: {op.name}_{variant} {label} "
                    f"({derivative_kind}, {transform}, shape {shape}) {dtype}")
            assert_true(out.shape == shape and out.dtype == np.dtype(dtype),
                        f"{what}: out shape/dtype={out.shape}/{out.dtype}, but should be "
                        f"{shape}/{dtype}")
            if out.size:
                assert_within_budget(compare(out, op.reference(derivative), *inputs),
                                     what=what, rule=f"{op.name}_{variant}",
                                     derivative=f"{label} {derivative_kind} {transform}",
                                     budget=budget, flush_allowed=flush_allowed)


@functools.lru_cache(maxsize=None)
def _linear_map(fn: Callable, kind: str, argnum: int) -> Callable:
    """``(args, c) -> `` the VJP's cotangent of argument ``argnum`` for output cotangent
    ``c``, or the JVP's output tangent for tangent ``c`` in argument ``argnum``."""
    if kind == "vjp":
        return jax.jit(lambda args, c: jax.vjp(fn, *args)[1](c)[argnum])

    def tangent_map(args, c):
        tangents = tuple(c if i == argnum else jnp.zeros_like(a) for i, a in enumerate(args))
        return jax.jvp(fn, args, tangents)[1]
    return jax.jit(tangent_map)


@pytest.mark.usefixtures("differentiable")
@pytest.mark.parametrize("linear_map", ["vjp", "jvp"])
@given(data=st.data())
def test_linear_in_cotangent_and_tangent(target, op, variant, rule, dtype, linear_map,
                                         flush_allowed, data):
    """vjp(c) == c * vjp(1) and jvp(t) == t * jvp(1), elementwise, within the linearity
    budget (binary ops: each argument's cotangent, and a tangent in each argument)."""
    if linear_map == "jvp" and variant == "vjp":
        pytest.skip("custom_vjp does not support forward mode (jax.jvp)")
    args = _draw_args(data, dtype, op, (strategies.BATCH,))
    c = data.draw(hnp.arrays(np.dtype(dtype), args[0].shape, elements=strategies.scales(dtype)),
                  label="cotangent")
    for argnum in range(op.arity):
        apply = _linear_map(rule, linear_map, argnum)
        unit = np.asarray(apply(args, np.ones_like(c)))
        got = np.asarray(apply(args, c))
        comparison = compare(got, lambda ci, di: ci * di, c, unit)
        which = "" if op.arity == 1 else f" in {'xy'[argnum]}"
        assert_within_budget(comparison,
                             what=f"linearity: {op.name}_{variant} {linear_map}{which} {dtype} "
                                  f"(out = {linear_map}(c) at the drawn x; should be "
                                  f"c * {linear_map}(1); x=c, y={linear_map}(1) below)",
                             rule=f"{op.name}_{variant}", derivative=f"{linear_map} linearity",
                             budget=STRUCTURAL_BUDGETS["linearity"], flush_allowed=flush_allowed)


@functools.lru_cache(maxsize=None)
def _backward(rule: Callable) -> Callable:
    """Jitted cotangents of ``rule(x, y)`` for an output cotangent of ones (one
    compilation per rule and shapes, not per example)."""
    def backward(a, b):
        out, pullback = jax.vjp(rule, a, b)
        return pullback(jnp.ones_like(out))
    return jax.jit(backward)


def _sum_over_broadcast(partials: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Exactly rounded sums of ``partials`` (broadcast shape) down to ``shape``, and the
    sums of their magnitudes: what a cotangent of an input of ``shape`` must be."""
    lead = partials.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and partials.shape[lead + i] != 1)
    moved = np.moveaxis(partials.astype(np.float64), axes, tuple(range(len(axes))))
    flat = moved.reshape(-1, *moved.shape[len(axes):]) if axes else moved[None]
    fsum = np.vectorize(lambda *terms: __import__("math").fsum(terms))
    total = fsum(*flat) if flat.shape[0] else np.zeros(flat.shape[1:])
    magnitude = np.abs(flat).sum(axis=0)
    return np.asarray(total).reshape(shape), magnitude.reshape(shape)


@pytest.mark.usefixtures("differentiable", "binary")
@pytest.mark.parametrize("shapes", strategies.BROADCAST_SHAPES,
                         ids=lambda s: f"{'x'.join(map(str, s[0])) or 'scalar'}"
                                       f"-{'x'.join(map(str, s[1])) or 'scalar'}")
@_FEWER
@given(data=st.data())
def test_broadcasting(target, op, variant, rule, dtype, shapes, flush_allowed, data):
    """A binary rule on inputs of different shapes: the result has the broadcast shape,
    the backward pass returns one cotangent per input with that input's shape and
    dtype, and each is the elementwise partial summed over the broadcast axes (within
    ``STRUCTURAL_BUDGETS['broadcast_sum']`` ULPs of the sum of the terms' magnitudes).

    Subnormal policy: where the backend flushes, a term may be flushed in one of the
    two computations and not the other, so each summed term may differ by up to
    the smallest normal (absolute); that slack is added to the budget.
    """
    x = data.draw(strategies.batches(dtype, op=op, shape=shapes[0], allow_nonfinite=False), label="x")
    y = data.draw(strategies.batches(dtype, op=op, shape=shapes[1], allow_nonfinite=False), label="y")
    name = f"{op.name}_{variant}"
    out_shape = np.broadcast_shapes(x.shape, y.shape)
    backward = _backward(rule)
    out = jax.eval_shape(rule, x, y)  # the value's shape, without compiling it again
    assert_true(out.shape == out_shape,
                f"broadcasting: {name} {dtype}: out.shape={out.shape}, but should be "
                f"{out_shape} [x.shape={x.shape}, y.shape={y.shape}]")
    try:
        cotangents = backward(x, y)
    except (ValueError, TypeError) as error:  # JAX rejects a cotangent of the wrong shape
        raise AssertionError(f"broadcasting: {name} {dtype}: the backward pass failed "
                             f"[x.shape={x.shape}, y.shape={y.shape}]: "
                             f"{str(error).splitlines()[0]}") from None
    budget = STRUCTURAL_BUDGETS["broadcast_sum"]
    for argnum, (arg, ct) in enumerate(zip((x, y), cotangents)):
        which = "xy"[argnum]
        ct = np.asarray(ct)
        assert_true(ct.shape == arg.shape and ct.dtype == arg.dtype,
                    f"broadcasting: {name} {dtype}: cotangent of {which} has shape/dtype "
                    f"{ct.shape}/{ct.dtype}, but should be {arg.shape}/{arg.dtype} "
                    f"[x.shape={x.shape}, y.shape={y.shape}]")
        index = (1, 0) if argnum == 0 else (0, 1)
        partials = evaluate.evaluate(rule, index, "reverse", x, y)
        expected, magnitude = _sum_over_broadcast(partials, arg.shape)
        terms = partials.size // max(arg.size, 1)
        slack = terms * float(np.finfo(dtype).smallest_normal) if flush_allowed else 0.0
        with np.errstate(invalid="ignore"):
            miss = np.maximum(np.abs(ct.astype(np.float64) - expected) - slack, 0.0)
            err = miss / reference.ulp(magnitude.astype(dtype))
        err = np.where(np.isnan(ct) & np.isnan(expected), 0.0, err)
        bad = ~(err <= budget)
        if bad.any():
            i = int(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1)))
            raise AssertionError(
                f"broadcasting: {name} {dtype}: cotangent of {which} [shape {arg.shape}] is not "
                f"the sum of d{which} over the broadcast axes at {int(bad.sum())} of {ct.size} "
                f"elements: out={ct.reshape(-1)[i]!r}, but should be "
                f"{expected.reshape(-1)[i]!r}: {err.reshape(-1)[i]:.4g} ULP > budget {budget:g} ULP "
                f"[x.shape={x.shape}, y.shape={y.shape}; x={x.tolist()!r}, y={y.tolist()!r}]")
