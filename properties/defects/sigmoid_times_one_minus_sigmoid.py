r"""Resembles jax-ml/jax#40387 (``jax.nn.softplus``'s second derivative is 0 for large x): the tangent's :math:`\sigma` has the rule :math:`\sigma' = \sigma(1 - \sigma)`, and :math:`1 - \sigma` cancels to 0 once :math:`\sigma(x)` rounds to 1.

Values and first derivatives are the stable ones; the second derivative is 0
from x = 17.3 (float32) / 37.4 (float64), where the true value is
:math:`\approx e^{-x}`, and loses digits well before.
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid as _stable_sigmoid
from stable_ops import softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", dtype="float64",
                  variant="jvp", derivative=(2, "reverse-over-reverse"))


@jax.custom_jvp
def _sigmoid(x):
    return _stable_sigmoid(x)


@_sigmoid.defjvp
def _sigmoid_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    s = _sigmoid(x)
    return s, s * (1 - s) * x_dot  # DEFECT: 1 - s cancels


@jax.custom_jvp
def softplus_jvp(x):
    return _softplus(x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x), _sigmoid(x) * x_dot
