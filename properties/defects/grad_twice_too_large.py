r"""Resembles chain-rule slips with a scale parameter (softplus with :math:`\beta`, :math:`\log(1+e^{\beta x})/\beta`, has derivative :math:`\sigma(\beta x)`, and a stray factor of :math:`\beta` is a common slip): here :math:`\bar x = 2g\,\sigma(x)`.

Off by a constant factor: the sign and the shape of the curve are right.
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", dtype="float64",
                  variant="vjp", derivative=(1, "reverse"))


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (2 * g * sigmoid(x),)  # DEFECT: factor 2


softplus_vjp.defvjp(_fwd, _bwd)
