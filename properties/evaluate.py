"""Elementwise values and derivatives of a rule, compiled once per shape.

The properties, the report and the sweep all need "the derivative of rule ``f``
at every element of its inputs, computed in ``mode``": :func:`derivative_at`.
For an elementwise ``f`` that is ``vmap`` of the scalar derivative, which is
also how users write it. Each combination is jitted once and cached here, and
inputs are padded to one shared size (:data:`SHARED_BUCKET`), so that every
property's batches of one rule, derivative and dtype share one compilation.
:class:`Implementation` names one rule (op, variant, module) for the report and
the sweep.

A derivative is named by an *order* for a unary op (``0``, ``1``, ``2``) or a
multi-index for a binary one (``(1, 0)`` is :math:`\\partial_x f`, ``(1, 1)``
is :math:`\\partial_x\\partial_y f`), together with a *mode*, by how it is
taken (outermost last):

============================  =====  =====================================
mode                          order  computation (unary; binary: per argnum)
============================  =====  =====================================
``value``                     0      ``f(x)``
``reverse``                   1      ``grad(f)``
``forward``                   1      ``jvp(f, (x,), (1,))[1]``
``reverse-over-reverse``      2      ``grad(grad(f))``
``forward-over-forward``      2      ``jvp`` of the ``jvp`` derivative
``forward-over-reverse``      2      ``jvp`` of ``grad(f)`` (as ``jax.hessian``)
============================  =====  =====================================

For a binary op, a first partial in ``x`` is ``grad(f, argnums=0)`` or a
``jvp`` with tangents ``(1, 0)``; a mixed second partial differentiates in
``x`` first (inner), then in ``y``. A ``custom_vjp`` rule supports only the
modes without ``forward``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from properties.ops import OPS
from properties.target import VARIANT_MODES, rule_of

#: (order, mode) pairs of a unary op, in the order reports list them.
DERIVATIVES: tuple[tuple[int, str], ...] = (
    (0, "value"),
    (1, "reverse"),
    (1, "forward"),
    (2, "reverse-over-reverse"),
    (2, "forward-over-forward"),
    (2, "forward-over-reverse"),
)

#: mode -> how each differentiation is taken, innermost first.
_STEPS = {
    "value": (),
    "reverse": ("reverse",),
    "forward": ("forward",),
    "reverse-over-reverse": ("reverse", "reverse"),
    "forward-over-forward": ("forward", "forward"),
    "forward-over-reverse": ("reverse", "forward"),
}


def derivative_label(derivative, mode: str) -> str:
    """``value``, ``d1 reverse``, ``d2 forward-over-reverse`` for an order (unary op);
    ``dx reverse``, ``dxy reverse-over-reverse`` for a multi-index (binary op)."""
    index = index_of(derivative)
    if sum(index) == 0:
        return "value"
    if len(index) == 1:
        return f"d{index[0]} {mode}"
    return "d" + "".join("xyz"[i] * k for i, k in enumerate(index)) + f" {mode}"


derivative_name = derivative_label  # the name benchmarks/ use


def uses_forward_mode(mode: str) -> bool:
    """Whether ``mode`` needs ``jax.jvp`` (unsupported by ``custom_vjp`` rules)."""
    return "forward" in mode


def index_of(derivative) -> tuple[int, ...]:
    """The multi-index of a derivative given as an order (unary) or a multi-index."""
    return (derivative,) if isinstance(derivative, (int, np.integer)) else tuple(derivative)


def order_of(derivative) -> int:
    """The total order: ``2`` for ``2``, ``(1, 1)`` or ``(0, 2)``."""
    return sum(index_of(derivative))


def derivatives_for(variant_modes: tuple[str, ...], op=None) -> tuple[tuple[object, str], ...]:
    """The (derivative, mode) pairs a variant supports (see target.VARIANT_MODES).

    Without ``op``: the unary pairs of :data:`DERIVATIVES`. With an
    :class:`properties.ops.OpSpec`: only the derivatives it checks (declared or derived),
    named by order for a unary op and by multi-index for a binary one.
    """
    pairs = [d for d in DERIVATIVES if "forward" in variant_modes or not uses_forward_mode(d[1])]
    if op is None:
        return tuple(pairs)
    out = []
    for order, mode in pairs:
        for index in sorted(op.indices, key=lambda k: (sum(k), [-i for i in k])):
            if sum(index) == order:
                out.append((order if op.arity == 1 else index, mode))
    return tuple(out)


def _argnums(index: tuple[int, ...]) -> tuple[int, ...]:
    """``(1, 1)`` -> ``(0, 1)``: the argument of each differentiation, innermost first."""
    return tuple(i for i, k in enumerate(index) for _ in range(k))


def _partial(f: Callable, argnum: int, how: str, summed: bool) -> Callable:
    if how == "reverse":
        g = (lambda *a: jnp.sum(f(*a))) if summed else f
        return jax.grad(g, argnums=argnum)

    def tangent_map(*args):
        tangents = tuple(jnp.ones_like(a) if i == argnum else jnp.zeros_like(a)
                         for i, a in enumerate(args))
        return jax.jvp(f, args, tangents)[1]
    return tangent_map


def _derivative(f: Callable, derivative, mode: str, summed: bool) -> Callable:
    index = index_of(derivative)
    steps = _STEPS.get(mode)
    if steps is None or len(steps) != sum(index):
        raise ValueError(f"(order, mode) must pair an order with its modes {dict(_STEPS)}, "
                         f"got {(derivative, mode)!r}")
    for argnum, how in zip(_argnums(index), steps):
        f = _partial(f, argnum, how, summed)
    return f


def scalar_derivative(f: Callable, derivative, mode: str) -> Callable:
    """The derivative (an order, or a multi-index) of scalar ``f`` as a scalar function, in ``mode``."""
    return _derivative(f, derivative, mode, summed=False)


def array_derivative(f: Callable, derivative, mode: str) -> Callable:
    """The same derivative of elementwise ``f`` applied to whole arrays: ``grad`` of
    the sum, ``jvp`` with a tangent of ones (the Jacobian is diagonal), as users
    call an elementwise function."""
    return _derivative(f, derivative, mode, summed=True)


@functools.lru_cache(maxsize=None)
def elementwise(f: Callable, derivative, mode: str) -> Callable:
    """Jitted ``vmap`` of :func:`scalar_derivative`: maps 1-D arrays to a 1-D array."""
    return jax.jit(jax.vmap(scalar_derivative(f, derivative, mode)))


def derivative_at(f: Callable, derivative, mode: str, *args: np.ndarray) -> np.ndarray:
    """The ``derivative`` of elementwise rule ``f``, taken in ``mode``, at each element
    of its (broadcast) inputs.

    - ``derivative``: an order (unary) or a multi-index (one entry per argument);
    - ``args``: one array per argument of ``f``, any shapes that broadcast.

    Returns a NumPy array of the broadcast shape. Inputs are flattened, cut into
    batches of :data:`SHARED_BUCKET` elements up to :data:`CHUNKED_UP_TO` of them,
    and padded (:func:`_bucket`), so that one compilation serves every batch of up
    to that size (logaddexp's finite sweep, 24,972 pairs, is two batches, not a
    program of 2^15 elements compiled apart: 4.5 s for each float64 rule).
    """
    arrays = np.broadcast_arrays(*(np.asarray(a) for a in args))
    shape = arrays[0].shape
    flat = [a.reshape(-1) for a in arrays]
    n = flat[0].size
    fn = elementwise(f, derivative, mode)
    step = SHARED_BUCKET if n <= CHUNKED_UP_TO else n
    parts = []
    for start in range(0, max(n, 1), step):  # an empty input: one empty batch
        chunk = [a[start:start + step] for a in flat]
        size = chunk[0].size
        padded = _bucket(size)
        out = fn(*(np.concatenate([c, np.zeros(padded - size, c.dtype)]) for c in chunk))
        parts.append(np.asarray(out)[:size])
    return np.concatenate(parts).reshape(shape)


evaluate = derivative_at  # the former name


#: Every batch of up to this many elements is padded to it: one compilation per
#: (rule, derivative, mode, dtype) then serves every property of the suite (random
#: batches of 64, special values, limits, nan, the finite-inputs and dense sweeps).
#: A compilation costs 0.15-0.3 s for a unary op, 2-5 s for a float64 logaddexp
#: program; evaluating 2^14 elements, under 0.5 ms for the unary ops.
SHARED_BUCKET = 2 ** 14

#: Inputs of up to this many elements are evaluated in batches of :data:`SHARED_BUCKET`;
#: larger ones (the report's sweeps) in one call, unpadded.
CHUNKED_UP_TO = 2 ** 16


def _bucket(n: int) -> int:
    """The length a batch of ``n`` elements is padded to (with zeros):
    :data:`SHARED_BUCKET` up to that size, so that batches share one compilation;
    larger arrays (the report's sweeps, never cut) are not padded."""
    return n if n > SHARED_BUCKET else SHARED_BUCKET


def repro_expression(derivative, mode: str) -> str:
    """Python source computing the derivative of ``f`` at scalar ``x`` (binary: ``x, y``),
    for failure messages."""
    index = index_of(derivative)
    names = ", ".join("xyz"[: len(index)])
    if sum(index) == 0:
        return f"f({names})"
    expr = "f"
    for argnum, how in zip(_argnums(index), _STEPS[mode]):
        if how == "reverse":
            expr = f"jax.grad({expr})" if len(index) == 1 else f"jax.grad({expr}, argnums={argnum})"
        else:
            tangents = ", ".join(f"jax.numpy.ones_like(a[{i}])" if i == argnum
                                 else f"jax.numpy.zeros_like(a[{i}])"
                                 for i in range(len(index)))
            if len(index) == 1:
                expr = f"(lambda g: lambda x: jax.jvp(g, (x,), (jax.numpy.ones_like(x),))[1])({expr})"
            else:
                expr = f"(lambda g: lambda *a: jax.jvp(g, a, ({tangents}))[1])({expr})"
    return f"{expr}({names})"


@dataclasses.dataclass(frozen=True)
class Implementation:
    """One rule to measure, named rather than held, so that it crosses process
    boundaries: ``<op>_<variant>`` of the module ``module``.

    - ``variant``: ``"vjp"`` or ``"jvp"`` (see :data:`properties.target.VARIANT_MODES`), or
      ``"numpy"``: a NumPy function of arrays, values only;
    - ``label``: how tables name it (default ``<module>.<op>_<variant>``);
    - ``role``: ``"target"`` or ``"peer"``.
    """

    op: str
    variant: str
    module: str
    label: str = ""
    role: str = "target"

    def __post_init__(self):
        if not self.label:
            object.__setattr__(self, "label", f"{self.module}.{self.op}_{self.variant}")

    @property
    def fn(self) -> Callable:
        name = f"{self.op}_{self.variant}"
        fn = rule_of(importlib.import_module(self.module), name)
        if fn is None:
            raise AttributeError(f"module {self.module!r} defines no rule {name!r}")
        return fn

    @property
    def derivatives(self) -> tuple[tuple[object, str], ...]:
        """The (derivative, mode) pairs it supports and the op has references for."""
        op = OPS[self.op]
        if self.variant == "numpy":
            return (((0,) * op.arity if op.arity > 1 else 0, "value"),)
        return derivatives_for(VARIANT_MODES[self.variant], op=op)

    def __call__(self, derivative, mode: str, *args: np.ndarray) -> np.ndarray:
        """:func:`derivative_at` of the rule (a NumPy function: its values)."""
        if self.variant == "numpy":
            with np.errstate(all="ignore"):
                return np.asarray(self.fn(*args), dtype=args[0].dtype)
        return derivative_at(self.fn, derivative, mode, *args)
