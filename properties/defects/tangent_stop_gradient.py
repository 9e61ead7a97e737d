r"""Resembles tangent rules that treat the derivative as a constant (``stop_gradient`` on :math:`\sigma(x)`, as one would on a max-shift), so every second derivative, in every nesting of modes, is silently 0.

Values and first derivatives are exact.
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", dtype="float64",
                  variant="jvp", derivative=(2, "forward-over-forward"))


@jax.custom_jvp
def softplus_jvp(x):
    return _softplus(x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x), jax.lax.stop_gradient(sigmoid(x)) * x_dot  # DEFECT
