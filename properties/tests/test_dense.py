"""No defect slips between the samples: dense coverage, and empty arrays.

1. Dense deterministic coverage: every variant, derivative and mode, in one
   batched, jitted call, at every point of :mod:`properties.dense`'s grids
   (every binade of the dtype, both signs, and the band |x| <= 1.1 log(max),
   widened to a power of two, at a fixed spacing; pairs of them for a binary op), within the ULP budget of
   the correctly rounded reference. Random batches rarely land in a narrow
   interval in the middle of the range; this property leaves none wider than
   the grid's spacing unvisited (the guarantee is stated in
   :mod:`properties.dense`).
2. Empty arrays outside ``vmap``: the primal, ``grad`` of the sum, ``vjp``,
   ``jvp``, ``jacfwd`` and ``grad`` of ``grad`` at shapes (0,) and
   (0, 3) trace to the shapes and dtypes they have for an elementwise rule.
   ``vmap`` over no element never calls the rule on an array; a rule that
   reduces over its input (``jnp.max(x)``) fails only here.
"""

from __future__ import annotations

import functools
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from properties import dense, evaluate
from properties.assertions import assert_true, assert_within_budget, derivative_label, repro_line
from properties.evaluate import order_of
from properties.target import VARIANT_MODES


def test_dense_sweep_within_ulp_budget(target, op, variant, rule, derivative, dtype, budgets,
                                       flush_allowed):
    """Every point of the dense grids (:data:`properties.dense.DENSITY`) is within budget."""
    order, mode = derivative
    args, judge = dense.judged_sweep(op, order, dtype)
    c = judge(evaluate.derivative_at(rule, order, mode, *args))
    name = f"{op.name}_{variant}"
    label = derivative_label(order, mode)
    assert_within_budget(
        c, what=f"dense sweep ({args[0].size} points): {name} {label} {dtype}", rule=name,
        derivative=label, budget=budgets(op.name, order_of(order), dtype),
        flush_allowed=flush_allowed,
        repro=lambda i: repro_line(module=target.name, rule=name, dtype=dtype,
                                   x=tuple(a[i] for a in c.inputs),
                                   expression=evaluate.repro_expression(order, mode)))


#: Shapes of the arguments tried, per arity: empty, and empty with a trailing axis
#: (for a binary op broadcast against a non-empty argument, whose cotangent is a
#: sum over no element).
EMPTY_SHAPES = {1: (((0,),), ((0, 3),)),
                2: (((0,), (0,)), ((0, 3), (3,)))}


def _summed(rule: Callable) -> Callable:
    return lambda *a: jnp.sum(rule(*a))


def _apis(rule: Callable, arity: int, forward: bool) -> dict[str, Callable]:
    """API name -> ``args -> pytree of results``, as a user calls each on arrays."""
    argnums = tuple(range(arity))
    grad = jax.grad(_summed(rule), argnums=argnums)

    def vjp(*args):
        out, pullback = jax.vjp(rule, *args)
        return pullback(jnp.ones_like(out))

    apis = {
        "primal": rule,
        "grad of the sum": grad,
        "vjp": vjp,
        "grad of grad": jax.grad(lambda *a: sum(jnp.sum(g) for g in grad(*a)), argnums=argnums),
    }
    if forward:
        apis["jvp"] = lambda *args: jax.jvp(rule, args, tuple(jnp.ones_like(a) for a in args))
        apis["jacfwd"] = jax.jacfwd(rule, argnums=argnums)
    return apis


def _structure(out) -> list[tuple[tuple[int, ...], str]]:
    return [(tuple(a.shape), np.dtype(a.dtype).name) for a in jax.tree_util.tree_leaves(out)]


@functools.lru_cache(maxsize=None)
def _expected_structure(arity: int, shapes: tuple[tuple[int, ...], ...], api: str, dtype: str):
    """What ``api`` returns at empty arguments of ``shapes``: what it returns for a rule
    that is certainly elementwise (``jnp.exp``, with a sum for a binary op)."""
    elementwise = jnp.exp if arity == 1 else (lambda x, y: jnp.exp(x) + jnp.exp(y))
    args = tuple(jax.ShapeDtypeStruct(s, dtype) for s in shapes)
    return _structure(jax.eval_shape(_apis(elementwise, arity, forward=True)[api], *args))


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"raised {type(error).__name__}: {text[0] if text else ''}"[:200]


#: (target, op, dtype) -> why its rules are known to fail on empty arrays. The
#: entry must go once the rule is fixed: the test then fails, saying so.
KNOWN_EMPTY_ARRAY_FAILURES: dict = {}  # none: float32 logaddexp's IndexError on empty arrays is fixed


def test_empty_arrays(target, op, variant, rule, dtype):
    """Every API at arrays with no element traces (``jax.eval_shape``: a reduction with
    no identity, or an index into the array, raises there) to the shapes and dtype it
    has for an elementwise rule (tracing only: every result but a broadcast argument's
    cotangent is empty, and compiling each API would cost seconds per rule)."""
    apis = _apis(rule, op.arity, forward="forward" in VARIANT_MODES[variant])
    failures = []
    for shapes in EMPTY_SHAPES[op.arity]:
        at = ", ".join(f"{n}.shape={s}" for n, s in zip("xy", shapes))
        abstract = tuple(jax.ShapeDtypeStruct(s, dtype) for s in shapes)
        for api, fn in apis.items():
            try:
                got = _structure(jax.eval_shape(fn, *abstract))
            except Exception as error:  # noqa: BLE001 - the failure is the finding
                failures.append(f"{api} [{at}]: {_describe(error)}")
                continue
            want = _expected_structure(op.arity, shapes, api, dtype)
            if got != want:
                failures.append(f"{api} [{at}]: out (shape, dtype)={got}, but should be {want}")
    known = KNOWN_EMPTY_ARRAY_FAILURES.get((target.name, op.name, dtype))
    if known and failures:
        pytest.xfail(f"known: {known} ({len(failures)} failures, first: {failures[0]})")
    assert_true(not known, f"empty arrays: {op.name}_{variant} {dtype} passes: remove "
                           f"{(target.name, op.name, dtype)} from KNOWN_EMPTY_ARRAY_FAILURES")
    assert_true(not failures,
                f"empty arrays: {op.name}_{variant} {dtype}: {len(failures)} failures:\n  "
                + "\n  ".join(failures)
                + f"\n  reproduce: {_empty_repro(target.name, op, variant, dtype)}")


def _empty_repro(module: str, op, variant: str, dtype: str) -> str:
    x64 = 1 if dtype == "float64" else 0
    args = ", ".join(["jax.numpy.zeros((0,), jax.numpy." + dtype + ")"] * op.arity)
    return (f"JAX_ENABLE_X64={x64} python -c \"import importlib, jax; "
            f"f = importlib.import_module('{module}').{op.name}_{variant}; "
            f"print(jax.grad(lambda *a: f(*a).sum())({args}))\"")
