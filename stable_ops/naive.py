r"""Known-bad softplus baselines, kept so the harness can show it catches them.

These are the tutorial's versions (custom-vjp-softplus-tutorial):

* :func:`softplus_naive` -- :math:`\log(1 + e^x)` differentiated by autodiff.
  Overflows to ``inf`` from :math:`x \approx 88.7` (float32) / :math:`709.8`
  (float64); :math:`\log(1 + \text{tiny})` loses all digits for :math:`x \ll 0`
  (``1 + e^x`` rounds to 1, so the value is 0 where it should be :math:`e^x`);
  the autodiff derivative :math:`e^x/(1+e^x)` is ``inf/inf = nan`` past the
  overflow.
* :func:`softplus_naive_vjp` -- a ``custom_vjp`` with the same naive forward pass
  and the backward pass :math:`g\,\sigma(x)` using ``jax.nn.sigmoid``; the
  gradient is fine but the value overflows and grad-of-grad inherits
  ``jax.nn.sigmoid``'s cancelling derivative.

Never import these into :mod:`stable_ops` itself.
"""

import jax
import jax.numpy as jnp

__all__ = ["softplus_naive", "softplus_naive_vjp", "softplus_jvp", "softplus_vjp"]


def softplus_naive(x):
    r""":math:`\log(1 + e^x)`, evaluated literally; derivatives by autodiff."""
    return jnp.log(1 + jnp.exp(x))


@jax.custom_vjp
def softplus_naive_vjp(x):
    r""":math:`\log(1 + e^x)` literally, with a ``g * jax.nn.sigmoid(x)`` backward pass."""
    return jnp.log(1 + jnp.exp(x))


def _naive_fwd(x):
    return softplus_naive_vjp(x), x  # residual: x


def _naive_bwd(x, g):
    return (g * jax.nn.sigmoid(x),)


softplus_naive_vjp.defvjp(_naive_fwd, _naive_bwd)

# Target names the harness looks for (``--target stable_ops.naive``).
# softplus_jvp is not a custom_jvp: plain autodiff supports forward and reverse
# mode and so plays that role as a target.
softplus_jvp = softplus_naive
softplus_vjp = softplus_naive_vjp
