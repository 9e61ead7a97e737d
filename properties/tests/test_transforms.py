"""Property 5: the VJP agrees with the JVP under every transformation.

The ``custom_vjp`` gradient and the ``custom_jvp`` derivative are each computed
eagerly, under ``jit``, under ``vmap`` at shapes (0,), (1,), (n,), (m, n),
under ``jit∘vmap``, applied to whole arrays (``grad`` of the sum, ``jvp``
with a tangent of ones, as users call an elementwise function: ``vmap``
shows a rule one element at a time, which hides a backward pass that mixes
elements), and as ``grad∘grad``; each result must have the input's
shape and dtype and be within the ULP budget of the same exact derivative, so
the two agree with each other under every transformation. Then both rules
must be linear: the VJP in its cotangent, the JVP in its tangent, for
cotangents/tangents including 0, negatives, and large and small values.
"""

import functools
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import hypothesis.extra.numpy as hnp
from hypothesis import given, settings, strategies as st

from properties import strategies
from properties.assertions import assert_true, assert_within_budget, compare
from properties.budgets import STRUCTURAL_BUDGETS

M, N = 3, 8

#: Eager and un-jitted vmap dispatch op by op, ~10x the cost of a jitted example;
#: these properties are about structure (accuracy has its own tests), so they take
#: a third of the active profile's examples.
_FEWER = settings(max_examples=max(2, settings.default.max_examples // 3))


def _vmap_n(fn: Callable, depth: int) -> Callable:
    for _ in range(depth):
        fn = jax.vmap(fn)
    return fn


def _inputs(kind: str, x: np.ndarray) -> list[np.ndarray]:
    """The inputs transformation ``kind`` is tried at, cut from the drawn (M, N) batch."""
    if kind in ("eager", "jit"):
        return [x[0, 0]]
    if kind == "vmap":
        return [x[0, :0], x[0, :1], x[0], x]
    if kind in ("jit-vmap", "array"):
        return [x[0], x]
    raise ValueError(kind)


@functools.lru_cache(maxsize=None)
def _applied(fn: Callable, derivative_kind: str, variant: str, kind: str, ndim: int) -> Callable:
    """The derivative of ``fn`` under transformation ``kind`` for inputs of ``ndim``.

    Built once per case, so jitted ones compile once, not once per example
    (a new ``jax.jit`` wrapper would recompile).
    """
    if kind == "array":  # the rule on whole arrays (ON_ARRAYS)
        return jax.jit(ON_ARRAYS[derivative_kind][variant](fn))
    d = AGREEMENT[derivative_kind][1][variant](fn)
    transformed = {"eager": lambda: d, "jit": lambda: jax.jit(d),
                   "vmap": lambda: _vmap_n(d, ndim), "jit-vmap": lambda: jax.jit(_vmap_n(d, ndim))}
    return transformed[kind]()


TRANSFORMS = ("eager", "jit", "vmap", "jit-vmap", "array")

# Derivatives compared across the two variants: (order, how each variant takes it).
AGREEMENT = {
    "grad": (1, {"vjp": jax.grad, "jvp": jax.grad}),
    "jvp-vs-grad": (1, {"vjp": jax.grad,
                        "jvp": lambda f: lambda x: jax.jvp(f, (x,), (jnp.ones_like(x),))[1]}),
    "grad-of-grad": (2, {"vjp": lambda f: jax.grad(jax.grad(f)),
                         "jvp": lambda f: jax.grad(jax.grad(f))}),
}


def _summed(f: Callable) -> Callable:
    return lambda x: jnp.sum(f(x))


# The same derivatives of the rule applied to a whole array: its Jacobian is
# diagonal, so the gradient of the sum is the elementwise derivative.
ON_ARRAYS = {
    "grad": {v: lambda f: jax.grad(_summed(f)) for v in ("vjp", "jvp")},
    "jvp-vs-grad": {"vjp": lambda f: jax.grad(_summed(f)),
                    "jvp": lambda f: lambda x: jax.jvp(f, (x,), (jnp.ones_like(x),))[1]},
    "grad-of-grad": {v: lambda f: jax.grad(_summed(jax.grad(_summed(f)))) for v in ("vjp", "jvp")},
}


@pytest.fixture
def both_variants(target, op):
    found = target.variants(op.name)
    if set(found) != {"vjp", "jvp"}:
        pytest.skip(f"target {target.name!r} does not define both {op.name}_vjp and "
                    f"{op.name}_jvp (has: {', '.join(found) or 'none'})")
    return found


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("derivative_kind", list(AGREEMENT))
@_FEWER
@given(data=st.data())
def test_vjp_agrees_with_jvp(target, op, both_variants, dtype, transform, derivative_kind,
                             budgets, flush_allowed, data):
    order = AGREEMENT[derivative_kind][0]
    x = data.draw(strategies.batches(dtype, op=op, shape=(M, N)), label="x")
    budget = budgets(op.name, order, dtype)
    for variant, fn in both_variants.items():
        for inp in _inputs(transform, x):
            out = np.asarray(_applied(fn, derivative_kind, variant, transform, inp.ndim)(inp))
            what = (f"vjp/jvp agreement: {op.name}_{variant} d{order} "
                    f"({derivative_kind}, {transform}, shape {inp.shape}) {dtype}")
            assert_true(out.shape == np.shape(inp) and out.dtype == np.dtype(dtype),
                        f"{what}: out shape/dtype={out.shape}/{out.dtype}, but should be "
                        f"{np.shape(inp)}/{dtype}")
            if out.size:
                assert_within_budget(compare(out, op.exact[order], inp), what=what,
                                     rule=f"{op.name}_{variant}",
                                     derivative=f"d{order} {derivative_kind} {transform}",
                                     budget=budget, flush_allowed=flush_allowed)


@functools.lru_cache(maxsize=None)  # one compilation per rule, not per example
def _apply_vjp(fn):
    return jax.jit(lambda x, c: jax.vjp(fn, x)[1](c)[0])


@functools.lru_cache(maxsize=None)
def _apply_jvp(fn):
    return jax.jit(lambda x, t: jax.jvp(fn, (x,), (t,))[1])


@pytest.mark.parametrize("linear_map", ["vjp", "jvp"])
@given(data=st.data())
def test_linear_in_cotangent_and_tangent(target, op, variant, rule, dtype, linear_map,
                                         flush_allowed, data):
    """vjp(c) == c * vjp(1) and jvp(t) == t * jvp(1), elementwise, within the linearity budget."""
    if linear_map == "jvp" and variant == "vjp":
        pytest.skip("custom_vjp does not support forward mode (jax.jvp)")
    x = data.draw(strategies.batches(dtype, op=op), label="x")
    c = data.draw(hnp.arrays(np.dtype(dtype), x.shape, elements=strategies.scales(dtype)),
                  label="cotangent")
    apply = (_apply_vjp if linear_map == "vjp" else _apply_jvp)(rule)
    unit = np.asarray(apply(x, np.ones_like(x)))
    got = np.asarray(apply(x, c))
    comparison = compare(got, lambda ci, di: ci * di, c, unit)
    assert_within_budget(comparison,
                         what=f"linearity: {op.name}_{variant} {linear_map} {dtype} "
                              f"(out = {linear_map}(c) at the drawn x; should be "
                              f"c * {linear_map}(1); x=c, y={linear_map}(1) below)",
                         rule=f"{op.name}_{variant}", derivative=f"{linear_map} linearity",
                         budget=STRUCTURAL_BUDGETS["linearity"], flush_allowed=flush_allowed)
