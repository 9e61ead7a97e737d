r"""The rounding engine: certain, correctly rounded float16/bfloat16/float32/float64 values of mpmath functions.

``correctly_rounded(fn, *args)`` evaluates ``fn`` at the exact binary values of
``args`` and rounds the result to nearest, ties to even, into float16 (IEEE
binary16), bfloat16 (``ml_dtypes.bfloat16``: 8 significand bits, float32's
exponent range), float32 or float64 with full IEEE 754 semantics (subnormals,
signed zeros, overflow).  Every format is rounded into directly from the
enclosure of the exact value, never through a wider format: rounding a
rounded float32 to bfloat16 double-rounds (``1 + 2**-8 + 2**-30`` is
``1 + 2**-7`` in bfloat16, but float32 makes it the tie ``1 + 2**-8``, which
then goes to the even ``1``).  A
value is returned only when its rounding is certain; otherwise an error names
``fn``, the input and how far the engine got.

How the rounding is made certain
--------------------------------
Each value comes with an *enclosure*, an interval of exact binary numbers that
holds the exact result.  When both ends of the enclosure round to the same
target value, every value inside does too (rounding is monotone), and that
value is returned.  Otherwise the working precision ``w`` is raised (Ziv's
strategy): ``p + g``, ``p + 2g``, ``p + 4g``, ... with ``p`` the target
precision (11, 8, 24 or 53) and ``g`` = :data:`GUARD_BITS`, up to
:data:`MAX_WORKING_PRECISION` bits, past which :class:`PrecisionCapExceeded`
is raised.  The enclosure comes from one of two sources.

1. **Rigorous balls** (no assumption).  A function that carries ``fn.arb``, the
   same formula written for python-flint's ``arb`` type (Arb's ball arithmetic,
   whose enclosures are proven), is evaluated through it at every finite input.
   All of :mod:`reference.functions` does; such a value costs a few
   microseconds.  Infinite and nan inputs go to ``fn`` itself.

2. **Verification across precisions** (one stated assumption), for any plain
   mpmath function.  ``fn`` is evaluated at two successive working precisions
   :math:`w' < w`, giving :math:`y'` and :math:`y`, and the enclosure of the
   exact value :math:`f` is

   .. math::  |y - f| \le \max\left(|y - y'|,\; 2^{s - w} |y|\right),
              \quad s = \texttt{ERROR\_SLACK\_BITS}.

   **Assumption:** *from one precision of the ladder to the next, the error of
   fn at least halves, or is already within* :math:`2^{s-w}|y|`.  Under it the
   bound holds: :math:`|y' - f| \le |y - y'| + |y - f| \le |y - y'| + |y' - f|/2`
   gives :math:`|y' - f| \le 2|y - y'|`, hence :math:`|y - f| \le |y - y'|`.
   The error of a cancelling formula shrinks with the working precision like
   that of any other, so cancellation is *detected*, not trusted away:
   ``log(1 + exp(x))`` at ``x = -40`` agrees with itself to 27 bits at 85 and
   117 bits, and the engine goes on to 181 bits, where it is right.  The
   assumption fails for a function that computes in fixed precision (Python
   floats, ``math``, numpy): its error does not shrink with ``w``.  Such
   results cannot be bounded, so a Python ``float`` result other than
   ``±0.0``, ``±inf`` and ``nan`` is refused with a TypeError.  It also fails
   for a sum that is exactly zero at two precisions although its terms do not
   cancel exactly (``log(1 + exp(-100))`` is 0 at 85 and 117 bits): a zero
   therefore gets no enclosure and must be confirmed as exact (below).  Every
   value costs two evaluations at least.

Near a power of two or a rounding boundary.  :math:`\sigma(10^{19}) = 1 - e^{-10^{19}}`
is 1 at any working precision, so no enclosure tells on which side of 1 it
lies, which decides its ulp (:func:`reference.ulp_error`).  ``fn`` can say it:
it returns :class:`ExactPlus` ``(head, tail)``, an exact head and a tail accurate
relative to itself, and the engine sums them exactly (an ``arb`` twin returns
the pair ``(head, tail)``).  The enclosure's error is then the tail's.

Exact results.  An enclosure never decides a value that lies *exactly* on a
rounding boundary (a tie such as ``x + y`` landing halfway between two float32
values) or an exact zero.  Such a result is accepted as exact when ``fn``
returns the identical value at two successive precisions, the higher one at
least :data:`EXACT_CONFIRMATION_PRECISION` (8192) bits (an ``arb`` ball of
radius 0 is exact at once); it is then rounded exactly (a tie goes to the even
neighbour).  The threshold is high on purpose: sums of float64 inputs can sit
within ``2**-1900`` of a tie without being one (``max + ulp(max)/2 - 2**-900``
is identical at 85, 117 and 181 bits, yet rounds to ``max``, not ``inf``), and
hardest-to-round transcendental cases sit within about ``2**-(2p + 10)``.
Exact zeros and ties therefore cost about nine evaluations, up to 8245 bits.
A Python ``int`` result is exact by construction and rounded at once.

Signed zeros.  mpmath has no negative zero, so the sign of a zero result is
decided this way:

* a nonzero result that rounds to zero keeps its sign (``-1e-400`` -> ``-0.0``);
* a Python float ``-0.0`` returned by ``fn`` gives ``-0.0``;
* an exact zero result is ``+0.0``, unless some input is a zero: then ``fn`` is
  probed with each zero input replaced by ``±2**ZERO_PROBE_EXPONENT`` (the sign
  of that zero) and the zero takes the sign of the probe's result.  This is the
  one-sided limit that IEEE signed zeros encode: ``x -> x``, ``sin``,
  ``expm1``, ``log1p`` and ``tanh`` map ``-0.0`` to ``-0.0``; ``x * x`` and
  ``-0.0 + 0.0`` give ``+0.0``.

Inputs ``±inf`` and ``nan`` reach ``fn`` as ``mpf('±inf')`` and ``mpf('nan')``;
``fn`` decides what they give.  A result that is ``nan``, or complex with a
nonzero imaginary part (``mpmath.log(-1)``), gives ``nan``.  An infinite result
gives the infinity of its sign.

Cost and caching.  A value of :mod:`reference.functions` costs a few
microseconds (its Arb twin), a plain mpmath function two evaluations or more.
Values are cached per ``(fn, target dtype, input bit patterns)`` in an LRU
cache of :data:`CACHE_SIZE` entries (hashable ``fn`` only); :func:`clear_cache`
empties it.  The cache holds a reference to each ``fn`` it has seen.  Like
mpmath itself, this module is not thread-safe: the working precision is
mpmath's (and flint's) global context, changed only for the duration of a call.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import struct
from typing import Callable, Optional

import flint
import mpmath
import numpy as np

from reference import _validation

__all__ = [
    "FloatFormat",
    "float_format",
    "correctly_rounded",
    "clear_cache",
    "PrecisionCapExceeded",
    "EvaluationError",
    "NotDifferentiable",
    "ExactPlus",
    "GUARD_BITS",
    "ERROR_SLACK_BITS",
    "MAX_WORKING_PRECISION",
    "EXACT_CONFIRMATION_PRECISION",
]

GUARD_BITS = 32
"""Bits beyond the target precision at the first evaluation; doubled on each retry."""

ERROR_SLACK_BITS = 8
"""The floor of an enclosure: ``2**ERROR_SLACK_BITS`` ulps of the working precision."""

MAX_WORKING_PRECISION = 20_000
"""Working precision (bits) beyond which :class:`PrecisionCapExceeded` is raised.

High enough for one step past :data:`EXACT_CONFIRMATION_PRECISION` (16437 bits for
float64): a derived derivative just below a power of two (softplus'' at the smallest
subnormal is ``1/4 - 2**-2152``) is decided only there, once the estimate at 8245
bits bounds the one at 16437."""

ZERO_PROBE_EXPONENT = -100_000
"""A zero input is probed at ``±2**ZERO_PROBE_EXPONENT`` to decide the sign of an exact zero result."""

EXACT_CONFIRMATION_PRECISION = 8192
"""A value identical at two successive precisions, the higher at least this many bits, is taken as exact."""

CACHE_SIZE = 1 << 17


# --- Formats -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FloatFormat:
    """An IEEE 754 binary format: ``precision`` significand bits (hidden bit
    included) and normal exponents ``emin..emax``.

    A finite value of the format is ``n * 2**q`` with integer ``|n| < 2**precision``
    and ``q >= emin - precision + 1``, below ``2**(emax + 1)``.

    >>> f = float_format("float32")
    >>> f.precision, f.emin, f.emax
    (24, -126, 127)
    >>> f.smallest_subnormal == 2.0**-149
    True
    """

    name: str
    precision: int
    emin: int
    emax: int

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.name)

    @property
    def smallest_subnormal(self) -> float:
        """``2**(emin - precision + 1)``: the ulp of every value below ``smallest_normal``."""
        return math.ldexp(1.0, self.emin - self.precision + 1)

    @property
    def smallest_normal(self) -> float:
        return math.ldexp(1.0, self.emin)

    @property
    def max(self) -> float:
        """The largest finite value, ``(2 - 2**(1 - precision)) * 2**emax``."""
        return math.ldexp(2.0 ** self.precision - 1.0, self.emax - self.precision + 1)

    def ulp_exponent(self, exponent: int) -> int:
        """Exponent of the ulp of values in ``[2**exponent, 2**(exponent + 1))``.

        Below the normal range every value has the smallest subnormal as ulp;
        above the finite range the ulp of the largest binade is used.
        """
        clamped = min(max(exponent, self.emin), self.emax)
        return clamped - self.precision + 1


FORMATS = {
    "float16": FloatFormat("float16", precision=11, emin=-14, emax=15),  # IEEE binary16
    "bfloat16": FloatFormat("bfloat16", precision=8, emin=-126, emax=127),  # ml_dtypes.bfloat16
    "float32": FloatFormat("float32", precision=24, emin=-126, emax=127),
    "float64": FloatFormat("float64", precision=53, emin=-1022, emax=1023),
}


def float_format(dtype: object) -> FloatFormat:
    """The :class:`FloatFormat` of ``dtype`` (float16, bfloat16, float32 or float64, any spelling numpy accepts).

    >>> f = float_format("bfloat16")
    >>> f.precision, f.emin, f.emax, f.max == 2.0**128 - 2.0**120
    (8, -126, 127, True)
    """
    return FORMATS[_validation.resolve_dtype(dtype).name]


# --- Errors ------------------------------------------------------------------


class PrecisionCapExceeded(ArithmeticError):
    """The rounding of ``fn`` at an input was still uncertain at ``MAX_WORKING_PRECISION`` bits."""


class EvaluationError(RuntimeError):
    """``fn`` raised while being evaluated; the original exception is the ``__cause__``."""


class NotDifferentiable(ArithmeticError):
    """A derived derivative does not exist at the input (a pole, a kink, a non-finite
    neighbour, see :mod:`reference.derivatives`): a rule's value there is a convention
    to declare.  Raised as it is, not wrapped in :class:`EvaluationError`."""


# --- Exact rounding of a dyadic value -----------------------------------------


def round_magnitude(mantissa: int, exponent: int, fmt: FloatFormat) -> float:
    """Round ``mantissa * 2**exponent`` (``mantissa >= 0``) to nearest-even in ``fmt``.

    Exact integer arithmetic, directly at the format's precision and exponent
    range, so there is no double rounding: a result in the subnormal range is
    rounded once, at the quantum ``fmt.smallest_subnormal``.  Values at or
    above ``max + ulp(max)/2`` give ``inf`` (the tie goes to the even neighbour
    ``2**(emax + 1)``, which does not exist).  Returns a Python float holding
    the exact rounded value (every float32 value is a float64 value).

    >>> fmt = float_format("float32")
    >>> round_magnitude(3, -151, fmt) == 2.0**-149   # 0.75 of the smallest subnormal
    True
    >>> round_magnitude(1, -150, fmt)                # exactly half of it: ties to even, 0
    0.0
    """
    if mantissa == 0:
        return 0.0
    top = exponent + mantissa.bit_length() - 1  # value in [2**top, 2**(top+1))
    if top > fmt.emax:
        return math.inf
    quantum = max(top, fmt.emin) - fmt.precision + 1
    if top < quantum - 1:  # below half the quantum (also avoids huge shifts)
        return 0.0
    if exponent >= quantum:
        units = mantissa << (exponent - quantum)
    else:
        shift = quantum - exponent
        units = mantissa >> shift
        remainder = mantissa & ((1 << shift) - 1)
        half = 1 << (shift - 1)
        if remainder > half or (remainder == half and units & 1):
            units += 1
    if quantum + units.bit_length() - 1 > fmt.emax:
        return math.inf
    return math.ldexp(units, quantum)


def round_mpf(value: mpmath.mpf, fmt: FloatFormat) -> float:
    """Round a finite or infinite mpf exactly (taking it as exact) into ``fmt``; nan gives nan."""
    sign, mantissa, exponent, _ = value._mpf_
    if not mantissa:
        return _special_value(value)
    rounded = round_magnitude(int(mantissa), exponent, fmt)
    return -rounded if sign else rounded


def _special_value(value: mpmath.mpf) -> float:
    """mpf zero/inf/nan as a Python float (mpmath zero has no sign: ``+0.0``)."""
    if mpmath.isnan(value):
        return math.nan
    if mpmath.isinf(value):
        return math.inf if value > 0 else -math.inf
    return 0.0


# --- Evaluating fn -------------------------------------------------------------


class ExactPlus(mpmath.mpf):
    r"""An mpf ``head + tail`` that also keeps its two parts, so that no digit is lost.

    ``head`` is exact (an input, an integer, a dyadic constant: it carries no
    error) and ``tail`` is computed at the working precision, accurate relative
    to itself.  As a number it is ``head + tail`` rounded to the working
    precision, so it computes like any mpf (the results are plain mpfs).  As the
    result of ``fn`` it lets the engine form the sum exactly, and so tell on
    which side of ``head`` the value lies however small ``tail`` is:
    :math:`\sigma(10^{19}) = 1 - e^{-10^{19}}` is ``ExactPlus(1, -sigmoid(-x))``,
    below 1 by far less than any working precision resolves, and its ulp in
    float32 is :math:`2^{-24}`, not :math:`2^{-23}`.  Returned as a plain mpf
    ``1``, :func:`reference.ulp_error` could only raise :class:`PrecisionCapExceeded`.

    ``+v`` and ``-v`` keep the parts (the tail unrounded: it may carry extra
    bits against a cancelling sum); other arithmetic gives plain mpfs.

    >>> import mpmath
    >>> v = ExactPlus(1, -mpmath.exp(-mpmath.mpf(10)**19))
    >>> v == 1, v.head, v.tail < 0
    (True, mpf('1.0'), True)
    """

    def __new__(cls, head, tail):
        head, tail = mpmath.mpmathify(head), mpmath.mpmathify(tail)
        if not (isinstance(head, mpmath.mpf) and mpmath.isfinite(head)):
            raise TypeError(f"ExactPlus head must be a finite real number, got {head!r}")
        if not isinstance(tail, mpmath.mpf):
            raise TypeError(f"ExactPlus tail must be a real number, got {tail!r}")
        self = mpmath.mpf.__new__(cls, head + tail)
        self.head, self.tail = head, tail
        return self

    def __pos__(self) -> "ExactPlus":
        return ExactPlus(self.head, self.tail)

    def __neg__(self) -> "ExactPlus":
        return ExactPlus(-self.head, -self.tail)

    def __repr__(self) -> str:
        return f"ExactPlus({self.head!r}, {self.tail!r})"


class WithErrorBound(mpmath.mpf):
    """An mpf that also states an absolute bound on its own error: ``radius``.

    For a ``fn`` whose accuracy is not that of the working precision: a finite
    difference (:mod:`reference.derivatives`) loses the bits its subtraction
    cancels, and says how many.  The engine's enclosure is then at least
    ``±radius`` wide, so two estimates that agree only because both are coarse
    are not taken as exact.  Arithmetic on it gives plain mpfs.
    """

    def __new__(cls, value, radius):
        self = mpmath.mpf.__new__(cls, value)
        self.radius = abs(mpmath.mpmathify(radius))
        return self

    def __repr__(self) -> str:
        return f"WithErrorBound({mpmath.mpf(self)!r}, {self.radius!r})"


def as_mpf(value) -> mpmath.mpf:
    """``value`` as a plain mpf at the working precision (an :class:`ExactPlus` is summed)."""
    return +mpmath.mpf(value) if isinstance(value, ExactPlus) else mpmath.mpmathify(value)


@dataclasses.dataclass(frozen=True)
class _Evaluation:
    """``fn`` at one working precision: its value is ``head + tail`` (``head`` exact)."""

    tail: mpmath.mpf  # real; nan where fn is undefined; the whole value when head is 0
    head: mpmath.mpf = mpmath.mpf(0)  # exact part of an ExactPlus result
    exact: bool = False  # fn returned an int (or ±0.0/±inf/nan): no error bound applies
    negative_zero: bool = False  # fn returned the float -0.0
    radius: mpmath.mpf = mpmath.mpf(0)  # the error bound fn stated (WithErrorBound), absolute

    @property
    def special(self) -> bool:
        return self.tail._mpf_[3] < 0  # mpmath's inf, -inf and nan have negative bit counts

    @property
    def value(self) -> mpmath.mpf:
        """The value as one exact mpf (special values as they are; a tail far
        below the head's last bit by its proxy, see :class:`Enclosure`)."""
        if self.special or not self.head:
            return self.tail
        return _exact_sum(self.head, self.tail)


def _describe_inputs(inputs: tuple[float, ...]) -> str:
    """The exact input values as a pasteable tuple of Python floats."""
    return repr(tuple(inputs))


def _to_mpf(x: float) -> mpmath.mpf:
    """A Python float as an mpf, exactly (independent of the working precision)."""
    return mpmath.mp.make_mpf(mpmath.libmp.from_float(x, 53, mpmath.libmp.round_nearest))


def evaluate(fn: Callable, inputs: tuple[float, ...], *, precision: int) -> _Evaluation:
    """``fn`` at the exact values ``inputs``, at ``precision`` bits, as a real mpf."""
    with mpmath.workprec(precision):
        arguments = [_to_mpf(x) for x in inputs]
        try:
            result = fn(*arguments)
        except NotDifferentiable as error:
            error.args = (f"{error.args[0]} (working precision {precision} bits)",)
            raise
        except Exception as error:
            reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            raise EvaluationError(
                f"fn={_validation.describe_callable(fn)} raised {reason} at inputs "
                f"{_describe_inputs(inputs)} (working precision {precision} bits)"
            ) from error
        return _as_real(result, fn=fn, inputs=inputs)


def _as_real(result: object, *, fn: Callable, inputs: tuple[float, ...]) -> _Evaluation:
    if isinstance(result, ExactPlus):
        if not mpmath.isfinite(result.tail):
            return _Evaluation(result.tail)
        return _Evaluation(result.tail, head=result.head)
    if isinstance(result, WithErrorBound):
        return _Evaluation(mpmath.mp.make_mpf(result._mpf_), radius=result.radius)
    if isinstance(result, mpmath.mpf):
        return _Evaluation(+result if type(result) is not mpmath.mpf else result)
    if isinstance(result, mpmath.mpc):
        if result.imag != 0 or mpmath.isnan(result.imag):
            return _Evaluation(mpmath.nan)
        return _Evaluation(result.real)
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        raise TypeError(
            f"fn={_validation.describe_callable(fn)} must return an mpmath mpf "
            f"(or mpc, ExactPlus, int), got {_validation.describe(result)} at inputs "
            f"{_describe_inputs(inputs)}"
        )
    if isinstance(result, int):
        return _Evaluation(mpmath.mp.make_mpf(mpmath.libmp.from_int(result)), exact=True)
    if result != 0 and math.isfinite(result):
        raise TypeError(
            f"fn={_validation.describe_callable(fn)} returned the Python float {result!r} "
            f"at inputs {_describe_inputs(inputs)}: a float is computed in fixed "
            f"precision (math, numpy, float()), so its error cannot be bounded; compute "
            f"with mpmath and return an mpf (a constant: mpmath.mpf(1) / 3, or an int)"
        )
    negative_zero = result == 0 and math.copysign(1.0, result) < 0
    return _Evaluation(_to_mpf(float(result)), exact=True, negative_zero=negative_zero)


def _sign_of_exact_zero(fn: Callable, inputs: tuple[float, ...], *, precision: int) -> float:
    """``-0.0`` or ``+0.0`` for an exact zero result: the one-sided limit at the zero inputs.

    Each zero input is replaced by ``copysign(2**ZERO_PROBE_EXPONENT, input)``;
    the zero takes the sign of ``fn`` there.  No zero input, or a probe that is
    zero, undefined or raises, gives ``+0.0``.
    """
    if not any(x == 0.0 for x in inputs):
        return 0.0
    probe_magnitude = mpmath.mpf(mpmath.libmp.from_man_exp(1, ZERO_PROBE_EXPONENT))
    with mpmath.workprec(precision):
        arguments = [
            (-probe_magnitude if math.copysign(1.0, x) < 0 else probe_magnitude)
            if x == 0.0 else _to_mpf(x)
            for x in inputs
        ]
        try:
            probe = fn(*arguments)
        except Exception:
            return 0.0
    if isinstance(probe, mpmath.mpc):
        probe = probe.real if probe.imag == 0 else mpmath.nan
    if isinstance(probe, (mpmath.mpf, int, float)) and not isinstance(probe, bool) and probe < 0:
        return -0.0
    return 0.0


# --- Certifying a value: verification across precisions -------------------------
#
# Values are handled here as exact dyadics ``n * 2**scale`` with a signed
# integer ``n``: cheap, and never rounded.


def _short(value: mpmath.mpf) -> str:
    """A value for a message: 17 digits, or its power of two when the exponent is huge."""
    exponent = int(mpmath.mag(value)) if value and mpmath.isfinite(value) else 0
    if abs(exponent) < 10**6:
        return mpmath.nstr(value, 17)
    digits = len(str(abs(exponent)))
    return f"{'-' if value < 0 else ''}~2**({'-' if exponent < 0 else ''}a {digits}-digit integer)"


def _signed_mantissa(value: mpmath.mpf) -> tuple[int, int]:
    """``(n, e)`` with ``value == n * 2**e`` exactly (``value`` finite)."""
    sign, mantissa, exponent, _ = value._mpf_
    return (-int(mantissa) if sign else int(mantissa)), exponent


def _magnitude(value: mpmath.mpf) -> int:
    """``m`` with ``2**(m - 1) <= |value| < 2**m`` (``value`` finite and nonzero)."""
    _, _, exponent, bit_count = value._mpf_
    return exponent + bit_count


@dataclasses.dataclass(frozen=True)
class Enclosure:
    """The exact value lies in ``[(center - radius), (center + radius)] * 2**scale``.

    ``center * 2**scale`` is the evaluation itself.  A tail far below the head's
    last bit (``1 - e^{-10^{19}}``) is replaced by a proxy of the same sign,
    ``2**TAIL_PROXY_BITS`` times smaller than the head: the proxy changes
    neither the rounding into a float format nor the binade, and moves the
    point by less than ``2**-100`` ulp.
    """

    center: int
    radius: int
    scale: int

    @property
    def ends(self) -> tuple[int, int]:
        return self.center - self.radius, self.center + self.radius

    def point(self) -> mpmath.mpf:
        """``center * 2**scale`` as an mpf, exactly (not rounded to the working precision)."""
        return mpmath.mp.make_mpf(mpmath.libmp.from_man_exp(self.center, self.scale))


TAIL_PROXY_BITS = 160
"""A tail below ``2**-TAIL_PROXY_BITS`` of the head is replaced by a proxy of that size (see :class:`Enclosure`)."""


def _aligned(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int, int]:
    """``(n_a, n_b, e)`` with ``a = n_a 2**e``, ``b = n_b 2**e``."""
    scale = min(a[1], b[1])
    return a[0] << (a[1] - scale), b[0] << (b[1] - scale), scale


def _exact_sum(head: mpmath.mpf, tail: mpmath.mpf) -> mpmath.mpf:
    """``head + tail`` exactly, or ``head`` plus the signed proxy of a negligible tail."""
    if tail and head and _magnitude(tail) < _magnitude(head) - TAIL_PROXY_BITS:
        proxy_exponent = _magnitude(head) - TAIL_PROXY_BITS
        tail = mpmath.mpf(mpmath.libmp.from_man_exp(1 if tail > 0 else -1, proxy_exponent))
    return mpmath.fadd(head, tail, exact=True)


def enclosure(current: "_Evaluation", previous: Optional["_Evaluation"], precision: int) -> Optional[Enclosure]:
    """Where the exact value lies, from two successive evaluations, or None if unknown yet.

    Under the module's assumption (the error at least halves from one precision
    to the next, or is already within the floor ``2**(ERROR_SLACK_BITS - w) |tail|``),
    the error of ``current`` is at most ``max(|current - previous|, floor)``.
    The tails are compared when both evaluations share one exact head, the
    whole values otherwise.  A zero with no bound (both evaluations zero) is
    not enclosed: it is exact only once confirmed.
    """
    if previous is None or current.special or previous.special:
        return None
    if current.head and current.head == previous.head:
        head, tail, previous_tail = current.head, current.tail, previous.tail
    else:
        head, tail, previous_tail = None, current.value, previous.value
    if not tail and not previous_tail:
        return None
    # error <= 2**error_exponent: the largest of the floor, the bound fn stated
    # and |tail - previous_tail|
    error_exponent = _magnitude(tail) + ERROR_SLACK_BITS - precision if tail else None
    if current.radius:
        stated = _magnitude(current.radius)
        error_exponent = stated if error_exponent is None else max(error_exponent, stated)
    if tail != previous_tail:
        t = _signed_mantissa(tail) if tail else None
        p = _signed_mantissa(previous_tail) if previous_tail else (0, t[1])
        t = t or (0, p[1])
        if abs(t[1] - p[1]) > 4 * precision:  # wildly apart: bound by the larger
            gap_exponent = max(_magnitude(v) for v in (tail, previous_tail) if v) + 1
        else:
            n_t, n_p, scale = _aligned(t, p)
            gap_exponent = scale + (n_t - n_p).bit_length()
        error_exponent = gap_exponent if error_exponent is None else max(error_exponent, gap_exponent)
    if head is not None:
        head_magnitude = _magnitude(head)
        proxy_exponent = head_magnitude - TAIL_PROXY_BITS
        if tail and max(_magnitude(tail), error_exponent + 1) < proxy_exponent:
            # |tail| + error < 2**proxy_exponent: a proxy stands in for the tail
            n_head, head_exponent = _signed_mantissa(head)
            scale = proxy_exponent - 1
            center = n_head << (head_exponent - scale)
            if error_exponent < _magnitude(tail) - 1:  # error < |tail|: the side is certain
                return Enclosure(center + (2 if tail > 0 else -2), 0, scale)
            return Enclosure(center, 2, scale)
        point = mpmath.fadd(head, tail, exact=True)
    else:
        point = tail
    if not point:
        return Enclosure(0, 1, error_exponent)
    if error_exponent - _magnitude(point) > precision + 64:
        # |point| is negligible against the error: [-2E, 2E] holds [point - E, point + E],
        # without a huge exact sum (it still decides a value that rounds to zero)
        return Enclosure(0, 2, error_exponent)
    n_point, point_exponent = _signed_mantissa(point)
    scale = min(point_exponent, error_exponent)
    return Enclosure(n_point << (point_exponent - scale), 1 << (error_exponent - scale), scale)


def _round_signed(n: int, scale: int, fmt: FloatFormat) -> float:
    """``n * 2**scale`` rounded into ``fmt``, keeping the sign of a value that rounds to 0."""
    rounded = round_magnitude(abs(n), scale, fmt)
    return -rounded if n < 0 else rounded



# --- Rigorous balls: functions with an Arb twin -------------------------------------
#
# A function may carry ``fn.arb``: the same function written for python-flint's
# ``arb`` balls (Arb, arblib.org), which enclose the exact result rigorously at
# any precision.  Where every input is finite, the engine evaluates the twin
# instead, and the result is certain with no assumption about ``fn`` (Arb's
# enclosures are proven).  The twin returns an ``arb``, or ``(head, tail)`` with
# ``head`` an exact ``arb`` for a value that :class:`ExactPlus` would describe.


def _fmpz_pair(value) -> tuple[int, int]:
    mantissa, exponent = value.man_exp()
    return int(mantissa), int(exponent)


def _ball_enclosure(ball, head=None) -> Optional[Enclosure]:
    """The :class:`Enclosure` of ``head + ball`` (``head`` an exact arb or None), or
    None when the ball is not finite or cannot tell the side of a negligible tail."""
    if not ball.is_finite():
        return None
    n_mid, mid_exponent = _fmpz_pair(ball.mid())
    n_rad, rad_exponent = _fmpz_pair(ball.rad())
    if head is not None and not head.is_zero():
        n_head, head_exponent = _fmpz_pair(head.mid())
        head_magnitude = head_exponent + abs(n_head).bit_length()
        tops = [e + abs(n).bit_length() for n, e in ((n_mid, mid_exponent), (n_rad, rad_exponent)) if n]
        if not tops:
            return Enclosure(n_head, 0, head_exponent)  # the tail is exactly 0
        if max(tops) < head_magnitude - TAIL_PROXY_BITS:
            if not n_mid or not ball > 0 and not ball < 0:
                return None  # the ball holds 0: the side is not known yet
            scale = head_magnitude - TAIL_PROXY_BITS - 1
            center = n_head << (head_exponent - scale)
            return Enclosure(center + (2 if n_mid > 0 else -2), 0, scale)
        scale = min(mid_exponent, rad_exponent, head_exponent)
        center = (n_head << (head_exponent - scale)) + (n_mid << (mid_exponent - scale))
    else:
        scale = min(mid_exponent, rad_exponent)
        center = n_mid << (mid_exponent - scale)
    return Enclosure(center, n_rad << (rad_exponent - scale), scale)


def _arb_twin_loop(fn: Callable, inputs: tuple[float, ...], *, fmt: FloatFormat,
                   guard_bits: int, settle) -> Optional[object]:
    """Evaluate ``fn.arb`` at increasing precision until ``settle`` accepts its ball.

    Returns None (the caller falls back to ``fn`` itself) when an input is not
    finite, the twin gives no finite ball, or the ball is still too wide at
    ``MAX_WORKING_PRECISION``.
    """
    twin = getattr(fn, "arb", None)
    if twin is None or not all(math.isfinite(x) for x in inputs):
        return None
    saved = flint.ctx.prec
    try:
        arguments = [flint.arb(x) for x in inputs]
        while fmt.precision + guard_bits <= MAX_WORKING_PRECISION:
            precision = fmt.precision + guard_bits
            flint.ctx.prec = precision
            result = twin(*arguments)
            head, ball = result if isinstance(result, tuple) else (None, result)
            bound = _ball_enclosure(ball, head)
            if bound is None and not ball.is_finite():
                return None
            if bound is not None:
                exact = bound.radius == 0
                evaluation = _Evaluation(bound.point(), exact=exact)
                settled = settle(evaluation, bound, precision, exact)
                if settled is not None:
                    return settled
            guard_bits *= 2
        return None
    finally:
        flint.ctx.prec = saved


# --- The Ziv loop ------------------------------------------------------------------


def ziv_loop(
    fn: Callable,
    inputs: tuple[float, ...],
    *,
    fmt: FloatFormat,
    guard_bits: int,
    settle: Callable[[_Evaluation, Optional[Enclosure], int, bool], Optional[object]],
):
    """Evaluate ``fn`` at increasing precision until ``settle`` returns non-None.

    ``settle(evaluation, enclosure, precision, confirmed_exact)`` is called after
    each evaluation.  ``enclosure`` bounds the exact value (None at the first
    evaluation, or where no bound is known yet); ``confirmed_exact`` is True
    when the value is exact (an int result) or identical to the previous
    precision's value at ``EXACT_CONFIRMATION_PRECISION`` bits or more, in which
    case ``settle`` must not return None.  Precision goes ``p + guard_bits``,
    ``p + 2 guard_bits``, ``p + 4 guard_bits``, ... and
    :class:`PrecisionCapExceeded` is raised past ``MAX_WORKING_PRECISION``.
    """
    certain = _arb_twin_loop(fn, inputs, fmt=fmt, guard_bits=guard_bits, settle=settle)
    if certain is not None:
        return certain
    previous = previous_precision = None
    while True:
        precision = fmt.precision + guard_bits
        if precision > MAX_WORKING_PRECISION:
            last = _short(previous.value) if previous is not None else None
            raise PrecisionCapExceeded(
                f"the {fmt.name} rounding of fn={_validation.describe_callable(fn)} "
                f"at inputs {_describe_inputs(inputs)} is still uncertain at "
                f"{previous_precision} bits of working precision (cap "
                f"MAX_WORKING_PRECISION={MAX_WORKING_PRECISION}); last value {last}. "
                f"If the value lies within 2**-{previous_precision} of a power of two "
                f"or of a rounding boundary, return it as reference.ExactPlus(head, tail)"
            )
        evaluation = evaluate(fn, inputs, precision=precision)
        confirmed = evaluation.exact or (
            previous is not None
            and precision >= EXACT_CONFIRMATION_PRECISION
            and evaluation.head == previous.head
            and evaluation.tail == previous.tail
        )
        bound = enclosure(evaluation, previous, precision)
        result = settle(evaluation, bound, precision, confirmed)
        if result is not None:
            return result
        previous, previous_precision = evaluation, precision
        guard_bits *= 2


def _settle_rounding(fn, inputs, fmt):
    def settle(evaluation: _Evaluation, bound: Optional[Enclosure], precision: int,
               confirmed: bool) -> Optional[float]:
        if evaluation.negative_zero:
            return -0.0
        if evaluation.special:
            return _special_value(evaluation.tail)
        if confirmed:
            value = evaluation.value
            if not value:
                return _sign_of_exact_zero(fn, inputs, precision=precision)
            return round_mpf(value, fmt)
        if bound is None:
            return None
        low, high = bound.ends
        rounded = _round_signed(low, bound.scale, fmt)
        if rounded != _round_signed(high, bound.scale, fmt):
            return None
        if rounded == 0 and (low < 0) != (high < 0):  # rounds to zero, of the point's sign
            return -0.0 if bound.center < 0 else 0.0
        return rounded

    return settle


def correctly_rounded_scalar(fn: Callable, fmt: FloatFormat, inputs: tuple[float, ...]) -> float:
    """``fn(*inputs)`` correctly rounded into ``fmt``, as a Python float (uncached)."""
    return ziv_loop(
        fn, inputs, fmt=fmt, guard_bits=GUARD_BITS,
        settle=_settle_rounding(fn, inputs, fmt),
    )


def floats_from_bits(bits: tuple[int, ...]) -> tuple[float, ...]:
    """float64 bit patterns (as ints) back to Python floats."""
    count = len(bits)
    return struct.unpack(f"<{count}d", struct.pack(f"<{count}Q", *bits))


@functools.lru_cache(maxsize=CACHE_SIZE)
def _cached_scalar(fn: Callable, format_name: str, bits: tuple[int, ...]) -> float:
    return correctly_rounded_scalar(fn, FORMATS[format_name], floats_from_bits(bits))


def _uncached_scalar(fn: Callable, format_name: str, bits: tuple[int, ...]) -> float:
    return correctly_rounded_scalar(fn, FORMATS[format_name], floats_from_bits(bits))


def clear_cache() -> None:
    """Empty the cache of correctly rounded values (and of :func:`reference.ulp_error`'s exact values)."""
    _cached_scalar.cache_clear()
    for clear in _OTHER_CACHE_CLEARERS:
        clear()


_OTHER_CACHE_CLEARERS: list[Callable[[], None]] = []


def is_hashable(fn: object) -> bool:
    try:
        hash(fn)
    except TypeError:
        return False
    return True


# --- Vectorised entry point ------------------------------------------------------


def prepared_inputs(args: tuple, *, names: Optional[list[str]] = None):
    """Check and broadcast ``args``: returns (arrays, shape, rows of float64 bit patterns)."""
    names = names or [f"args[{i}]" for i in range(len(args))]
    arrays = [
        _validation.as_float_array(arg, what=name) for arg, name in zip(args, names)
    ]
    broadcast = _validation.broadcast(arrays, names=names) if arrays else []
    shape = broadcast[0].shape if broadcast else ()
    with np.errstate(invalid="ignore"):  # signalling nans quieten when widened
        columns = [
            np.asarray(array, dtype=np.float64).view(np.uint64).ravel().tolist()
            for array in broadcast
        ]
    rows = list(zip(*columns)) if columns else [()]
    return arrays, shape, rows


def add_location_note(error: BaseException, *, index: int, shape: tuple, arrays) -> None:
    """Attach the element index and the inputs' dtypes to an exception raised mid-array."""
    where = np.unravel_index(index, shape) if shape else ()
    dtypes = ", ".join(array.dtype.name for array in arrays)
    note = (
        f"at broadcast index {tuple(int(i) for i in where)} of inputs with "
        f"shape {shape} and dtypes ({dtypes})"
    )
    if hasattr(error, "add_note"):  # Python >= 3.11
        error.add_note(note)


def correctly_rounded(fn: Callable, *args, dtype: object = None) -> np.ndarray:
    """``fn(*args)`` at the exact input values, correctly rounded into ``dtype``.

    - ``fn``: a function of mpmath ``mpf`` arguments returning an ``mpf`` (or an
      :class:`ExactPlus`, or an exact ``int``) computed at mpmath's working
      precision (``reference.functions.softplus``, ``lambda x: mpmath.log1p(x)``);
      cancellation in it is detected (see the module docstring).
    - ``args``: float16/bfloat16/float32/float64 arrays or numpy scalars
      (anything with such a ``dtype``), broadcast together; each element is an
      exact binary value.
    - ``dtype``: float16, bfloat16 (``ml_dtypes.bfloat16``, ``"bfloat16"``),
      float32 or float64; default the inputs' result type (numpy's promotion:
      the wider format; float32 for float16 with bfloat16).  Required when
      ``fn`` takes no arguments.

    Returns an ``np.ndarray`` of the broadcast shape (0-d for scalar inputs),
    rounded to nearest, ties to even, with IEEE subnormals, signed zeros,
    overflow to ``±inf`` and ``nan`` where ``fn`` is undefined (a nan or
    non-real result).  See the module docstring for how certainty is reached
    and how the sign of a zero is chosen.

    Raises TypeError for inputs without such a dtype (float8 formats, integers,
    complex, Python floats: the message names the dtype), ValueError for
    shapes that do not broadcast, :class:`EvaluationError` when ``fn`` raises
    and :class:`PrecisionCapExceeded` when the rounding stays uncertain; the
    message names ``fn`` and the input.

    Cost: a few microseconds per value with an Arb twin, two evaluations of
    ``fn`` or more without; repeated points come from a cache (see
    :func:`clear_cache`).

    >>> import mpmath, numpy as np
    >>> correctly_rounded(mpmath.exp, np.float32(0.0))
    array(1., dtype=float32)
    >>> correctly_rounded(lambda x: mpmath.log(x), np.array([-1.0, 0.0, 1.0]))
    array([ nan, -inf,   0.])
    >>> correctly_rounded(lambda x, y: x + y, np.float64(1.0), np.float64(2.0**-24), dtype=np.float32)
    array(1., dtype=float32)
    """
    _validation.check_callable(fn)
    arrays, shape, rows = prepared_inputs(args)
    if dtype is None:
        if not arrays:
            raise TypeError(
                f"dtype is required when no args are given "
                f"(fn={_validation.describe_callable(fn)})"
            )
        out_dtype = np.result_type(*arrays)
    else:
        out_dtype = _validation.resolve_dtype(dtype)
    fmt = FORMATS[out_dtype.name]
    kernel = _cached_scalar if is_hashable(fn) else _uncached_scalar
    values = []
    for index, bits in enumerate(rows):
        try:
            values.append(kernel(fn, fmt.name, bits))
        except Exception as error:
            add_location_note(error, index=index, shape=shape, arrays=arrays)
            raise
    return np.array(values, dtype=out_dtype).reshape(shape)
