r"""Resembles jax-ml/jax#2107 (``grad(jax.nn.softplus)(0.)`` was 0, not 0.5): the derivative of :math:`\max(x, 0) + \operatorname{log1p}(e^{-|x|})` taken with the subgradients :math:`[x > 0]` for ``max`` and :math:`\operatorname{sign}(x)` for ``abs``.

Both subgradient choices are 0 at x = 0, so the tangent is
:math:`0 + 0` there instead of 1/2; everywhere else it is the stable
:math:`\sigma(x)` (autodiff's :math:`1 - \sigma(-x)` for x > 0 would add
rounding errors of its own, a second defect).
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", variant="jvp", derivative=(1, "reverse"))


@jax.custom_jvp
def softplus_jvp(x):
    return _softplus(x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    # d/dx max(x, 0) = [x > 0] and d/dx |x| = sign(x) are both 0 at the kink
    d = jnp.where(x == 0, jnp.zeros_like(x), sigmoid(x))  # DEFECT: 0 at x = 0
    return softplus_jvp(x), d * x_dot
