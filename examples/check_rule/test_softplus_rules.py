"""check_rule from a library author's own test file: one line per rule.

The value is all the harness needs (derivatives are derived from it); this file
runs under plain ``pytest`` from any directory once the package is installed.
"""

import mpmath
import pytest

import stable_ops
from properties import check_rule
from stable_ops import naive


def softplus(x):
    """log(1 + e^x), written without cancellation (as the rule's reference must not be
    fooled: even the naive log(1 + mpmath.exp(x)) would be detected and rounded right)."""
    return mpmath.log1p(mpmath.exp(x)) if x <= 0 else x + mpmath.log1p(mpmath.exp(-x))


def test_stable_softplus_passes():
    # the value and the first derivative, in float32: the whole suite checks the rest
    check_rule(stable_ops.softplus, value=softplus, dtypes=["float32"], orders=(0, 1), budgets=0.51)


def test_tutorial_softplus_fails_with_the_suites_message():
    with pytest.raises(AssertionError, match=r"outside the budget[\s\S]*reproduce: JAX_ENABLE_X64=0 python -c"):
        check_rule(naive.softplus_vjp, value=softplus, dtypes=["float32"], budgets=0.51,
                   pytest_args=["-x", "-k", "special_values"])  # the first failure is enough
