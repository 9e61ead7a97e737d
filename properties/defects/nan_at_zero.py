r"""Resembles rules that work with :math:`|x|` and restore the sign as :math:`s = x/|x|` (a 0/0 at x = 0): :math:`\sigma(s\,|x|)`.

Exact for every :math:`x \ne 0`; nan at :math:`\pm 0`, where the gradient
is 1/2.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_finite_for_finite_inputs", dtype="float64",
                  variant="vjp", derivative=(1, "reverse"))


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    a = jnp.abs(x)
    s = x / a  # DEFECT: 0/0 = nan at x = 0
    return (g * sigmoid(s * a),)


softplus_vjp.defvjp(_fwd, _bwd)
