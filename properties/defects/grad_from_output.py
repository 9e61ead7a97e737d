r"""Resembles pytorch/pytorch#55587, whose softplus backward worked from the *output* :math:`y` (threshold tested on :math:`y`, derivative :math:`(e^y - 1)/e^y`) rather than from the input.

:math:`1 - e^{-y}` cancels for :math:`x \ll 0` (:math:`y \approx e^x` is
tiny, :math:`e^y` rounds to 1), so the gradient loses every digit there and
is 0 from about x = -17 (float32), where the true value is :math:`e^x`.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", variant="vjp", derivative=(1, "reverse"))
THRESHOLD = 20.0


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    y = softplus_vjp(x)
    return y, y  # residual: the output


def _bwd(y, g):
    z = jnp.exp(y)
    return (jnp.where(y > THRESHOLD, g, g * (z - 1) / z),)  # DEFECT: from the output


softplus_vjp.defvjp(_fwd, _bwd)
