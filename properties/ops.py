"""What each op is: its exact definition, arity and the inputs worth generating.

One small frozen record per op, in one registry, :data:`OPS`. The properties
read the reference (mpmath functions for the value and each partial
derivative, from :mod:`reference.functions` or mpmath itself) and the regimes
from here; the budgets live in :mod:`properties.budgets`, one table keyed
``(op, order, dtype)``.

A user declares a new op once, from their own ``conftest.py``, and every
property of the suite then applies to any target defining ``<name>_vjp`` or
``<name>_jvp``::

    from properties.ops import OpSpec, register
    register(OpSpec(name="log1mexp", exact={(0,): f, (1,): f1, (2,): f2},
                    branch_points={"float32": (...), "float64": (...)}),
             budgets={(0, "float32"): 1, ...})

Derivatives are named by multi-index: ``(k,)`` is the k-th derivative of a
unary op; ``(i, j)`` is :math:`\\partial_x^i \\partial_y^j f` of a binary one.
An op declares the partials it has references for; ``{(0,): f}`` is a
value-only op (the XLA primitives audited by :mod:`properties.peers.xla_primitives`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Mapping

import mpmath
import numpy as np

from reference import functions as mp

DTYPES = ("float32", "float64")


@dataclasses.dataclass(frozen=True)
class OpSpec:
    """An elementwise op under test.

    - ``name``: the prefix of the target's rules (``<name>_vjp``, ``<name>_jvp``).
    - ``exact``: multi-index -> mpmath function of ``arity`` real arguments:
      ``(0,)``, ``(1,)``, ``(2,)`` for a unary op; ``(0, 0)``, ``(1, 0)``,
      ``(0, 1)``, ``(2, 0)``, ``(1, 1)``, ``(0, 2)`` for a binary one. The
      value, ``(0,)`` or ``(0, 0)``, is required; partials not given are not
      checked (a value-only op has just the value).
    - ``branch_points``: per dtype name, inputs where implementations switch
      formulas or where exp under/overflows; strategies generate them (both
      signs) and their neighbours often.
    - ``finite_domain``: per dtype name, the open interval ``(lo, hi)`` of
      inputs where the exact value and every declared derivative are finite
      in that dtype (default: every finite input).
      Outside it the reference gives nan (undefined, e.g. ``log(-1)``) or
      ±inf (``log(0)``, ``exp(100)`` in float32) and the rule must agree with
      it; property 4's "finite for finite inputs" looks only inside it.
    - ``zero_curve``: binary ops whose value crosses 0, ``(lo, hi, y_of)``: for
      ``lo < x < hi`` the exact value vanishes at ``(x, y_of(x))``
      (``y_of`` works on float64 arrays). Near the curve the result cancels,
      and every digit must still be right; strategies put pairs on it and a
      few ULPs off it.
    """

    name: str
    exact: Mapping[tuple[int, ...], Callable] = dataclasses.field(repr=False)
    branch_points: Mapping[str, tuple[float, ...]] = dataclasses.field(
        default_factory=dict, repr=False)
    finite_domain: Mapping[str, tuple[float, float]] = dataclasses.field(
        default_factory=dict, repr=False)
    zero_curve: tuple[float, float, Callable] | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"OpSpec.name must be a Python identifier, got {self.name!r}")
        arities = {len(k) for k in self.exact}
        if len(arities) != 1 or arities.pop() not in (1, 2):
            raise ValueError(f"OpSpec {self.name!r}: exact must be keyed by multi-indices of "
                             f"one length, 1 or 2, got {list(self.exact)}")
        if (0,) * self.arity not in self.exact:
            raise ValueError(f"OpSpec {self.name!r}: exact needs the value, key {(0,) * self.arity}")
        if max(sum(k) for k in self.exact) > 2:
            raise ValueError(f"OpSpec {self.name!r}: derivatives of order at most 2, got {list(self.exact)}")

    def _repr_pretty_(self, printer, cycle):
        """Hypothesis' pretty printer ignores ``repr=False``; keep failures readable."""
        printer.text(repr(self))

    @property
    def arity(self) -> int:
        """1 or 2: the length of the multi-indices of :attr:`exact`."""
        return len(next(iter(self.exact)))

    @property
    def orders(self) -> tuple[int, ...]:
        """The derivative orders with a reference, e.g. ``(0, 1, 2)``, or ``(0,)``."""
        return tuple(sorted({sum(k) for k in self.exact}))

    def reference(self, derivative) -> Callable:
        """The mpmath function of a derivative: a multi-index, or an order for a unary op."""
        index = (derivative,) if isinstance(derivative, int) else tuple(derivative)
        try:
            return self.exact[index]
        except KeyError:
            raise KeyError(f"op {self.name!r} declares no reference for derivative {index}; "
                           f"it has {list(self.exact)}") from None

    def finite_inputs(self, x) -> np.ndarray:
        """Mask of the finite elements of ``x`` inside :attr:`finite_domain`."""
        x = np.asarray(x)
        lo, hi = self.finite_domain.get(x.dtype.name, (-math.inf, math.inf))
        return np.isfinite(x) & (x > lo) & (x < hi)


#: Every op the suite knows, by name. Extend it with :func:`register`.
OPS: dict[str, OpSpec] = {}


def register(spec: OpSpec, *, budgets: Mapping[tuple[int, str], float] | None = None) -> OpSpec:
    """Add ``spec`` to :data:`OPS` and its ULP budgets to :data:`properties.budgets.BUDGETS`.

    - ``spec``: the op; its name must not be registered already.
    - ``budgets``: ``{(order, dtype): ulps}`` for every order of ``spec.orders``
      and both dtypes, unless the table already holds them (the built-in ops
      keep theirs in :mod:`properties.budgets`). There is one table: an entry
      given here is an entry of that table, shown in the run header and
      overridable with ``--budget``.

    Call it at import time of a ``conftest.py`` (the plugin reads the registry
    when it loads the target and when tests are collected).

    >>> register(OPS["softplus"])
    Traceback (most recent call last):
    ...
    ValueError: op 'softplus' is already registered
    """
    from properties import budgets as table

    if not isinstance(spec, OpSpec):
        raise TypeError(f"register() expects an OpSpec, got {type(spec).__name__}")
    if spec.name in OPS:
        raise ValueError(f"op {spec.name!r} is already registered")
    given = dict(budgets or {})
    for (order, dtype), ulps in given.items():
        if order not in spec.orders or dtype not in DTYPES or not ulps >= 0:
            raise ValueError(f"register({spec.name!r}): budget key must be (order in "
                             f"{spec.orders}, dtype in {DTYPES}) -> ULPs >= 0, got "
                             f"{(order, dtype)!r}: {ulps!r}")
    missing = [(o, dt) for o in spec.orders for dt in DTYPES
               if (spec.name, o, dt) not in table.BUDGETS and (o, dt) not in given]
    if missing:
        raise ValueError(f"register({spec.name!r}): no ULP budget for (order, dtype) "
                         f"{missing}; pass budgets={{(order, dtype): ulps, ...}}")
    for (order, dtype), ulps in given.items():
        table.BUDGETS[(spec.name, order, dtype)] = float(ulps)
    OPS[spec.name] = spec
    return spec


# --- regimes ---------------------------------------------------------------

def _exp_thresholds(dtype: str) -> tuple[float, ...]:
    """Where ``exp`` overflows, leaves the normal range, and underflows to 0."""
    info = np.finfo(dtype)
    smallest_subnormal = float(info.smallest_subnormal)
    return (
        math.log(float(info.max)),          # exp(x) overflows above
        math.log(float(info.smallest_normal)),  # exp(x) is subnormal below
        math.log(smallest_subnormal),        # exp(x) rounds to 0 below
        math.log(smallest_subnormal) + math.log(0.5),
    )


def _softplus_branch_points(dtype: str) -> tuple[float, ...]:
    """Branch points of the usual stable softplus formulations.

    - 0, where ``max(x, 0) + log1p(exp(-|x|))`` switches sides;
    - -log(eps/2) (float32 16.6, float64 36.7), beyond which ``1 + exp(-x)``
      rounds to 1 (a naive ``1 / (1 + exp(-x))`` returns exactly 1), -log(eps)
      (15.9, 36.0) and -log(eps)/2 (8.0, 18.0), the usual cutoffs of that kind;
    - Maechler's log1pexp cutoffs -37, 18, 33.3;
    - jax-ml/jax#40387: jax.nn.softplus' second derivative is exactly 0 above
      14.56 (float32) / 33.27 (float64);
    - PyTorch's default softplus threshold, 20;
    - +-exp thresholds (overflow of the naive log(1 + exp(x)) at log(max)).
    """
    eps = float(np.finfo(dtype).eps)
    points = [0.0, -math.log(eps / 2), -math.log(eps), -math.log(eps) / 2,
              -37.0, 18.0, 33.3, 20.0, 14.56, 33.27, 1 / eps]
    for t in _exp_thresholds(dtype):
        points += [t, -t]
    return tuple(points)


def _per_dtype(fn: Callable[[str], object]) -> dict:
    return {dt: fn(dt) for dt in DTYPES}


def _log_sigmoid_branch_points(dtype: str) -> tuple[float, ...]:
    """softplus' points (log_sigmoid(x) = -softplus(-x)), and jax-ml/jax#40383's
    -37.43, where jax.nn.log_sigmoid's float64 second derivative becomes 0."""
    return _softplus_branch_points(dtype) + (37.43,)


def _primitive_branch_points(dtype: str) -> tuple[float, ...]:
    """exp's thresholds, the log1p/expm1 neighbourhoods of 0 and -1, and
    1 - 1/sqrt(2) ~ 0.293 and sqrt(2)/2 - 1 ~ -0.414, where XLA's float64 log1p
    switches formulas (jax-ml/jax#39707)."""
    return _exp_thresholds(dtype) + (0.25, 1e-4, 0.2928932188134524, 0.41421356237309503,
                                     math.log(2), 10.0, 100.0)


def _below_exp_overflow(dtype: str) -> tuple[float, float]:
    return (-math.inf, math.log(float(np.finfo(dtype).max)))


# --- the built-in ops --------------------------------------------------------

SOFTPLUS = register(OpSpec(
    name="softplus",
    exact=mp.SOFTPLUS_PARTIALS,
    branch_points=_per_dtype(_softplus_branch_points),
))

SIGMOID = register(OpSpec(
    name="sigmoid",
    exact=mp.SIGMOID_PARTIALS,
    branch_points=_per_dtype(_softplus_branch_points),
))

LOG_SIGMOID = register(OpSpec(
    name="log_sigmoid",
    exact=mp.LOG_SIGMOID_PARTIALS,
    branch_points=_per_dtype(_log_sigmoid_branch_points),
))

#: Binary: :math:`\log(e^x + e^y)`. Each argument reaches softplus' points
#: (``logaddexp(x, y) = max(x, y) + softplus(-|x - y|)``); the strategies add
#: equal, negated and nearly equal pairs and every pair of infinities.
LOGADDEXP = register(OpSpec(
    name="logaddexp",
    exact=mp.LOGADDEXP_PARTIALS,
    branch_points=_per_dtype(_softplus_branch_points),
    # e^x + e^y = 1: y = log(1 - e^x) for x < 0; the value cancels near it.
    zero_curve=(-math.inf, 0.0, lambda x: np.log(-np.expm1(x))),
))


def _mp(fn: Callable) -> Callable:
    """An mpmath elementary function with nan passed through (mpmath raises on some)."""
    def exact(x):
        x = mpmath.mpmathify(x)
        return mpmath.mpf("nan") if mpmath.isnan(x) else fn(x)
    exact.__name__ = exact.__qualname__ = fn.__name__
    return exact


#: XLA's building blocks, value only: which of them a rule can trust, per
#: backend and dtype (``--target properties.peers.xla_primitives``).
PRIMITIVES = tuple(register(spec) for spec in (
    OpSpec(name="exp", exact={(0,): _mp(mpmath.exp)},
           branch_points=_per_dtype(_primitive_branch_points),
           finite_domain=_per_dtype(_below_exp_overflow)),
    OpSpec(name="expm1", exact={(0,): _mp(mpmath.expm1)},
           branch_points=_per_dtype(_primitive_branch_points),
           finite_domain=_per_dtype(_below_exp_overflow)),
    OpSpec(name="log", exact={(0,): _mp(mpmath.log)},
           branch_points=_per_dtype(_primitive_branch_points),
           finite_domain={dt: (0.0, math.inf) for dt in DTYPES}),
    OpSpec(name="log1p", exact={(0,): _mp(mpmath.log1p)},
           branch_points=_per_dtype(_primitive_branch_points),
           finite_domain={dt: (-1.0, math.inf) for dt in DTYPES}),
    OpSpec(name="logistic", exact={(0,): mp.sigmoid},
           branch_points=_per_dtype(_softplus_branch_points)),
    OpSpec(name="tanh", exact={(0,): _mp(mpmath.tanh)},
           branch_points=_per_dtype(_primitive_branch_points)),
))

ORDER_NAMES = {0: "value", 1: "d1", 2: "d2"}
