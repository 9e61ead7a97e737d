"""One judgement: the suite's assertions (and through them the ledger) and the report
classify the same results identically and count the same figures.

The cases include ``jnp.log`` at subnormal inputs, which XLA on CPU reads as zero
(``-inf``): flushed in both, never an infinite ULP error; and softplus in float32,
where the report's certified fast reference stands in for the suite's mpmath.
"""

import math

import numpy as np
import pytest

from properties import backend, ledger
from properties.assertions import assert_rule_within_budget, compare
from properties.budgets import budget
from properties.classify import FLUSHED, classify
from properties.evaluate import Implementation, derivative_label
from properties.fastref import softplus_f32
from properties.ops import OPS
from properties.report import inputs, measure

F32 = np.float32


def _log_inputs() -> tuple[np.ndarray]:
    info = np.finfo(F32)
    sub = np.array([info.smallest_subnormal, 1e-42, 3e-39, np.nextafter(info.smallest_normal, 0)], F32)
    rest = np.array([0.0, -0.0, info.smallest_normal, 0.5, 1.0, 2.0, 1e30, info.max, -1.0,
                     np.inf, -np.inf, np.nan], F32)
    return (np.concatenate([sub, -sub, rest]),)


CASES = {
    "jnp.log float32 at subnormal inputs": (
        Implementation(op="log", variant="jvp", module="properties.peers.xla_primitives"),
        _log_inputs()),
    "stable_ops.softplus float32": (
        Implementation(op="softplus", variant="jvp", module="stable_ops"),
        inputs.for_op(OPS["softplus"], "float32", scale=0.002)[0]),
    "jnp.logaddexp float64": (
        Implementation(op="logaddexp", variant="jvp", module="properties.peers.jax_nn"),
        inputs.for_op(OPS["logaddexp"], "float64", scale=0.1)[0]),
}


def _through_the_suite(impl: Implementation, args) -> dict:
    """The ledger's statistics after the suite's assertion on every derivative and mode."""
    ledger.drain()
    with backend.x64_for(args[0].dtype.name):
        for derivative, mode in impl.derivatives:
            assert_rule_within_budget(target=impl.module, op=OPS[impl.op], variant=impl.variant,
                                      rule=impl.fn, derivative=derivative, mode=mode,
                                      x=args if len(args) > 1 else args[0], budget=math.inf,
                                      flush_allowed=True)
    table = {}
    ledger.merge(table, ledger.drain())
    return table


@pytest.mark.parametrize("case", list(CASES))
def test_suite_ledger_and_report_give_the_same_figures(case):
    impl, args = CASES[case]
    table = _through_the_suite(impl, args)
    rows = measure.measure(OPS[impl.op], [impl], args).rows
    assert rows
    for row in rows:
        derivative = next(d for d, m in impl.derivatives if m in row.modes
                          and derivative_label(d, "").strip() == row.derivative)
        for mode in row.modes:
            suite = table[(f"{impl.op}_{impl.variant}", derivative_label(derivative, mode),
                           row.dtype)]
            if case.startswith("stable_ops.softplus"):
                # the fast reference's ULP figures are within 2^-24 ULP of mpmath's
                assert suite.max_ulp == pytest.approx(row.stats.max_ulp, abs=2.0**-20), row
                suite.max_ulp = row.stats.max_ulp
            assert suite == row.stats, (case, row)


def test_log_at_subnormal_inputs_is_flushed_not_infinitely_wrong():
    impl, (x,) = CASES["jnp.log float32 at subnormal inputs"]
    (row,) = measure.measure(OPS["log"], [impl], (x,)).rows
    s = row.stats
    subnormal_in = np.count_nonzero((x != 0) & (np.abs(x) < np.finfo(F32).smallest_normal))
    if not backend.flushes_subnormals("float32"):
        pytest.skip("this backend does not flush subnormals")
    assert s.flushed == subnormal_in and s.nonfinite == s.nan_mismatch == 0, s
    assert math.isfinite(s.max_ulp) and s.within(budget("log", 0, "float32"), flush_allowed=True)
    assert not s.within(budget("log", 0, "float32"), flush_allowed=False)  # --subnormals strict


@pytest.mark.parametrize("order", [0, 1, 2])
def test_fast_reference_classifies_as_mpmath_does(order):
    (x,) = CASES["stable_ops.softplus float32"][1]
    impl = CASES["stable_ops.softplus float32"][0]
    mode = ("value", "reverse", "reverse-over-reverse")[order]
    with backend.x64_for("float32"):
        got = impl(order, mode, x)
    ref = softplus_f32(x, (order,))[order]
    fast = classify(got, OPS["softplus"].reference(order), x, expected=ref.rounded,
                    ulps=ref.ulp_errors(got))
    slow = compare(got, OPS["softplus"].reference(order), x)
    assert np.array_equal(fast.classes, slow.classes)
    assert np.array_equal(fast.expected, slow.expected, equal_nan=True)
    assert np.array_equal(np.signbit(fast.expected[fast.expected == 0]),
                          np.signbit(slow.expected[slow.expected == 0]))
    assert np.array_equal(fast.subnormal, slow.subnormal)
    assert (fast.classes == FLUSHED).any() or order == 0 or not backend.flushes_subnormals("float32")
