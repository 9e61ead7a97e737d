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
    register(OpSpec(name="log1mexp", exact={(0,): f},
                    branch_points={"float32": (...), "float64": (...)}),
             budgets={(0, "float32"): 1, ...})

Derivatives are named by multi-index: ``(k,)`` is the k-th derivative of a
unary op; ``(i, j)`` is :math:`\\partial_x^i \\partial_y^j f` of a binary one.
The value is enough: every derivative up to ``max_order`` (2) that an op does
not declare is derived from it (:mod:`reference.derivatives`); one it declares
is cross-checked against the derived one. ``max_order=0`` makes a value-only op
(the XLA primitives audited by :mod:`properties.peers.xla_primitives`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Callable, Mapping

import mpmath
import numpy as np

from reference import ExactPlus, derivatives
from reference import functions as mp

DTYPES = ("float32", "float64")


def _indices(arity: int, max_order: int) -> tuple[tuple[int, ...], ...]:
    """Every multi-index of order at most ``max_order``: value first, then by order,
    ``x`` before ``y`` (``(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)``)."""
    if arity == 1:
        return tuple((k,) for k in range(max_order + 1))
    return tuple((order - j, j) for order in range(max_order + 1) for j in range(order + 1))


@functools.lru_cache(maxsize=None)
def _with_conventions(fn: Callable, conventions: tuple) -> Callable:
    """``fn``, but the declared value at each convention point (inputs compared as floats)."""
    table = dict(conventions)

    def reference_with_conventions(*args):
        key = tuple(float(a) for a in args)
        if (key if len(key) > 1 else key[0]) in table:
            return mpmath.mpf(table[key if len(key) > 1 else key[0]])
        return fn(*args)

    reference_with_conventions.__name__ = reference_with_conventions.__qualname__ = (
        f"{getattr(fn, '__name__', 'fn')}_with_conventions")
    reference_with_conventions.__module__ = getattr(fn, "__module__", None)
    return reference_with_conventions


@dataclasses.dataclass(frozen=True)
class OpSpec:
    """An elementwise op under test.

    - ``name``: the prefix of the target's rules (``<name>_vjp``, ``<name>_jvp``).
    - ``exact``: multi-index -> mpmath function of ``arity`` real arguments:
      ``(0,)``, ``(1,)``, ``(2,)`` for a unary op; ``(0, 0)``, ``(1, 0)``,
      ``(0, 1)``, ``(2, 0)``, ``(1, 1)``, ``(0, 2)`` for a binary one. The
      value, ``(0,)`` or ``(0, 0)``, is required and is enough: a derivative not
      given is derived from it (:func:`reference.derivatives.derivative`), with
      the same certainty. A derivative that is given is the reference, and the
      suite cross-checks it against the derived one, so that a mistake made the
      same way in a rule and in its hand-written reference is caught.
    - ``max_order``: the highest derivative order checked, 2 by default; 0 for a
      value-only op (the XLA primitives audited by
      :mod:`properties.peers.xla_primitives`).
    - ``conventions``: multi-index (or order) -> ``{input: value}``, the value a
      rule must return where that derivative does not exist (a pole, a kink):
      ``{1: {0.0: inf}}`` for log1mexp's d1 at ±0. For a binary op the inputs
      are pairs ``(x, y)``. Elsewhere a derived derivative that does not exist
      is an error, :class:`reference.NotDifferentiable` ("not differentiable at
      x=..."): the harness never invents a number. A convention at ``0.0`` is
      the promise at ``-0.0`` too (the same float; the one-sided limit from
      above and from below must then agree, or the op declares the side it
      means by its ``domain``).
    - ``domain``: optional, one closed interval ``(lo, hi)`` per argument where
      the function is real (``((0.0, inf),)`` for log1mexp, ``((0.0, 1.0),)`` for
      logit); empty for the whole line. Its finite edges, with the convention
      points, are the op's *limit points* (:meth:`limit_points`): a result there
      that is not the exact limit is a convention finding
      (:data:`properties.classify.CONVENTION`), listed after wrong values.
    - ``outside_domain``: what a derivative must be outside ``domain``:
      ``"nan"`` (the default: the reference, nan where a derivative does not
      exist, decides) or ``"unchecked"`` (derivatives there are not judged; the
      value still is).    - ``branch_points``: per dtype name, inputs where implementations switch
      formulas or where exp under/overflows; strategies generate them (both
      signs) and their neighbours often.
    - ``finite_domain``: optional, per dtype name, the open interval ``(lo, hi)``
      of inputs where the exact value and every derivative are finite in that
      dtype. Outside it the rule must agree with the reference (nan where
      undefined, ±inf at poles). Without it, "finite for finite inputs" asks
      for a finite result wherever the correctly rounded reference is finite;
      with it, inside the interval only (cheaper, and an override).
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
    max_order: int = dataclasses.field(default=2, repr=False)
    conventions: Mapping = dataclasses.field(default_factory=dict, repr=False)
    domain: tuple[tuple[float, float], ...] = dataclasses.field(default=(), repr=False)
    outside_domain: str = dataclasses.field(default="nan", repr=False)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"OpSpec.name must be a Python identifier, got {self.name!r}")
        if not isinstance(self.exact, Mapping) or not self.exact:
            raise ValueError(f"OpSpec {self.name!r}: exact must map multi-indices to mpmath "
                             f"functions, with at least the value ((0,) or (0, 0)); got {self.exact!r}")
        arities = {len(k) if isinstance(k, tuple) else None for k in self.exact}
        if len(arities) != 1 or arities.pop() not in (1, 2):
            raise ValueError(f"OpSpec {self.name!r}: exact must be keyed by multi-indices of "
                             f"one length, 1 or 2, got {list(self.exact)}")
        if (0,) * self.arity not in self.exact:
            raise ValueError(f"OpSpec {self.name!r}: exact needs the value, key {(0,) * self.arity} "
                             f"(derivatives are derived from it); got {list(self.exact)}")
        if self.max_order not in (0, 1, 2):
            raise ValueError(f"OpSpec {self.name!r}: max_order must be 0, 1 or 2, got {self.max_order!r}")
        if max(sum(k) for k in self.exact) > self.max_order:
            raise ValueError(f"OpSpec {self.name!r}: derivatives of order at most max_order="
                             f"{self.max_order}, got {list(self.exact)}")
        for index in self.conventions:
            if self._index(index) not in self.indices[1:]:
                raise ValueError(f"OpSpec {self.name!r}: conventions are keyed by derivative "
                                 f"multi-indices in {list(self.indices[1:])}, got {index!r}")
        if self.domain and (len(self.domain) != self.arity or not all(
                len(iv) == 2 and iv[0] <= iv[1] for iv in self.domain)):
            raise ValueError(f"OpSpec {self.name!r}: domain must be one interval (lo, hi), "
                             f"lo <= hi, per argument ({self.arity}), got {self.domain!r}")
        if self.outside_domain not in ("nan", "unchecked"):
            raise ValueError(f"OpSpec {self.name!r}: outside_domain must be 'nan' or "
                             f"'unchecked', got {self.outside_domain!r}")

    def _repr_pretty_(self, printer, cycle):
        """Hypothesis' pretty printer ignores ``repr=False``; keep failures readable."""
        printer.text(repr(self))

    @property
    def arity(self) -> int:
        """1 or 2: the length of the multi-indices of :attr:`exact`."""
        return len(next(iter(self.exact)))

    @property
    def orders(self) -> tuple[int, ...]:
        """The derivative orders checked, ``(0, 1, 2)`` by default, ``(0,)`` for a value-only op."""
        return tuple(range(self.max_order + 1))

    @property
    def indices(self) -> tuple[tuple[int, ...], ...]:
        """Every multi-index checked, declared or derived: ``(0,), (1,), (2,)`` for a unary op."""
        return _indices(self.arity, self.max_order)

    def _index(self, derivative) -> tuple[int, ...]:
        """As ``properties.evaluate.index_of`` (which this layer cannot import: it loads JAX)."""
        return (derivative,) if isinstance(derivative, (int, np.integer)) else tuple(derivative)

    def declared(self, derivative) -> Callable | None:
        """The hand-written reference of a derivative, or None where it is derived."""
        return self.exact.get(self._index(derivative))

    def derived(self, derivative) -> Callable:
        """The reference of a derivative derived from the value (the value itself for 0),
        with this op's conventions; a function like any other ``fn`` of :mod:`reference`."""
        index = self._index(derivative)
        self._check_index(index)
        value = self.exact[(0,) * self.arity]
        fn = value if not any(index) else derivatives.derivative(value, index)
        return self._conventional(fn, index)

    def reference(self, derivative) -> Callable:
        """The mpmath function of a derivative (a multi-index, or an order for a unary op):
        the declared one, else the one derived from the value (:meth:`derived`)."""
        index = self._index(derivative)
        self._check_index(index)
        declared = self.exact.get(index)
        return self._conventional(declared, index) if declared is not None else self.derived(index)

    def _check_index(self, index: tuple[int, ...]) -> None:
        if index not in self.indices:
            raise KeyError(f"op {self.name!r} checks no derivative {index}: it checks "
                           f"{list(self.indices)} (max_order={self.max_order})")

    def _conventional(self, fn: Callable, index: tuple[int, ...]) -> Callable:
        table = next((v for k, v in self.conventions.items() if self._index(k) == index), None)
        if not table:
            return fn
        return _with_conventions(fn, tuple(sorted(table.items(), key=repr)))

    def limit_points(self, derivative) -> tuple[tuple[float, ...], ...]:
        """Per argument, the finite points where ``derivative``'s result is a limit or a
        convention rather than a value: the finite edges of :attr:`domain` and, for a
        unary op, the points of its conventions for that derivative (±inf are limit
        points of every op; :func:`properties.classify.classify` adds them)."""
        index = self._index(derivative)
        points = [[e for e in iv if math.isfinite(e)] for iv in self.domain] or [[]] * self.arity
        table = next((v for k, v in self.conventions.items() if self._index(k) == index), {})
        if self.arity == 1:
            points[0] = points[0] + [float(p) for p in table]
        return tuple(tuple(sorted(set(p))) for p in points)

    def checked_inputs(self, derivative, *args) -> np.ndarray:
        """Mask of the inputs where ``derivative`` is judged: everywhere, except outside
        :attr:`domain` for a derivative of an op whose ``outside_domain`` is ``"unchecked"``."""
        index = self._index(derivative)
        arrays = np.broadcast_arrays(*(np.asarray(a) for a in args))
        keep = np.ones(arrays[0].shape, bool).reshape(-1)
        if self.outside_domain == "unchecked" and any(index) and self.domain:
            for a, (lo, hi) in zip(arrays, self.domain):
                a = a.reshape(-1)
                keep &= np.isnan(a) | ((a >= lo) & (a <= hi))
        return keep

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


#: Every finite input: the value and every derivative of softplus, sigmoid, log_sigmoid
#: and logaddexp are finite there (the values grow at most like max(x, y) + log 2, which
#: rounds to max at the top; the derivatives are bounded). Declared as the speed-up the
#: finite-results property allows, instead of asking the reference at 8k-25k inputs.
_EVERY_FINITE_INPUT = {dt: (-math.inf, math.inf) for dt in DTYPES}


def _below_exp_overflow(dtype: str) -> tuple[float, float]:
    return (-math.inf, math.log(float(np.finfo(dtype).max)))


# --- the built-in ops --------------------------------------------------------

SOFTPLUS = register(OpSpec(
    name="softplus",
    exact=mp.SOFTPLUS_PARTIALS,
    branch_points=_per_dtype(_softplus_branch_points),
    finite_domain=_EVERY_FINITE_INPUT,
))

SIGMOID = register(OpSpec(
    name="sigmoid",
    exact=mp.SIGMOID_PARTIALS,
    branch_points=_per_dtype(_softplus_branch_points),
    finite_domain=_EVERY_FINITE_INPUT,
))

LOG_SIGMOID = register(OpSpec(
    name="log_sigmoid",
    exact=mp.LOG_SIGMOID_PARTIALS,
    branch_points=_per_dtype(_log_sigmoid_branch_points),
    finite_domain=_EVERY_FINITE_INPUT,
))

#: Binary: :math:`\log(e^x + e^y)`. Each argument reaches softplus' points
#: (``logaddexp(x, y) = max(x, y) + softplus(-|x - y|)``); the strategies add
#: equal, negated and nearly equal pairs and every pair of infinities.
LOGADDEXP = register(OpSpec(
    name="logaddexp",
    exact=mp.LOGADDEXP_PARTIALS,
    branch_points=_per_dtype(_softplus_branch_points),
    finite_domain=_EVERY_FINITE_INPUT,
    # e^x + e^y = 1: y = log(1 - e^x) for x < 0; the value cancels near it.
    zero_curve=(-math.inf, 0.0, lambda x: np.log(-np.expm1(x))),
))


def _tanh(x):
    """tanh, with its value near ±1 as ``±1 ∓ 2/(e^(2|x|) + 1)`` (:class:`reference.ExactPlus`):
    at x = 1536 it is below 1 by ~e^-3072, which no working precision up to the cap
    resolves, yet its ulp depends on the side of 1."""
    x = mpmath.mpmathify(x)
    if mpmath.isnan(x):
        return mpmath.mpf("nan")
    if abs(x) <= 1:
        return mpmath.tanh(x)
    sign = 1 if x > 0 else -1
    if mpmath.isinf(x):
        return mpmath.mpf(sign)
    return ExactPlus(sign, -sign * 2 / (mpmath.exp(2 * abs(x)) + 1))


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
    OpSpec(name="exp", max_order=0, exact={(0,): _mp(mpmath.exp)},
           branch_points=_per_dtype(_primitive_branch_points),
           finite_domain=_per_dtype(_below_exp_overflow)),
    OpSpec(name="expm1", max_order=0, exact={(0,): _mp(mpmath.expm1)},
           branch_points=_per_dtype(_primitive_branch_points),
           finite_domain=_per_dtype(_below_exp_overflow)),
    OpSpec(name="log", max_order=0, exact={(0,): _mp(mpmath.log)},
           branch_points=_per_dtype(_primitive_branch_points),
           finite_domain={dt: (0.0, math.inf) for dt in DTYPES}),
    OpSpec(name="log1p", max_order=0, exact={(0,): _mp(mpmath.log1p)},
           branch_points=_per_dtype(_primitive_branch_points),
           finite_domain={dt: (-1.0, math.inf) for dt in DTYPES}),
    OpSpec(name="logistic", max_order=0, exact={(0,): mp.sigmoid},
           branch_points=_per_dtype(_softplus_branch_points)),
    OpSpec(name="tanh", max_order=0, exact={(0,): _tanh},
           branch_points=_per_dtype(_primitive_branch_points)),
))

ORDER_NAMES = {0: "value", 1: "d1", 2: "d2"}
