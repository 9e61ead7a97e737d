"""Elementwise values and derivatives of a rule, compiled once per shape.

The properties and the report both need "the ``order``-th derivative of rule
``f`` at every element of ``x``, computed in ``mode``". For an elementwise
``f`` that is ``vmap`` of the scalar derivative, which is also how users write
it. Each combination is jitted once and cached here, so that Hypothesis
examples of one shape and dtype never recompile.

Modes, by how the derivative is taken (outermost last):

============================  =====  =====================================
mode                          order  computation
============================  =====  =====================================
``value``                     0      ``f(x)``
``reverse``                   1      ``grad(f)``
``forward``                   1      ``jvp(f, (x,), (1,))[1]``
``reverse-over-reverse``      2      ``grad(grad(f))``
``forward-over-forward``      2      ``jvp`` of the ``jvp`` derivative
``forward-over-reverse``      2      ``jvp`` of ``grad(f)`` (as ``jax.hessian``)
============================  =====  =====================================

A ``custom_vjp`` rule supports only the modes without ``forward``.
"""

from __future__ import annotations

import functools
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

#: (order, mode) pairs, in the order reports list them.
DERIVATIVES: tuple[tuple[int, str], ...] = (
    (0, "value"),
    (1, "reverse"),
    (1, "forward"),
    (2, "reverse-over-reverse"),
    (2, "forward-over-forward"),
    (2, "forward-over-reverse"),
)


def uses_forward_mode(mode: str) -> bool:
    """Whether ``mode`` needs ``jax.jvp`` (unsupported by ``custom_vjp`` rules)."""
    return "forward" in mode


def derivatives_for(variant_modes: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """The (order, mode) pairs a variant supports, given its modes (see target.VARIANT_MODES)."""
    if "forward" in variant_modes:
        return DERIVATIVES
    return tuple(d for d in DERIVATIVES if not uses_forward_mode(d[1]))


def _forward(f: Callable) -> Callable:
    """Scalar derivative of scalar ``f`` by forward mode, with tangent 1."""
    return lambda x: jax.jvp(f, (x,), (jnp.ones_like(x),))[1]


def scalar_derivative(f: Callable, order: int, mode: str) -> Callable:
    """The ``order``-th derivative of scalar ``f`` as a scalar function, taken in ``mode``."""
    builders = {
        (0, "value"): lambda: f,
        (1, "reverse"): lambda: jax.grad(f),
        (1, "forward"): lambda: _forward(f),
        (2, "reverse-over-reverse"): lambda: jax.grad(jax.grad(f)),
        (2, "forward-over-forward"): lambda: _forward(_forward(f)),
        (2, "forward-over-reverse"): lambda: _forward(jax.grad(f)),
    }
    try:
        return builders[(order, mode)]()
    except KeyError:
        raise ValueError(
            f"(order, mode) must be one of {list(builders)}, got {(order, mode)!r}") from None


@functools.lru_cache(maxsize=None)
def elementwise(f: Callable, order: int, mode: str) -> Callable:
    """Jitted ``vmap`` of :func:`scalar_derivative`: maps a 1-D array to a 1-D array."""
    return jax.jit(jax.vmap(scalar_derivative(f, order, mode)))


def evaluate(f: Callable, order: int, mode: str, x: np.ndarray) -> np.ndarray:
    """``order``-th derivative of elementwise rule ``f`` at each element of ``x`` (any shape).

    Returns a NumPy array of ``x``'s shape. ``x`` is flattened so that one
    compilation serves every shape of the same size and dtype.
    """
    x = np.asarray(x)
    flat = x.reshape(-1)
    out = elementwise(f, order, mode)(flat)
    return np.asarray(out).reshape(x.shape)


def repro_expression(order: int, mode: str) -> str:
    """Python source computing the derivative of ``f`` at scalar ``x``, for failure messages."""
    fwd = "(lambda g: lambda x: jax.jvp(g, (x,), (jax.numpy.ones_like(x),))[1])"
    expressions = {
        (0, "value"): "f(x)",
        (1, "reverse"): "jax.grad(f)(x)",
        (1, "forward"): f"{fwd}(f)(x)",
        (2, "reverse-over-reverse"): "jax.grad(jax.grad(f))(x)",
        (2, "forward-over-forward"): f"{fwd}({fwd}(f))(x)",
        (2, "forward-over-reverse"): f"{fwd}(jax.grad(f))(x)",
    }
    return expressions[(order, mode)]
