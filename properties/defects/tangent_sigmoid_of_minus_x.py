r"""Resembles a tangent rule that uses :math:`\sigma(-x)` (the derivative of ``softplus(-x)``, i.e. of ``-log_sigmoid(x)``) for :math:`\sigma(x)`.

The two are mirror images, equal only at x = 0, where most hand checks are
done.
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", variant="jvp", derivative=(1, "forward"))


@jax.custom_jvp
def softplus_jvp(x):
    return _softplus(x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x), sigmoid(-x) * x_dot  # DEFECT: sigma(-x)
