r"""Resembles modules that define a custom_vjp but export the undecorated kernel under the rule's name (the decorated function is never used), so forward mode silently returns autodiff's number where JAX should refuse it with its ``TypeError``.

Every derivative is autodiff of the kernel: still within budget for most
inputs, but ``jax.jvp`` on the "custom_vjp" returns a number.
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_custom_vjp_refuses_forward_mode")


@jax.custom_vjp
def _softplus_rule(x):
    return _softplus(x)


_softplus_rule.defvjp(lambda x: (_softplus_rule(x), x), lambda x, g: (g * sigmoid(x),))

softplus_vjp = jax.jit(_softplus)  # DEFECT: the kernel, not _softplus_rule
