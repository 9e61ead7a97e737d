"""Declare log1mexp once: its mpmath reference, derivatives, domain, budgets."""

import math

import mpmath
import numpy as np

from properties.ops import OpSpec, register


def log1mexp(x):
    # The reference must be accurate to mpmath's working precision, so it needs
    # the same care as the rule: log(-expm1(-x)) loses everything for large x.
    if x < mpmath.log(2):
        return mpmath.log(-mpmath.expm1(-x))
    return mpmath.log1p(-mpmath.exp(-x))


def log1mexp_d1(x):
    return mpmath.inf if x == 0 else 1 / mpmath.expm1(x)


def log1mexp_d2(x):
    return -mpmath.inf if x == 0 else 1 / (mpmath.expm1(x) * mpmath.expm1(-x))


register(
    OpSpec(
        name="log1mexp",
        exact={(0,): log1mexp, (1,): log1mexp_d1, (2,): log1mexp_d2},
        # where the formula switches branches, and where exp(-x) underflows
        branch_points={dt: (math.log(2), 1e-3, 20.0, 88.7, 700.0) for dt in ("float32", "float64")},
        # where value and derivatives are finite: f'' ~ -1/x^2 overflows below
        finite_domain={dt: (2 / math.sqrt(float(np.finfo(dt).max)), math.inf)
                       for dt in ("float32", "float64")},
    ),
    # measured (the run's closing table, --budget 'log1mexp:*:*=1000'), rounded up;
    # float64 values inherit XLA's log1p error near -0.414 (up to 128 ULP, jax-ml/jax#39707)
    budgets={(0, "float32"): 3, (1, "float32"): 4, (2, "float32"): 8,
             (0, "float64"): 130, (1, "float64"): 2.5, (2, "float64"): 4})
