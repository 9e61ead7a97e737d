r"""A user's own rule: :math:`\mathrm{log1mexp}(x) = \log(1 - e^{-x})`, for :math:`x > 0`.

Mächler (2012): ``log(-expm1(-x))`` below :math:`\log 2`, ``log1p(-exp(-x))``
above, so neither branch cancels. :math:`f'(x) = 1/\mathrm{expm1}(x)`,
:math:`f''(x) = 1/(\mathrm{expm1}(x)\,\mathrm{expm1}(-x))`. At 0 (either sign)
the value is :math:`-\infty`, the derivatives the one-sided limits
:math:`+\infty` and :math:`-\infty`; below 0 the value and its derivatives are nan.
"""

import jax
import jax.numpy as jnp

LOG2 = 0.6931471805599453


@jax.custom_jvp
def log1mexp_jvp(x):
    return jnp.where(x < LOG2, jnp.log(-jnp.expm1(-x)), jnp.log1p(-jnp.exp(-x)))


@log1mexp_jvp.defjvp
def _log1mexp_rule(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return log1mexp_jvp(x), _d1(x) * x_dot


@jax.custom_jvp
def _d1(x):
    d1 = jnp.where(x == 0, jnp.inf, 1 / jnp.expm1(x))  # at -0 too: the limit from x > 0
    return jnp.where(x < 0, jnp.nan, d1)  # no derivative where the value is undefined


@_d1.defjvp
def _d1_rule(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    d2 = jnp.where(x == 0, -jnp.inf, _d1(x) / jnp.expm1(-x))  # nan below 0, through _d1
    return _d1(x), d2 * x_dot
