"""Every float16 and bfloat16 input: value, d1 and d2, in every mode, jitted and eagerly.

A 16-bit format has 65,536 values, so a unary rule is checked on all of them
(every finite value, both zeros, both infinities and every nan pattern) in ONE
batch per (derivative, mode, execution): ``jax.jit(jax.vmap(...))`` of the
scalar derivative (:func:`properties.evaluate.derivative_at`), and the array
derivative called eagerly, op by op (``grad`` of the sum, ``jvp`` with a tangent
of ones: :func:`properties.evaluate.array_derivative`).

A binary rule (logaddexp) gets every pair of :func:`properties.strategies.special_pairs`
(0, -0, ±1, ±max, ±smallest subnormal, ±inf, nan and the special values with
their neighbours) and :data:`RANDOM_PAIRS` pairs of uniformly random bit
patterns (seeded): 2^14, one shared compilation bucket
(:data:`properties.evaluate.SHARED_BUCKET`); all 2^32 pairs would cost about
20 hours of reference values.

Every result goes through the suite's one classifier
(:func:`properties.classify.classify`) and assertion
(:func:`properties.assertions.assert_within_budget`), with the run's budgets
(16-bit entries of :mod:`properties.budgets`) and subnormal policy. The
classification of a result array is cached in-process by (op, derivative,
format, result bits): the modes and executions of a correct rule return the same
bits, so each (op, order, format) is measured against the reference once.

Opt-in: runs only with ``--dtype float16`` or ``--dtype bfloat16`` (or
``CONFORMANCE_DTYPE``); see README for its time.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np
import pytest

from properties import evaluate, strategies
from properties.assertions import assert_true, assert_within_budget, repro_line
from properties.classify import Comparison, classify
from properties.evaluate import derivative_label, order_of

SIXTEEN_BIT = ("float16", "bfloat16")
EXECUTIONS = ("jit", "eager")
RANDOM_PAIRS = 2**14
_SEED = 16


def pytest_generate_tests(metafunc):
    if "format16" in metafunc.fixturenames:
        chosen = [d for d in metafunc.config.conformance_dtypes if d in SIXTEEN_BIT]
        skipped = pytest.param("none", marks=pytest.mark.skip(
            reason="float16 and bfloat16 are opt-in: --dtype float16|bfloat16 checks every input"))
        metafunc.parametrize("format16", chosen or [skipped])
    if "execution" in metafunc.fixturenames:
        metafunc.parametrize("execution", EXECUTIONS)


@functools.lru_cache(maxsize=None)
def every_input(format16: str) -> np.ndarray:
    """All 65,536 bit patterns of the format, in pattern order."""
    return np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(format16)


@functools.lru_cache(maxsize=None)
def binary_inputs(format16: str, op_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Every special pair, then :data:`RANDOM_PAIRS` pairs of random bit patterns."""
    from properties.ops import OPS

    x, y = strategies.special_pairs(format16, OPS[op_name])
    rng = np.random.default_rng(_SEED)
    bits = rng.integers(0, 2**16, size=(2, RANDOM_PAIRS), dtype=np.uint32).astype(np.uint16)
    return (np.concatenate([x, bits[0].view(format16)]), np.concatenate([y, bits[1].view(format16)]))


def inputs_for(op, format16: str) -> tuple[np.ndarray, ...]:
    return (every_input(format16),) if op.arity == 1 else binary_inputs(format16, op.name)


_COMPARISONS: dict[tuple, Comparison] = {}


def judged(op, derivative, format16: str, got: np.ndarray, args) -> Comparison:
    """:func:`classify` of ``got``, once per (op, derivative, format, result bits)."""
    key = (op.name, evaluate.index_of(derivative), format16, got.tobytes())
    if key not in _COMPARISONS:
        _COMPARISONS[key] = classify(got, op.reference(derivative), *args)
    return _COMPARISONS[key]


def results(rule, derivative, mode: str, execution: str, args) -> np.ndarray:
    if execution == "jit":
        return evaluate.derivative_at(rule, derivative, mode, *args)
    return np.asarray(evaluate.array_derivative(rule, derivative, mode)(*(jnp.asarray(a) for a in args)))


def test_every_input_within_budget(target, op, variant, rule, derivative, format16, execution,
                                   budgets, flush_allowed_for):
    """Unary: all 65,536 inputs; binary: the special pairs and 2^14 random ones."""
    index, mode = derivative
    args = inputs_for(op, format16)
    got = results(rule, index, mode, execution, args)
    name = f"{op.name}_{variant}"
    label = derivative_label(index, mode)
    what = f"every {format16} input: {name} {label} {format16} ({execution})"
    assert_true(got.dtype == np.dtype(format16) and got.shape == args[0].shape,
                f"{what}: out has dtype {got.dtype} and shape {got.shape}, but should keep the "
                f"input's {format16} and shape {args[0].shape}")
    c = judged(op, index, format16, got, args)
    assert_within_budget(
        c, what=what, rule=name, derivative=label,
        budget=budgets(op.name, order_of(index), format16),
        flush_allowed=flush_allowed_for(format16),
        repro=lambda i: repro_line(module=target.name, rule=name, dtype=format16,
                                   x=tuple(a[i] for a in c.inputs),
                                   expression=evaluate.repro_expression(index, mode)))
