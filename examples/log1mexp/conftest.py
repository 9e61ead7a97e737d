"""Declare log1mexp once: its mpmath value, where it switches formulas, its budgets.

The value is all the harness needs: the first and second derivatives are derived
from it (reference.derivatives), with the same certainty. Where they do not exist
(at ±0 the value is -inf) the rule's answer is a convention, declared here.
"""

import math

import mpmath

from properties.ops import OpSpec, register


def log1mexp(x):
    """log(1 - e^-x). Written with care only for speed: a formula that cancels
    (log(-expm1(-x)) at x = 88.7 loses every digit) is detected by the reference,
    which raises the working precision until the result is certain."""
    if x < mpmath.log(2):
        return mpmath.log(-mpmath.expm1(-x))
    return mpmath.log1p(-mpmath.exp(-x))


register(
    OpSpec(
        name="log1mexp",
        exact={(0,): log1mexp},
        # where the formula switches branches, and where exp(-x) underflows
        branch_points={dt: (math.log(2), 1e-3, 20.0, 88.7, 700.0) for dt in ("float32", "float64")},
        # at ±0 the value is -inf: the one-sided limits from x > 0 are the rule's answers
        conventions={1: {0.0: math.inf}, 2: {0.0: -math.inf}},
    ),
    # measured (the run's closing table, --budget 'log1mexp:*:*=1000'), rounded up;
    # float64 values inherit XLA's log1p error near -0.414 (up to 128 ULP, jax-ml/jax#39707);
    # float64 d1 and d2 inherit expm1's error near 0.5: 3.13 ULP at x = 0.4636 and 5.54 ULP
    # at x = 0.5 - 2^-50 (5100 points in [0.001, 3], dense near 0.5)
    budgets={(0, "float32"): 3, (1, "float32"): 4, (2, "float32"): 8,
             (0, "float64"): 130, (1, "float64"): 3.5, (2, "float64"): 6})
