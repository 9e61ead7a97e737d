r"""Derivatives derived from a function's value, with the certainty of the value.

``derivative(fn, index)`` turns an mpmath function into the mpmath function of
one of its derivatives: ``derivative(f, 1)`` is :math:`f'`, ``derivative(f, 2)``
is :math:`f''`, and for a function of two arguments ``derivative(f, (i, j))``
is :math:`\partial_x^i \partial_y^j f` (``i + j <= 2``).  The result is an
ordinary ``fn`` for :func:`reference.correctly_rounded` and
:func:`reference.ulp_error`, so the harness needs only the value of an op, and
a derivative written by hand can be checked against one that is not.

How it is computed
------------------
At working precision :math:`w`, with the step :math:`h = 2^{-k} s`,
:math:`k = \lceil w/2 \rceil + 8` and :math:`s` the power of two at or above
:math:`|x|` for :math:`|x| < 1`, else 1, the central differences

.. math::  f'(x) \approx \frac{f(x + h) - f(x - h)}{2h}, \qquad
           f''(x) \approx \frac{f(x + h) - 2 f(x) + f(x - h)}{h^2}

(and :math:`\partial_x\partial_y f \approx [f(x{+}h, y{+}g) - f(x{+}h, y{-}g)
- f(x{-}h, y{+}g) + f(x{-}h, y{-}g)] / 4hg`) are evaluated with ``fn`` at
:math:`w + nk + 32 + \max(\log_2|x|, 0)` bits, :math:`n` the order.  The
points :math:`x \pm jh` are exact at that precision, and the last term also
pays for the cancellation of a slowly varying value (:math:`\log x` at
:math:`x = 2^{1000}` changes by :math:`2^{-1000} h`).  The truncation error is :math:`O(h^2)`, about
:math:`2^{-w}` relative to the natural scale :math:`|f|/s^n`, and the rounding
error :math:`2^{-(w + 32)}` of that scale: both shrink by :math:`2^{\Delta w}`
when the caller's precision grows by :math:`\Delta w`.  So the derived function
meets the assumption of :mod:`reference.rounding`'s verification across
precisions whenever ``fn`` does and ``f`` is smooth around ``x``, and the
engine rounds it with the same certainty as a value: it goes on raising the
precision until two successive estimates agree.  Each estimate also states the
rounding error of its stencil (a :class:`~reference.rounding.WithErrorBound`:
the sum of the stencil's absolute terms times :math:`2^{s - W}`), so two
estimates that agree only because both are coarse (both exactly
:math:`2^{-106}` at 174 and 222 bits, for a derivative
:math:`2^{-106}(1 + 2^{-49})`) are not taken as certain.  A derivative much smaller
than :math:`|f|/s^n` (softplus'' at 700 is :math:`e^{-700}`) takes more
precision, which the engine adds by itself.  Below 1 the step is relative to
:math:`|x|` and never crosses 0, so functions singular there (``log``) are
differentiated down to the smallest subnormal; above 1 it is absolute, so
:math:`e^{-x}` at :math:`x = 10^{300}` is as smooth to it as at 1.

Where there is no derivative, none is invented
----------------------------------------------
* ``nan`` input, or ``f(x)`` undefined (nan): the derivative is ``nan``.
* ``f(x)`` infinite (a pole, ``log(0)``), ``f`` not finite at a point of the
  stencil, or a kink: :class:`NotDifferentiable`, naming ``fn``, the order and
  the input.  A kink is found by one-sided second-order estimates (from
  :math:`x, x + h, x + 2h`, and mirrored; for :math:`f''` the same from four
  points), which must agree to :math:`2^{-k/2}` of the natural scale: at
  :math:`|x|`'s 0 they are :math:`-1` and :math:`1`.  A mixed partial is
  assumed to exist where both first partials do (its stencil is not checked).
* Removable singularities are differentiated like any point, provided ``fn``
  is defined there (``mpmath.sinc`` at 0 is; ``sin(x) / x`` raises).
* At an infinite argument the derivative is the limit, taken at
  :math:`\pm 2^{L}`, :math:`L = 1088 + \lfloor w/4 \rfloor`, beyond every float64: the engine
  accepts it once successive precisions (hence successive :math:`L`) agree, so
  a derivative that converges slowly (:math:`1/\log x`) is refused by the
  precision cap rather than guessed.  Equal infinities of a binary function
  are the limit along the diagonal, as in :func:`reference.functions.logaddexp`.

Cost: 5 (first order) to 8 (second order, mixed) evaluations of ``fn`` at
about :math:`1.5w` to :math:`2w` bits per estimate, and the engine makes two
estimates at least: about 0.3 to 1 ms a point for elementary functions, more
where the derivative is tiny against the value.  Derived functions are cached
per ``(fn, index)``, and their values like any other's.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Sequence

import mpmath

from reference import _validation
from reference.rounding import ERROR_SLACK_BITS, ExactPlus, NotDifferentiable, WithErrorBound, as_mpf

__all__ = ["derivative", "NotDifferentiable", "normalize_index"]

STEP_GUARD_BITS = 8
"""``k = ceil(w / 2) + STEP_GUARD_BITS``: the step is ``2**-k`` of the argument's scale."""

ROUNDING_GUARD_BITS = 32
"""Bits beyond ``w + n k`` at which ``fn`` is evaluated on the stencil."""

LIMIT_BASE_EXPONENT = 1088
"""Limits at ±inf are taken at ±2**(LIMIT_BASE_EXPONENT + w // 4)."""


def normalize_index(index) -> tuple[int, ...]:
    """``2 -> (2,)``; ``(1, 1) -> (1, 1)``; refuses orders above 2 or negative entries."""
    if isinstance(index, bool):
        raise TypeError(f"derivative index must be an int or a tuple of ints, got {index!r}")
    normalized = (index,) if isinstance(index, int) else tuple(index)
    if (len(normalized) not in (1, 2) or any(not isinstance(i, int) or isinstance(i, bool) or i < 0
                                               for i in normalized) or not 1 <= sum(normalized) <= 2):
        raise ValueError(f"derivative index must be an order 1 or 2 (unary) or a multi-index "
                         f"(i, j) with 1 <= i + j <= 2 (binary), got {index!r}")
    return normalized


@functools.lru_cache(maxsize=None)
def derivative(fn: Callable, index) -> Callable:
    """The mpmath function of ``fn``'s derivative ``index`` (see the module docstring).

    - ``fn``: an mpmath function of one or two real arguments (as for
      :func:`reference.correctly_rounded`); its arity is the length of ``index``.
    - ``index``: ``1`` or ``2`` (or ``(1,)``, ``(2,)``) for a unary ``fn``; a
      multi-index ``(i, j)``, ``1 <= i + j <= 2``, for a binary one.

    The same ``(fn, index)`` gives the same function object, so values cache.

    >>> import mpmath, numpy as np, reference
    >>> d2 = derivative(mpmath.exp, 2)
    >>> float(reference.correctly_rounded(d2, np.float64(1.0))) == float(np.exp(1.0))
    True
    >>> float(reference.correctly_rounded(derivative(mpmath.sinc, 1), np.float32(0.0)))
    0.0
    """
    _validation.check_callable(fn)
    index = normalize_index(index)

    def derived(*args):
        if len(args) != len(index):
            raise TypeError(f"{derived.__qualname__} takes {len(index)} argument(s), got {len(args)}")
        return _derivative_at(fn, index, [mpmath.mpmathify(a) for a in args])

    order_name = "".join("xy"[axis] * i for axis, i in enumerate(index)) if len(index) == 2 else f"d{index[0]}"
    base = getattr(fn, "__name__", "fn")
    derived.__name__ = derived.__qualname__ = f"{base}_{order_name}_derived"
    derived.__module__ = getattr(fn, "__module__", None) or __name__
    derived.__doc__ = f"Derivative {index} of {_validation.describe_callable(fn)}, derived from its value."
    derived.of, derived.index = fn, index
    return derived


@dataclasses.dataclass(frozen=True)
class _Point:
    """``fn`` at one point of a stencil: ``head`` (exact) plus ``tail`` (at the working precision).

    A plain mpf result is all tail.  An :class:`~reference.rounding.ExactPlus`
    keeps its exact head apart, so a stencil differences the heads exactly and
    only the tails round: softplus at :math:`x = 10^{10}` is :math:`x + e^{-x}`,
    and its second difference is the tails' alone.
    """

    head: mpmath.mpf
    tail: mpmath.mpf

    @property
    def value(self) -> mpmath.mpf:
        return self.head + self.tail


def _value(fn: Callable, args: Sequence[mpmath.mpf]) -> _Point:
    result = fn(*args)
    if isinstance(result, mpmath.mpc):
        result = result.real if result.imag == 0 else mpmath.nan
    if isinstance(result, bool) or not isinstance(result, (mpmath.mpf, int, float)):
        raise TypeError(f"fn={_validation.describe_callable(fn)} must return an mpmath mpf, "
                        f"got {_validation.describe(result)}")
    if isinstance(result, ExactPlus):
        return _Point(result.head, result.tail)
    return _Point(mpmath.mpf(0), as_mpf(result))


def _combination(coefficients: Sequence[int], points: Sequence[_Point]) -> tuple[mpmath.mpf, mpmath.mpf]:
    """``(sum c_j f_j, sum |c_j tail_j|)``: heads summed exactly, tails at the working precision."""
    heads = mpmath.mpf(0)
    for c, p in zip(coefficients, points):
        if c and p.head:
            heads = mpmath.fadd(heads, mpmath.fmul(c, p.head, exact=True), exact=True)
    tails = mpmath.fsum(c * p.tail for c, p in zip(coefficients, points))
    weight = mpmath.fsum(abs(c * p.tail) for c, p in zip(coefficients, points))
    return heads + tails, weight


def _where(fn, index, args) -> str:
    point = ", ".join(mpmath.nstr(a, 17) for a in args)
    return f"derivative {index} of fn={_validation.describe_callable(fn)} at ({point})"


def _derivative_at(fn: Callable, index: tuple[int, ...], args: list[mpmath.mpf]) -> mpmath.mpf:
    if any(mpmath.isnan(a) for a in args):
        return mpmath.nan
    w = mpmath.mp.prec
    if any(mpmath.isinf(a) for a in args):
        limit = mpmath.ldexp(1, LIMIT_BASE_EXPONENT + w // 4)
        args = [(limit if a > 0 else -limit) if mpmath.isinf(a) else a for a in args]
    k = -(-w // 2) + STEP_GUARD_BITS
    order = sum(index)
    with mpmath.workprec(w + order * k + ROUNDING_GUARD_BITS + _integer_bits(args)):
        center = _value(fn, args)
        value = center.value
        if mpmath.isnan(value):
            return mpmath.nan
        if mpmath.isinf(value):
            raise NotDifferentiable(f"{_where(fn, index, args)}: the value there is {value}, "
                                    f"so there is no derivative; declare the convention")
        steps = [_step(a, k) for a in args]
        if index == (1, 1):
            estimate = _mixed(fn, args, steps, index)
        else:
            axis = 0 if len(index) == 1 or index[0] else 1
            estimate = _along(fn, args, axis, steps[axis], index[axis], center, k, index)
    return WithErrorBound(estimate, estimate.radius)  # at the caller's precision


def _scale_exponent(a: mpmath.mpf) -> int:
    """``e`` with ``2**e`` the scale of a step at ``a``: ``|a|``'s power of two below 1, else 1."""
    return min(int(mpmath.mag(a)), 0) if a else 0


def _step(a: mpmath.mpf, k: int) -> mpmath.mpf:
    """``2**-k`` times the scale at ``a`` (see :func:`_scale_exponent`)."""
    return mpmath.ldexp(1, _scale_exponent(a) - k)


def _integer_bits(args) -> int:
    """Bits above the unit of the largest finite argument: ``x + j h`` must hold them too."""
    return max((max(int(mpmath.mag(a)), 0) for a in args if a), default=0)


# One-sided, second-order accurate stencils on x, x + h, x + 2h (x + 3h), and the
# central ones; keys are the offsets j of x + j h.
_RIGHT_1 = {0: -3, 1: 4, 2: -1}          # / 2h
_RIGHT_2 = {0: 2, 1: -5, 2: 4, 3: -1}    # / h^2
_CENTRAL_1 = {1: 1, -1: -1}              # / 2h
_CENTRAL_2 = {1: 1, 0: -2, -1: 1}        # / h^2


def _apply(stencil: dict, points: dict, mirrored: bool = False) -> tuple[mpmath.mpf, mpmath.mpf]:
    offsets = [(-j if mirrored else j) for j in stencil]
    return _combination(list(stencil.values()), [points[j] for j in offsets])


def _along(fn, args, axis, h, n, center, k, index):
    """The ``n``-th derivative along ``axis``, after checking one-sided estimates agree."""
    reach = 2 if n == 1 else 3
    points = {0: center}
    for j in range(-reach, reach + 1):
        if j:
            shifted = list(args)
            shifted[axis] = args[axis] + j * h  # exact: the precision holds every bit
            points[j] = _value(fn, shifted)
            if not mpmath.isfinite(points[j].value):
                raise NotDifferentiable(f"{_where(fn, index, args)}: the value is {points[j].value} "
                                        f"at a point {mpmath.nstr(j * h, 5)} away, so the function is "
                                        f"not differentiable there; declare the convention")
    unit = _step(args[axis], 0)  # the step's scale s: the natural size of f^(n) is |tail| / s^n
    size = abs(center.tail)  # an exact head is differenced exactly: only the tail rounds
    right1, _ = _apply(_RIGHT_1, points)
    left1, _ = _apply(_RIGHT_1, points, mirrored=True)
    right1, left1 = right1 / (2 * h), -left1 / (2 * h)
    _check_sides(right1, left1, size / unit, k, fn, index, args, order=1)
    if n == 1:
        estimate, weight = _apply(_CENTRAL_1, points)
        return _bounded(estimate / (2 * h), weight / (2 * h))
    right2, _ = _apply(_RIGHT_2, points)
    left2, _ = _apply(_RIGHT_2, points, mirrored=True)
    right2, left2 = right2 / (h * h), left2 / (h * h)
    _check_sides(right2, left2, size / unit**2 + abs(right1) / unit, k, fn, index, args, order=2)
    estimate, weight = _apply(_CENTRAL_2, points)
    return _bounded(estimate / (h * h), weight / (h * h))


def _bounded(estimate, weight) -> WithErrorBound:
    """``estimate`` with the rounding error of its stencil: each tail of ``fn`` is taken
    accurate to ``2**(ERROR_SLACK_BITS - W)`` of itself (heads are exact), so the sum is
    off by at most that much of ``weight``, the stencil's sum of absolute tail terms."""
    return WithErrorBound(estimate, mpmath.ldexp(weight, ERROR_SLACK_BITS - mpmath.mp.prec))


def _check_sides(right, left, scale, k, fn, index, args, *, order):
    tolerance = mpmath.ldexp(abs(right) + abs(left) + scale, -(k // 2))
    if abs(right - left) > tolerance:
        raise NotDifferentiable(
            f"{_where(fn, index, args)}: not differentiable there (the one-sided "
            f"{'first' if order == 1 else 'second'} derivatives are about "
            f"{mpmath.nstr(left, 6)} from the left and {mpmath.nstr(right, 6)} from the right); "
            f"declare the convention")


def _mixed(fn, args, steps, index):
    """:math:`\\partial_x \\partial_y f` by the four-point central stencil."""
    h, g = steps
    x, y = args
    corners = []
    for dx, dy in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        point = _value(fn, [x + dx * h, y + dy * g])
        if not mpmath.isfinite(point.value):
            raise NotDifferentiable(f"{_where(fn, index, args)}: the value is {point.value} near "
                                    f"there; declare the convention")
        corners.append(point)
    estimate, weight = _combination([1, -1, -1, 1], corners)
    return _bounded(estimate / (4 * h * g), weight / (4 * h * g))
