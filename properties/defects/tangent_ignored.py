r"""Resembles tangent rules that return the derivative :math:`\sigma(x)` itself instead of :math:`\sigma(x)\,\dot x`.

``jvp`` with tangent 1 is right; any other tangent is not, and JAX cannot
transpose a tangent output that does not depend on the tangent, so reverse
mode silently gives 0.
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_linear_in_cotangent_and_tangent", variant="jvp", linear_map="jvp")


@jax.custom_jvp
def softplus_jvp(x):
    return _softplus(x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    del x_dot  # DEFECT: the tangent is ignored
    return softplus_jvp(x), sigmoid(x)
