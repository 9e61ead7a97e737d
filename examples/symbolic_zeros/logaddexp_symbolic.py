r"""A target whose rules are written with ``symbolic_zeros=True``: logaddexp.

With symbolic zeros, JAX hands a rule a :class:`jax.custom_derivatives.SymbolicZero`
for the tangent of an argument that is not differentiated (``jax.grad(f,
argnums=0)`` of a binary op: the tangent of ``y``), a ``CustomVJPPrimal`` that says
which arguments are perturbed to a ``custom_vjp``'s forward pass, and may hand its
backward pass a symbolic zero cotangent. A rule that supports them skips the work
for the zero ones (here: one of the two sigmoids), and must still give the right
derivatives: those of :mod:`stable_ops.logaddexp`, bit for bit.

    pytest -m programs --target logaddexp_symbolic  # with examples/symbolic_zeros on PYTHONPATH
"""

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from stable_ops import _kernels
from stable_ops.logaddexp import _sigmoid_of_difference, _unbroadcast


def _is_zero(t) -> bool:
    """A tangent or cotangent JAX passes as a symbolic zero."""
    return isinstance(t, SymbolicZero)


def _is_fixed(primal) -> bool:
    """A ``custom_vjp`` forward pass's argument that is not differentiated."""
    return not primal.perturbed


@jax.custom_jvp
def logaddexp_jvp(x, y):
    r""":math:`\log(e^x + e^y)`; tangent :math:`\sigma(x - y)\dot x + \sigma(y - x)\dot y`,
    each term only where its tangent is not a symbolic zero."""
    return _kernels.logaddexp(x, y)


def _jvp(primals, tangents):
    (x, y), (x_dot, y_dot) = primals, tangents
    z = logaddexp_jvp(x, y)
    terms = [_sigmoid_of_difference(a, b) * t
             for a, b, t in ((x, y, x_dot), (y, x, y_dot)) if not _is_zero(t)]
    if not terms:  # both zero: a zero tangent of the output's shape and dtype
        return z, jnp.zeros_like(z)
    tangent = terms[0] if len(terms) == 1 else terms[0] + terms[1]
    return z, jnp.broadcast_to(tangent, z.shape).astype(z.dtype)


logaddexp_jvp.defjvp(_jvp, symbolic_zeros=True)


@jax.custom_vjp
def logaddexp_vjp(x, y):
    r""":math:`\log(e^x + e^y)`; the backward pass computes the cotangent of each
    perturbed argument only (``None``, a zero, for the others)."""
    return _kernels.logaddexp(x, y)


def _fwd(x, y):
    perturbed = (not _is_fixed(x), not _is_fixed(y))
    x, y = x.value, y.value
    return logaddexp_vjp(x, y), (x, y, perturbed)


def _bwd(residuals, g):
    x, y, perturbed = residuals
    if _is_zero(g):
        return (None, None)
    return tuple(_unbroadcast(g * _sigmoid_of_difference(a, b), a) if p else None
                 for a, b, p in ((x, y, perturbed[0]), (y, x, perturbed[1])))


logaddexp_vjp.defvjp(_fwd, _bwd, symbolic_zeros=True)
