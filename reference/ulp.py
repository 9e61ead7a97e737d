"""Errors in ulps against the exact value of an mpmath function.

``ulp_error(actual, fn, *args)`` is

.. math::  \\frac{|\\mathrm{actual} - f(\\mathrm{args})|}{\\mathrm{ulp}(f(\\mathrm{args}))}

with the exact value :math:`f` computed by mpmath and the ulp taken in
``actual``'s format (float16, bfloat16, float32 or float64): for :math:`|y| \\in [2^e, 2^{e+1})`,
:math:`e \\ge e_{min}`, :math:`\\mathrm{ulp}(y) = 2^{e - p + 1}`; below the
smallest normal (zero included) it is the smallest subnormal; above the largest
finite value it is the ulp of the largest binade.  A correctly rounded
``actual`` is at most 0.5 away; its neighbours are in (0.5, 1.5].
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import mpmath
import numpy as np

from reference import _validation, rounding

__all__ = ["ulp", "ulp_error", "ULP_ERROR_GUARD_BITS"]

ULP_ERROR_GUARD_BITS = 64
"""Bits beyond ``actual``'s precision at which the exact value is first computed."""


def ulp(x) -> np.ndarray:
    """The ulp of each value of ``x`` in ``x``'s own format (float16, bfloat16, float32 or float64).

    ``2**(e - p + 1)`` for ``|x|`` in ``[2**e, 2**(e+1))``, the smallest
    subnormal for ``|x|`` below the smallest normal (``±0`` included), and
    ``nan`` for ``inf`` and ``nan``.  Unlike ``np.spacing`` it is never negative
    and is finite at the largest finite value.  This is the unit that
    :func:`ulp_error` divides by, when the exact value is ``x``.

    >>> import numpy as np
    >>> ulp(np.float32([1.0, -1.0, 0.0]))
    array([1.1920929e-07, 1.1920929e-07, 1.4012985e-45], dtype=float32)
    """
    array = _validation.as_float_array(x, what="x")
    fmt = rounding.FORMATS[array.dtype.name]
    magnitude = np.abs(array)
    largest_binade_ulp = array.dtype.type(math.ldexp(1.0, fmt.ulp_exponent(fmt.emax)))
    with np.errstate(over="ignore", invalid="ignore"):  # spacing(max) is inf
        spacing = np.spacing(magnitude)
    return np.asarray(np.where(magnitude == fmt.max, largest_binade_ulp, spacing))


ULP_ERROR_RESOLUTION_BITS = 40
"""The exact value's enclosure must be narrower than ``2**-ULP_ERROR_RESOLUTION_BITS`` of its ulp."""


def _ulp_exponent_of(n: int, scale: int, fmt: rounding.FloatFormat) -> int:
    """Exponent of ``ulp(n * 2**scale)`` in ``fmt`` (the smallest subnormal's for zero)."""
    top = scale + abs(n).bit_length() - 1 if n else fmt.emin - 1
    return fmt.ulp_exponent(top)


def _settle_exact(fmt: rounding.FloatFormat):
    """Accept a value once its ulp in ``fmt`` is certain and it is known to a tiny
    fraction of that ulp: both ends of its enclosure in one binade of one sign,
    or both below the smallest normal, where the ulp is the smallest subnormal."""

    def settle(evaluation, bound, precision: int, confirmed: bool):
        if evaluation.special:
            return evaluation.tail
        if confirmed:
            return evaluation.value
        if bound is None:
            return None
        low, high = bound.ends
        exponent = _ulp_exponent_of(low, bound.scale, fmt)
        if exponent != _ulp_exponent_of(high, bound.scale, fmt):
            return None
        below_normal = exponent == fmt.ulp_exponent(fmt.emin - 1) and max(
            abs(low), abs(high)).bit_length() - 1 + bound.scale < fmt.emin
        if (low < 0) != (high < 0) and low and high and not below_normal:
            return None
        width_exponent = bound.scale + (2 * bound.radius).bit_length()
        if width_exponent > exponent - ULP_ERROR_RESOLUTION_BITS:
            # Beyond the largest finite value every ulp is the largest binade's, and the
            # distance from any finite result is about |exact| itself: known to the
            # enclosure's relative width, which is all a distance that large needs.
            top = bound.scale + min(abs(low), abs(high)).bit_length() - 1
            overflowing = (low < 0) == (high < 0) and top > fmt.emax
            if not (overflowing and width_exponent < top - ULP_ERROR_RESOLUTION_BITS):
                return None
        return bound.point()

    return settle


def exact_value(fn: Callable, fmt: rounding.FloatFormat, inputs: tuple[float, ...]) -> mpmath.mpf:
    """``fn(*inputs)`` as an mpf (nan where undefined), accurate enough to measure ulps in ``fmt``."""
    return rounding.ziv_loop(
        fn, inputs, fmt=fmt, guard_bits=ULP_ERROR_GUARD_BITS, settle=_settle_exact(fmt)
    )


@functools.lru_cache(maxsize=rounding.CACHE_SIZE)
def _cached_exact_value(fn: Callable, format_name: str, bits: tuple[int, ...]) -> mpmath.mpf:
    return exact_value(fn, rounding.FORMATS[format_name], rounding.floats_from_bits(bits))


rounding._OTHER_CACHE_CLEARERS.append(_cached_exact_value.cache_clear)


def _uncached_exact_value(fn: Callable, format_name: str, bits: tuple[int, ...]) -> mpmath.mpf:
    return exact_value(fn, rounding.FORMATS[format_name], rounding.floats_from_bits(bits))


def distance_in_ulps(actual: float, exact: mpmath.mpf, fmt: rounding.FloatFormat) -> float:
    """``|actual - exact| / ulp(exact)`` in ``fmt``, with the special cases of :func:`ulp_error`."""
    if mpmath.isnan(exact):
        return 0.0 if math.isnan(actual) else math.inf
    if mpmath.isinf(exact):
        return 0.0 if actual == (math.inf if exact > 0 else -math.inf) else math.inf
    if not math.isfinite(actual):
        correctly_rounded = rounding.round_mpf(exact, fmt)
        overflows_to_actual = math.isinf(correctly_rounded) and actual == correctly_rounded
        return 0.0 if overflows_to_actual else math.inf
    _, mantissa, exponent, bit_count = exact._mpf_
    top = exponent + bit_count - 1 if mantissa else fmt.emin - 1
    ulp_exponent = fmt.ulp_exponent(top)
    with mpmath.workprec(fmt.precision + ULP_ERROR_GUARD_BITS):
        difference = mpmath.fabs(rounding._to_mpf(actual) - exact)
        return float(mpmath.ldexp(difference, -ulp_exponent))


def ulp_error(actual, fn: Callable, *args) -> np.ndarray:
    """Distance, in ulps of ``actual``'s format, from ``actual`` to ``fn(*args)`` exactly.

    - ``actual``: float16/bfloat16/float32/float64 array or numpy scalar (anything with such a
      ``dtype``, e.g. a ``jax.Array``); its dtype is the format the ulp is
      measured in.  A Python float is refused (TypeError): say which format.
    - ``fn``: an mpmath-level function, as for :func:`reference.correctly_rounded`.
    - ``args``: float16/bfloat16/float32/float64 inputs, broadcast with ``actual``.

    Returns float64 distances of the broadcast shape (0-d for scalars),
    accurate to about ``2**-50`` ulp.  The exact value is computed at
    ``p + ULP_ERROR_GUARD_BITS`` bits, more while its binade is uncertain.

    Special cases (``exact`` is ``fn(*args)``):

    ======================================  ==========
    both nan; same infinity                 0
    ``exact`` nan, ``actual`` not nan       inf
    ``exact`` ±inf, ``actual`` anything else  inf
    ``exact`` finite, ``actual`` inf/nan    inf, unless ``exact`` overflows to
                                            that very infinity: 0
    ``exact`` finite, ``actual`` finite     measured (``-0.0`` vs ``0`` is 0)
    ======================================  ==========

    >>> import mpmath, numpy as np
    >>> one = np.float32(1.0)
    >>> ulp_error(np.nextafter(one, np.float32(2)), lambda x: x, one)
    array(1.)
    >>> ulp_error(np.nextafter(one, np.float32(0)), lambda x: x, one)
    array(0.5)
    >>> ulp_error(np.float64(0.0), lambda x: mpmath.log(x), np.float64(1.0))
    array(0.)
    """
    _validation.check_callable(fn)
    names = ["actual"] + [f"args[{i}]" for i in range(len(args))]
    arrays, shape, rows = rounding.prepared_inputs((actual, *args), names=names)
    fmt = rounding.FORMATS[arrays[0].dtype.name]
    kernel = _cached_exact_value if rounding.is_hashable(fn) else _uncached_exact_value
    distances = []
    for index, (actual_bits, *input_bits) in enumerate(rows):
        try:
            exact = kernel(fn, fmt.name, tuple(input_bits))
        except Exception as error:
            rounding.add_location_note(error, index=index, shape=shape, arrays=arrays)
            raise
        (actual_value,) = rounding.floats_from_bits((actual_bits,))
        distances.append(distance_in_ulps(actual_value, exact, fmt))
    return np.array(distances, dtype=np.float64).reshape(shape)
