r"""Resembles hand-derived backward passes that get a derivative's sign wrong: :math:`\bar x = -g\,\sigma(x)`.

The gradient has the right magnitude everywhere, so plots of ``|grad|`` and
loss curves of a short run can look plausible; every nonzero derivative is
off by a factor of -1.
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", variant="vjp", derivative=(1, "reverse"))


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (-g * sigmoid(x),)  # DEFECT: sign


softplus_vjp.defvjp(_fwd, _bwd)
