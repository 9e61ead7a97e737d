"""The rounding engine: certain, correctly rounded float32/float64 values of mpmath functions.

``correctly_rounded(fn, *args)`` evaluates ``fn`` at the exact binary values of
``args`` and rounds the result to nearest, ties to even, into float32 or
float64 with full IEEE 754 semantics (subnormals, signed zeros, overflow).

How the rounding is made certain (Ziv's strategy)
-------------------------------------------------
``fn`` is evaluated at working precision ``w = p + g`` bits, where ``p`` is the
target precision (24 or 53) and ``g`` starts at :data:`GUARD_BITS`.  The result
``y`` is taken to satisfy

.. math::  |y - f(x)| \\le 2^{s - w} |y|,   s = ``ERROR_SLACK_BITS``

i.e. ``fn`` is trusted to within :math:`2^s` ulps of the working precision.
mpmath's elementary functions are accurate to within a few ulps of the working
precision, so compositions of a handful of them, written without cancellation
(like those in :mod:`reference.functions`), meet this with room to spare.  A
``fn`` that cancels catastrophically (``log(1 + exp(x))`` at ``x = -40``) does
not, and can be rounded wrongly: the engine cannot detect that.

If both ends of the interval :math:`y (1 \\pm 2^{s-w})` round to the same
target value, every value inside does too (rounding is monotone), and that
value is returned.  Otherwise ``g`` is doubled and ``fn`` evaluated again, up to
:data:`MAX_WORKING_PRECISION` bits, beyond which :class:`PrecisionCapExceeded`
is raised.

Exact results.  Ziv's loop never ends on a value that lies *exactly* on a
rounding boundary (a tie such as ``x + y`` landing halfway between two
float32 values) or on an exact zero.  Such a result is accepted as exact when
``fn`` returns the identical value at two successive precisions, the higher one
at least :data:`EXACT_CONFIRMATION_PRECISION` (8192) bits; it is then rounded
exactly (a tie goes to the even neighbour).  The threshold is high on purpose:
sums of float64 inputs can sit within ``2**-1900`` of a tie without being one
(``max + ulp(max)/2 - 2**-900`` is identical at 85, 117 and 181 bits, yet rounds
to ``max``, not ``inf``), and hardest-to-round transcendental cases sit within
about ``2**-(2p + 10)``.  Exact zeros and ties therefore cost about nine
evaluations, up to 8245 bits, which is cheap for the simple expressions that
produce them.  A result that ``fn`` returns as a Python ``int`` or ``float``
is exact by construction and rounded at once.

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

Cost and caching.  One value of :func:`reference.functions.softplus` costs tens
of microseconds.  Values are cached per ``(fn, target dtype, input bit
patterns)`` in an LRU cache of :data:`CACHE_SIZE` entries (hashable ``fn``
only); :func:`clear_cache` empties it.  The cache holds a reference to each
``fn`` it has seen.  Like mpmath itself, this module is not thread-safe: the
working precision is mpmath's global context, changed only inside
``mpmath.workprec`` scopes.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import struct
from typing import Callable, Optional

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
    "GUARD_BITS",
    "ERROR_SLACK_BITS",
    "MAX_WORKING_PRECISION",
    "EXACT_CONFIRMATION_PRECISION",
]

GUARD_BITS = 32
"""Bits beyond the target precision at the first evaluation; doubled on each retry."""

ERROR_SLACK_BITS = 8
"""``fn`` is trusted to within ``2**ERROR_SLACK_BITS`` ulps of the working precision."""

MAX_WORKING_PRECISION = 10_000
"""Working precision (bits) beyond which :class:`PrecisionCapExceeded` is raised."""

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
    "float32": FloatFormat("float32", precision=24, emin=-126, emax=127),
    "float64": FloatFormat("float64", precision=53, emin=-1022, emax=1023),
}


def float_format(dtype: object) -> FloatFormat:
    """The :class:`FloatFormat` of ``dtype`` (float32 or float64, any spelling numpy accepts)."""
    return FORMATS[_validation.resolve_dtype(dtype).name]


# --- Errors ------------------------------------------------------------------


class PrecisionCapExceeded(ArithmeticError):
    """The rounding of ``fn`` at an input was still uncertain at ``MAX_WORKING_PRECISION`` bits."""


class EvaluationError(RuntimeError):
    """``fn`` raised while being evaluated; the original exception is the ``__cause__``."""


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


def error_interval(value: mpmath.mpf, precision: int) -> tuple[int, int, int]:
    """``(low, high, scale)``: ``|value|``'s error interval is ``[low, high] * 2**scale``.

    ``value`` is finite and nonzero, trusted to ``2**(ERROR_SLACK_BITS - precision)``
    relative.  The bound is widened to ``2**(top + 1 + ERROR_SLACK_BITS - precision)``
    absolute, with ``2**top <= |value| < 2**(top + 1)``.  Only relative shifts
    are made, so huge exponents (``exp(-1e308)``) cost nothing.
    """
    _, mantissa, exponent, bit_count = value._mpf_
    top = exponent + bit_count - 1
    error_exponent = top + 1 + ERROR_SLACK_BITS - precision
    scale = min(exponent, error_exponent)
    center = int(mantissa) << (exponent - scale)
    error = 1 << (error_exponent - scale)
    return center - error, center + error, scale


def _rounding_if_certain(value: mpmath.mpf, fmt: FloatFormat, precision: int) -> Optional[float]:
    """The rounding of ``value``'s whole error interval, or None if its ends round apart."""
    low, high, scale = error_interval(value, precision)
    rounded_low = round_magnitude(low, scale, fmt)
    if rounded_low != round_magnitude(high, scale, fmt):
        return None
    return -rounded_low if value._mpf_[0] else rounded_low


# --- Evaluating fn -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Evaluation:
    value: mpmath.mpf  # real; nan where fn is undefined
    exact: bool = False  # fn returned an int or float: no error bound applies
    negative_zero: bool = False  # fn returned the float -0.0


def _describe_inputs(inputs: tuple[float, ...]) -> str:
    """The exact input values as a pasteable tuple of Python floats."""
    return repr(tuple(inputs))


def _to_mpf(x: float) -> mpmath.mpf:
    """A Python float as an mpf, exactly (independent of the working precision)."""
    return mpmath.mpf(mpmath.libmp.from_float(x, 53, mpmath.libmp.round_nearest))


def evaluate(fn: Callable, inputs: tuple[float, ...], *, precision: int) -> _Evaluation:
    """``fn`` at the exact values ``inputs``, at ``precision`` bits, as a real mpf."""
    with mpmath.workprec(precision):
        arguments = [_to_mpf(x) for x in inputs]
        try:
            result = fn(*arguments)
        except Exception as error:
            reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            raise EvaluationError(
                f"fn={_validation.describe_callable(fn)} raised {reason} at inputs "
                f"{_describe_inputs(inputs)} (working precision {precision} bits)"
            ) from error
        return _as_real(result, fn=fn, inputs=inputs)


def _as_real(result: object, *, fn: Callable, inputs: tuple[float, ...]) -> _Evaluation:
    if isinstance(result, mpmath.mpf):
        return _Evaluation(+result if type(result) is not mpmath.mpf else result)
    if isinstance(result, mpmath.mpc):
        if result.imag != 0 or mpmath.isnan(result.imag):
            return _Evaluation(mpmath.nan)
        return _Evaluation(result.real)
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        raise TypeError(
            f"fn={_validation.describe_callable(fn)} must return an mpmath mpf "
            f"(or mpc, int, float), got {_validation.describe(result)} at inputs "
            f"{_describe_inputs(inputs)}"
        )
    if isinstance(result, int):
        return _Evaluation(mpmath.mpf(mpmath.libmp.from_int(result)), exact=True)
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


# --- The Ziv loop ------------------------------------------------------------------


def ziv_loop(
    fn: Callable,
    inputs: tuple[float, ...],
    *,
    fmt: FloatFormat,
    guard_bits: int,
    settle: Callable[[_Evaluation, int, bool], Optional[object]],
):
    """Evaluate ``fn`` at increasing precision until ``settle`` returns non-None.

    ``settle(evaluation, precision, confirmed_exact)`` is called after each
    evaluation; ``confirmed_exact`` is True when the value is exact (an int or
    float result) or identical to the previous precision's value at
    ``EXACT_CONFIRMATION_PRECISION`` bits or more, in which case ``settle``
    must not return None.  Precision goes ``p + guard_bits``, ``p + 2 guard_bits``,
    ``p + 4 guard_bits``, ... and :class:`PrecisionCapExceeded` is raised past
    ``MAX_WORKING_PRECISION``.
    """
    previous = previous_precision = None
    while True:
        precision = fmt.precision + guard_bits
        if precision > MAX_WORKING_PRECISION:
            raise PrecisionCapExceeded(
                f"the {fmt.name} rounding of fn={_validation.describe_callable(fn)} "
                f"at inputs {_describe_inputs(inputs)} is still uncertain at "
                f"{previous_precision} bits of working precision (cap "
                f"MAX_WORKING_PRECISION={MAX_WORKING_PRECISION}); last value "
                f"{mpmath.nstr(previous, 30) if previous is not None else None}"
            )
        evaluation = evaluate(fn, inputs, precision=precision)
        confirmed = evaluation.exact or (
            previous is not None
            and precision >= EXACT_CONFIRMATION_PRECISION
            and evaluation.value == previous
        )
        result = settle(evaluation, precision, confirmed)
        if result is not None:
            return result
        previous, previous_precision = evaluation.value, precision
        guard_bits *= 2


def _settle_rounding(fn, inputs, fmt):
    def settle(evaluation: _Evaluation, precision: int, confirmed: bool) -> Optional[float]:
        value = evaluation.value
        if evaluation.negative_zero:
            return -0.0
        if mpmath.isnan(value) or mpmath.isinf(value):
            return _special_value(value)
        if not value:
            if not confirmed:
                return None
            return _sign_of_exact_zero(fn, inputs, precision=precision)
        if confirmed:
            return round_mpf(value, fmt)
        return _rounding_if_certain(value, fmt, precision)

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

    - ``fn``: a function of mpmath ``mpf`` arguments returning an ``mpf``
      accurate to within ``2**ERROR_SLACK_BITS`` ulps of mpmath's working
      precision (``reference.functions.softplus``, ``lambda x: mpmath.log1p(x)``).
    - ``args``: float32/float64 arrays or numpy scalars (anything with such a
      ``dtype``), broadcast together; each element is an exact binary value.
    - ``dtype``: float32 or float64; default the inputs' result type (float64 if
      they mix).  Required when ``fn`` takes no arguments.

    Returns an ``np.ndarray`` of the broadcast shape (0-d for scalar inputs),
    rounded to nearest, ties to even, with IEEE subnormals, signed zeros,
    overflow to ``±inf`` and ``nan`` where ``fn`` is undefined (a nan or
    non-real result).  See the module docstring for how certainty is reached
    and how the sign of a zero is chosen.

    Raises TypeError for inputs without a float32/float64 dtype, ValueError for
    shapes that do not broadcast, :class:`EvaluationError` when ``fn`` raises
    and :class:`PrecisionCapExceeded` when the rounding stays uncertain; the
    message names ``fn`` and the input.

    Cost: tens of microseconds per value for elementary compositions; repeated
    points come from a cache (see :func:`clear_cache`).

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
