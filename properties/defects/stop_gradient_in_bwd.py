r"""Resembles backward passes computed from detached values (``stop_gradient``, PyTorch's ``.detach()`` or a backward run without ``create_graph``), which make every higher derivative silently 0.

Values and first derivatives are exact; grad-of-grad is 0 everywhere.
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", variant="vjp",
                  derivative=(2, "reverse-over-reverse"))


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (g * jax.lax.stop_gradient(sigmoid(x)),)  # DEFECT: not differentiable


softplus_vjp.defvjp(_fwd, _bwd)
