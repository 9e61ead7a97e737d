r"""Resembles a tangent rule copied from ``exp``'s (whose derivative is its own value): :math:`\dot y = \operatorname{softplus}(x)\,\dot x`.

Reuses the primal output as the derivative, a pattern that is right for
``exp`` and wrong for nearly everything else.
"""

import jax

from properties.defects import expect
from stable_ops import softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", dtype="float64",
                  variant="jvp", derivative=(1, "forward"))


@jax.custom_jvp
def softplus_jvp(x):
    return _softplus(x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    y = softplus_jvp(x)
    return y, y * x_dot  # DEFECT: the value, not sigma(x)
