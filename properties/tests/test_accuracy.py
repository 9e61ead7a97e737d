"""Properties 1-4: values and derivatives against the correctly rounded reference.

Parametrized over every variant the target defines, every (order, mode) it
supports, and each selected dtype:

1. values within the ULP budget;
2. first derivatives within budget (reverse mode, and forward for ``_jvp``);
3. second derivatives within budget (every nesting of modes the variant allows);
4. finite results for finite inputs, the exact limits at ±inf, nan in -> nan out
   (deterministic, one test per regime, so a failure names the regime).
"""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from properties import evaluate, strategies
from properties.assertions import assert_rule_within_budget, assert_true, derivative_label


def _check(target, op, variant, rule, derivative, x, budgets, flush_allowed, prop, budget=None):
    __tracebackhide__ = True
    order, mode = derivative
    return assert_rule_within_budget(
        target=target.name, op=op, variant=variant, rule=rule, order=order, mode=mode, x=x,
        budget=budgets(op.name, order, x.dtype.name) if budget is None else budget,
        flush_allowed=flush_allowed, prop=prop)


@given(data=st.data())
def test_within_ulp_budget(target, op, variant, rule, derivative, dtype, budgets,
                           flush_allowed, data):
    """Random batches (all regimes of properties.strategies) are within the budget."""
    x = data.draw(strategies.batches(dtype, op=op), label="x")
    _check(target, op, variant, rule, derivative, x, budgets, flush_allowed, "within budget")


def test_special_values_within_ulp_budget(target, op, variant, rule, derivative, dtype,
                                          budgets, flush_allowed):
    """Every special value and branch point (and its neighbours) is within the budget."""
    specials = strategies.special_values(dtype, op)
    finite = specials[np.isfinite(specials)]
    neighbours = np.concatenate([np.nextafter(finite, np.array(d, dtype))
                                 for d in (-math.inf, math.inf)])
    x = np.concatenate([specials, neighbours])
    _check(target, op, variant, rule, derivative, x, budgets, flush_allowed, "special values")


def test_finite_for_finite_inputs(target, op, variant, rule, derivative, dtype):
    """No inf or nan for any finite special value or a dense sweep of the whole range."""
    order, mode = derivative
    specials = strategies.special_values(dtype, op)
    info = np.finfo(dtype)
    magnitudes = np.geomspace(info.smallest_subnormal, info.max, 4096, dtype=dtype)
    x = np.concatenate([specials[np.isfinite(specials)], magnitudes, -magnitudes])
    got = evaluate.evaluate(rule, order, mode, x)
    bad = ~np.isfinite(got)
    assert_true(not bad.any(),
                f"{op.name}_{variant} {derivative_label(order, mode)} {dtype}: "
                f"nonfinite for {int(bad.sum())} finite inputs, e.g. "
                + ", ".join(f"out={g!r} at x={v!r}" for g, v in zip(got[bad][:5], x[bad][:5])))


def test_limits_at_infinity(target, op, variant, rule, derivative, dtype, flush_allowed):
    """At ±inf the result is the exact limit (budget 0: limits have no rounding)."""
    x = np.array([math.inf, -math.inf], dtype=dtype)
    _check(target, op, variant, rule, derivative, x, None, flush_allowed,
           "limits at ±inf", budget=0.0)


def test_nan_propagates(target, op, variant, rule, derivative, dtype):
    """nan in, nan out, for the value and every derivative."""
    order, mode = derivative
    got = evaluate.evaluate(rule, order, mode, np.array([math.nan, -math.nan], dtype=dtype))
    assert_true(np.isnan(got).all(),
                f"{op.name}_{variant} {derivative_label(order, mode)} {dtype}: "
                f"out={got.tolist()!r}, but should be [nan, nan] [x=nan]")
