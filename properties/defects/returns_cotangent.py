r"""Resembles a backward pass left as the identity's (``return (g,)``), as in a straight-through stub that was never replaced.

The gradient is 1 everywhere: right only in the limit :math:`x \to +\infty`.
"""

import jax

from properties.defects import expect
from stable_ops import softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", variant="vjp", derivative=(1, "reverse"))


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (g,)  # DEFECT: the local derivative is missing


softplus_vjp.defvjp(_fwd, _bwd)
