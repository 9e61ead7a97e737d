"""reference in float16 and bfloat16: bit for bit against an independent oracle, exact ulps at the edges.

The oracle shares no code with :mod:`reference`:

* **values**: mpmath at :data:`ORACLE_PRECISION` bits, from formulas of its own
  (``softplus(x) = x + log1p(exp(-x))`` for ``x > 0``), with the special
  inputs (``±inf``, nan, the domain of log1p) answered from a table of the
  IEEE/C99 limits;
* **rounding**: every value of the format decoded from its bit pattern by the
  definition in IEEE 754-2019 §3.4 (sign, biased exponent field, trailing
  significand field) into a :class:`fractions.Fraction`; the exact value is
  rounded to the nearest of them by exact rational comparison, a tie to the
  one whose pattern is even, and to ``±inf`` at or beyond
  ``2**emax * (2 - 2**-p)`` (§4.3.1).  Its error enclosure (``2**-MARGIN`` of
  the value, far beyond mpmath's few ulps at 200 bits) must round to one
  value at both ends, or the oracle says it cannot decide.

The oracle itself is checked against numpy's float64 -> float16 and
ml_dtypes' float32 -> bfloat16 conversions (each a single correct rounding),
so that a wrong oracle cannot pass as a right reference.

The sweep over all 65,536 inputs of each format for exp, log1p, sin, softplus
and sigmoid (655,360 values, both implementations, ~100-300 us per input on a
loaded machine, two thirds of it the oracle's mpmath) took 132 s of test time,
79 s wall with ``-n 2``: it runs under ``-m exhaustive``.  The default run
checks 1,024 inputs per format and function (every special and boundary
pattern plus a fixed-seed sample of the rest): the whole file, about 2.3 s.
"""

from __future__ import annotations

import bisect
import functools
from fractions import Fraction

import ml_dtypes
import mpmath
import numpy as np
import pytest

import reference
from reference import functions

BF16 = np.dtype(ml_dtypes.bfloat16)
F16 = np.dtype(np.float16)
FORMATS_16 = {"float16": F16, "bfloat16": BF16}

# (exponent field width w, trailing significand width t): IEEE 754-2019 Table 3.5 for
# binary16; bfloat16 is float32's sign and exponent with the top 7 fraction bits.
FIELD_WIDTHS = {"float16": (5, 10), "bfloat16": (8, 7)}

ORACLE_PRECISION = 200
MARGIN = 150  # the oracle's value is taken as within 2**-MARGIN of the exact one, relatively
SAMPLE_SIZE = 1024


# --- The format, from its definition ---------------------------------------------------


@functools.lru_cache(maxsize=None)
def format_table(name: str):
    """``(values, midpoints, values64, emax, p)``: the nonnegative finite values of the
    format in pattern order (pattern ``i`` is ``values[i]``), exactly; the midpoints
    between neighbours; the values as float64 (exact: every 16-bit value is one)."""
    w, t = FIELD_WIDTHS[name]
    bias = 2 ** (w - 1) - 1
    values = []
    for exponent_field in range(2**w - 1):  # all ones encodes inf and nan
        for fraction_field in range(2**t):
            if exponent_field == 0:  # subnormal: 0.T * 2**(1 - bias)
                value = Fraction(fraction_field, 2**t) * Fraction(2) ** (1 - bias)
            else:  # normal: 1.T * 2**(E - bias)
                value = (1 + Fraction(fraction_field, 2**t)) * Fraction(2) ** (exponent_field - bias)
            values.append(value)
    midpoints = [(a + b) / 2 for a, b in zip(values, values[1:])]
    return values, midpoints, [float(v) for v in values], bias, t + 1


def pattern_of_inf(name: str) -> int:
    w, t = FIELD_WIDTHS[name]
    return (2**w - 1) << t


def round_nearest_even(exact: Fraction, name: str) -> int:
    """The bit pattern of ``exact`` (>= 0) rounded to nearest, ties to even, in ``name``."""
    values, midpoints, values64, emax, p = format_table(name)
    if exact >= Fraction(2) ** emax * (2 - Fraction(1, 2**p)):
        return pattern_of_inf(name)
    below = max(bisect.bisect_right(values64, float(exact)) - 1, 0)  # near the largest value <= exact
    while below + 1 < len(values) and values[below + 1] <= exact:
        below += 1
    while values[below] > exact:
        below -= 1
    if values[below] == exact or below + 1 == len(values):  # exact, or in [max, the threshold)
        return below
    midpoint = midpoints[below]
    if exact != midpoint:
        return below if exact < midpoint else below + 1
    return below if below % 2 == 0 else below + 1  # a tie: the even pattern


def rounded_pattern(exact: Fraction, name: str) -> int:
    """Signed: a negative value that rounds to zero keeps its sign (the pattern of -0)."""
    w, t = FIELD_WIDTHS[name]
    sign = (1 << (w + t)) if exact < 0 else 0
    return sign | round_nearest_even(abs(exact), name)


def enclosure_patterns(value: mpmath.mpf, name: str) -> tuple[int, int]:
    """The patterns of ``value * (1 -+ 2**-MARGIN)`` (``value`` finite, nonzero)."""
    sign, mantissa, exponent, bit_count = value._mpf_
    if not mantissa or bit_count < 0:
        raise AssertionError(f"the oracle's value {value!r} should be finite and nonzero here")
    w, t = FIELD_WIDTHS[name]
    emax = 2 ** (w - 1) - 1
    emin, p = 1 - emax, t + 1
    top = exponent + bit_count - 1  # 2**top <= |value| < 2**(top + 1)
    negative = (1 << (w + t)) if sign else 0
    if top > emax + 1:  # beyond 2**(emax + 2): inf (and no huge Fraction)
        return (negative | pattern_of_inf(name),) * 2
    if top <= emin - p - 1:  # below half the smallest subnormal 2**(emin - p + 1): a signed 0
        return (negative,) * 2
    ends = []
    for delta in (-int(mantissa), int(mantissa)):
        scaled = (int(mantissa) << MARGIN) + delta  # |value| (1 +- 2**-MARGIN) * 2**(MARGIN - exponent)
        shift = exponent - MARGIN
        magnitude = Fraction(scaled << shift) if shift >= 0 else Fraction(scaled, 1 << -shift)
        ends.append(negative | round_nearest_even(magnitude, name))
    return tuple(ends)


# --- The oracle's functions ------------------------------------------------------------

NAN = "nan"


def oracle_softplus(x):
    return x + mpmath.log1p(mpmath.exp(-x)) if x > 0 else mpmath.log1p(mpmath.exp(x))


def oracle_sigmoid(x):
    if x >= 0:
        return 1 / (1 + mpmath.exp(-x))
    e = mpmath.exp(x)
    return e / (1 + e)


# name: (reference's function, the oracle's, {special input: result}, the sign of f(±0))
FUNCTIONS = {
    "exp": (mpmath.exp, mpmath.exp, {np.inf: np.inf, -np.inf: 0.0}, None),
    "log1p": (mpmath.log1p, mpmath.log1p, {np.inf: np.inf, -np.inf: NAN}, "odd"),
    "sin": (mpmath.sin, mpmath.sin, {np.inf: NAN, -np.inf: NAN}, "odd"),
    "softplus": (functions.softplus, oracle_softplus, {np.inf: np.inf, -np.inf: 0.0}, None),
    "sigmoid": (functions.sigmoid, oracle_sigmoid, {np.inf: 1.0, -np.inf: 0.0}, None),
}


def special_pattern(value, format_name: str):
    """The pattern of a limit from the table: NAN, ``±inf`` or an exact float."""
    if value is NAN:
        return NAN
    if np.isinf(value):
        return pattern_of_inf(format_name) | ((1 << 15) if value < 0 else 0)
    return rounded_pattern(Fraction(value), format_name)


def oracle_pattern(function_name: str, x: float, format_name: str):
    """The oracle's bit pattern of ``function_name(x)`` in ``format_name``; NAN for nan."""
    _, formula, specials, zero_rule = FUNCTIONS[function_name]
    if np.isnan(x):
        return NAN
    if np.isinf(x):
        return special_pattern(specials[x], format_name)
    if function_name == "log1p" and x <= -1:
        return special_pattern(NAN if x < -1 else -np.inf, format_name)
    if x == 0 and zero_rule == "odd":  # f(±0) = ±0 for the odd functions through 0
        return (1 << 15) if np.signbit(x) else 0
    with mpmath.workprec(ORACLE_PRECISION):
        value = formula(mpmath.mpf(float(x)))
    low, high = enclosure_patterns(value, format_name)
    if low != high:
        raise AssertionError(f"oracle undecided: {function_name}({x!r}) in {format_name} "
                             f"at {ORACLE_PRECISION} bits (patterns {low:#06x}, {high:#06x})")
    return low


# --- Inputs ----------------------------------------------------------------------------


def every_input(dtype: np.dtype) -> np.ndarray:
    return np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(dtype)


def sampled_inputs(dtype: np.dtype, *, seed: int) -> np.ndarray:
    """Every special and boundary pattern (zeros, the smallest and largest subnormal,
    the smallest normal, 1, max, inf, nans), then a fixed-seed sample of the rest."""
    w, t = FIELD_WIDTHS[dtype.name]
    inf = pattern_of_inf(dtype.name)
    edges = [0, 1, 2, (1 << t) - 1, 1 << t, (1 << t) + 1, inf - 1, inf, inf + 1, inf | (1 << (t - 1))]
    one = np.array(1.0, dtype).view(np.uint16)
    edges += [int(one) - 1, int(one), int(one) + 1]
    edges += [e | 0x8000 for e in edges]
    rng = np.random.default_rng(seed)
    rest = rng.choice(2**16, SAMPLE_SIZE - len(edges), replace=False)
    return np.concatenate([np.array(edges, np.uint16), rest.astype(np.uint16)]).view(dtype)


# --- Comparing -------------------------------------------------------------------------


def assert_agrees_with_oracle(function_name: str, x: np.ndarray):
    __tracebackhide__ = True
    ours_fn = FUNCTIONS[function_name][0]
    got = reference.correctly_rounded(ours_fn, x)
    assert got.dtype == x.dtype, f"correctly_rounded returned {got.dtype}, not {x.dtype}"
    got_bits = got.view(np.uint16)
    mismatches = []
    for i, v in enumerate(x):
        expected = oracle_pattern(function_name, float(v), x.dtype.name)
        same = np.isnan(got[i]) if expected is NAN else int(got_bits[i]) == expected
        if not same:
            shown = "nan" if expected is NAN else repr(np.array(expected, np.uint16).view(x.dtype))
            mismatches.append(f"  x={v!r} (bits {int(x.view(np.uint16)[i]):#06x}): out={got[i]!r} "
                              f"(bits {int(got_bits[i]):#06x}), but should be {shown}")
    assert not mismatches, (
        f"{len(mismatches)} of {len(x)} differ [reference.correctly_rounded({function_name}, x) "
        f"in {x.dtype.name} vs the independent oracle]:\n" + "\n".join(mismatches[:8]))


@pytest.mark.parametrize("format_name", sorted(FORMATS_16))
@pytest.mark.parametrize("function_name", sorted(FUNCTIONS))
def test_agrees_with_the_oracle_on_boundaries_and_a_sample(function_name, format_name):
    dtype = FORMATS_16[format_name]
    assert_agrees_with_oracle(function_name, sampled_inputs(dtype, seed=len(function_name) + len(format_name)))


@pytest.mark.exhaustive
@pytest.mark.parametrize("format_name", sorted(FORMATS_16))
@pytest.mark.parametrize("function_name", sorted(FUNCTIONS))
def test_agrees_with_the_oracle_on_every_input(function_name, format_name):
    assert_agrees_with_oracle(function_name, every_input(FORMATS_16[format_name]))


# --- The oracle checked against single correct roundings of numpy and ml_dtypes ----------


@pytest.mark.parametrize("format_name, wide", [("float16", np.float64), ("bfloat16", np.float32)])
def test_oracle_rounding_agrees_with_single_roundings_of_numpy_and_ml_dtypes(format_name, wide):
    # numpy's float64 -> float16 and ml_dtypes' float32 -> bfloat16 each round once, to
    # nearest even; inputs near every tie, in the subnormal range and past max
    dtype = FORMATS_16[format_name]
    rng = np.random.default_rng(7)
    values = format_table(format_name)[0]
    anchors = np.array([float(v) for v in values[1:]], wide)
    ties = (anchors[:-1] / 2 + anchors[1:] / 2).astype(wide)  # exact midpoints (within range)
    nudged = np.concatenate([ties, np.nextafter(ties, wide(0)), np.nextafter(ties, wide(np.inf))])
    finite_max = float(values[-1])
    over = np.array([finite_max * (1 + 2.0 ** -(FIELD_WIDTHS[format_name][1] + 2)),
                     finite_max * (1 + 2.0 ** -(FIELD_WIDTHS[format_name][1] + 1))], wide)
    x = np.concatenate([rng.choice(nudged, 4000, replace=False), over, -over, -ties[:50]])
    with np.errstate(over="ignore"):  # past the threshold is meant to overflow to inf
        expected = x.astype(dtype).view(np.uint16)
    got = [rounded_pattern(Fraction(float(v)), format_name) for v in x]
    bad = [(v, g, int(e)) for v, g, e in zip(x, got, expected) if g != e]
    assert not bad, f"{len(bad)} of {len(x)}: the oracle's rounding differs from numpy/ml_dtypes, e.g. {bad[:3]}"


# --- Rounding and ulps at the format's boundaries -----------------------------------------


def identity(x):
    return x


def plus(x, y):
    return x + y


def edges(name: str):
    fmt = reference.float_format(name)
    return fmt, fmt.smallest_subnormal, fmt.smallest_normal, fmt.max, 2.0 ** fmt.ulp_exponent(fmt.emax)


@pytest.mark.parametrize("name", sorted(FORMATS_16))
def test_rounding_at_the_boundaries_is_exact(name):
    fmt, tiny, normal, big, big_ulp = edges(name)
    exact = np.array([tiny / 2, tiny / 2 * 3, -tiny / 4, normal - tiny / 2, big + big_ulp / 2, big + big_ulp / 4,
                      -(big + big_ulp / 2)], np.float64)
    expected = np.array([0.0, 2 * tiny, -0.0, normal, np.inf, big, -np.inf], np.float64)
    got = reference.correctly_rounded(identity, exact, dtype=name)
    wanted = expected.astype(FORMATS_16[name])
    assert (got.view(np.uint16) == wanted.view(np.uint16)).all(), (
        f"out={got!r}, but should be {wanted!r} [correctly_rounded(identity, {exact!r}, dtype={name!r})]")
    # max + ulp/2 less a hair rounds down: the overflow threshold is exact, not float32's
    below = reference.correctly_rounded(plus, np.float64(big + big_ulp / 2), np.float64(-2.0**-1000), dtype=name)
    assert float(below) == big, f"out={below!r}, but should be {big!r} [max + ulp/2 - 2**-1000 in {name}]"


def test_bfloat16_is_rounded_once_not_through_float32():
    x = np.float64(1 + 2.0**-8 + 2.0**-30)  # above the bfloat16 tie 1 + 2**-8, by less than float32 resolves
    direct = reference.correctly_rounded(identity, x, dtype="bfloat16")
    through_float32 = np.float32(x).astype(BF16)
    assert float(direct) == 1 + 2.0**-7, f"out={direct!r}, but should be {1 + 2.0**-7!r} [bfloat16({x!r})]"
    assert float(through_float32) == 1.0, "the double rounding this test guards against did not happen"


@pytest.mark.parametrize("name", sorted(FORMATS_16))
def test_ulp_error_at_the_boundaries(name):
    dtype = FORMATS_16[name]
    fmt, tiny, normal, big, big_ulp = edges(name)
    largest_subnormal = normal - tiny
    cases = [  # (actual, exact args of plus, expected ulps)
        (tiny, (0.0, 0.0), 1.0),                      # one smallest subnormal above 0
        (0.0, (tiny, 0.0), 1.0),
        (largest_subnormal, (normal, 0.0), 1.0),      # ulp at the smallest normal is the subnormals'
        (normal, (largest_subnormal, 0.0), 1.0),
        (big, (big, big_ulp / 2), 0.5),               # the overflow threshold, measured in max's ulp
        (np.inf, (big, big_ulp / 2), 0.0),            # ... which rounds to inf: inf is right
        (np.inf, (big, big_ulp / 4), np.inf),         # ... and below it inf is wrong
        (1.0, (1.0, -(2.0 ** -(fmt.precision + 1))), 0.5),  # just below 1 the ulp is 2**-p
        (1.0, (1.0, 2.0 ** -fmt.precision), 0.5),     # just above 1 it is 2**(1 - p)
    ]
    for actual, (a, b), expected in cases:
        got = float(reference.ulp_error(np.array(actual, dtype), plus, np.float64(a), np.float64(b)))
        assert got == expected, (f"ulp_error={got!r}, but should be {expected!r} "
                                 f"[ulp_error({dtype.name}({actual!r}), plus, {a!r}, {b!r})]")


@pytest.mark.parametrize("name", sorted(FORMATS_16))
def test_ulp_of_the_edges(name):
    dtype = FORMATS_16[name]
    fmt, tiny, normal, big, big_ulp = edges(name)
    x = np.array([0.0, tiny, normal - tiny, normal, 1.0, big, -big], dtype)
    expected = np.array([tiny, tiny, tiny, tiny, 2.0 ** (1 - fmt.precision), big_ulp, big_ulp], np.float64)
    got = reference.ulp(x).astype(np.float64)
    assert (got == expected).all(), f"out={got!r}, but should be {expected!r} [reference.ulp({x!r})]"
