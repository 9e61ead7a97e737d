r"""Resembles this project's own early ``stable_ops`` bug (fixed in commit 856e3d4): the custom_jvp rule returned its primal output from the raw kernel, so a nested ``jvp`` differentiated that output by autodiff of :math:`\max(x, 0) + \ldots` and got -1/2 instead of 1/2 at x = 0 (``grad(abs)(0.) = 1``).

First-order results, and every property that reads only the innermost
tangent, are exact.
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_check_grads", variant="jvp")


@jax.custom_jvp
def softplus_jvp(x):
    return _softplus(x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return _softplus(x), sigmoid(x) * x_dot  # DEFECT: primal output by the kernel
