r"""Resembles second derivatives taken from a textbook identity, :math:`\sigma'(x) = \tfrac14\operatorname{sech}^2(x/2)`, evaluated with XLA's ``cosh``: a few ULP off, and 0 once ``cosh`` overflows.

Values and first derivatives are the stable ones.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid as _stable_sigmoid
from stable_ops import softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_within_ulp_budget", variant="jvp", derivative=(2, "forward-over-forward"))


@jax.custom_jvp
def _sigmoid(x):
    return _stable_sigmoid(x)


@_sigmoid.defjvp
def _sigmoid_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    c = jnp.cosh(x / 2)
    return _sigmoid(x), 0.25 / (c * c) * x_dot  # DEFECT: a few ULP


@jax.custom_jvp
def softplus_jvp(x):
    return _softplus(x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x), _sigmoid(x) * x_dot
