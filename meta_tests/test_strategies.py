"""The strategies reach the regimes they claim, often: single values, and pairs
for binary ops (near the zero curve of logaddexp, where its value cancels)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings

from properties import strategies
from properties.ops import SOFTPLUS

SAMPLES = 4096


def _share(predicate, values):
    return sum(map(predicate, values)) / len(values)


def _draw(strategy, as_list) -> list:
    """``as_list`` of every example of ``strategy`` over about SAMPLES elements, derandomized."""
    out = []

    @settings(max_examples=SAMPLES // strategies.BATCH + 1, database=None, derandomize=True)
    @given(strategy)
    def collect(example):
        out.extend(as_list(example))

    collect()
    return out


@pytest.fixture(scope="module", params=["float32", "float64"])
def drawn(request):
    """The elements the regimes decode from SAMPLES elements' worth of uniform bytes
    (seeded), less those of the ``hypothesis`` regime: the shares of the strategies'
    own design, the same in every process. (Hypothesis' choices are not: derandomized,
    they still depend on the constants of the modules a process has loaded, and a
    share measured through them moved from 1.1% to 0.34% between two runs.)"""
    dtype = request.param
    values, regimes = _decoded(dtype)
    return dtype, values[regimes != "hypothesis"].tolist()


def _decoded(dtype, regime=None):
    """SAMPLES elements decoded from seeded uniform bytes (the ``hypothesis`` regime's
    array all 0), and each one's regime."""
    width = np.dtype(dtype).itemsize
    decode = strategies._regime_decoder(dtype, SOFTPLUS, (SAMPLES,), True, regime)
    data = np.random.default_rng(0).integers(0, 256, SAMPLES * (1 + width), dtype=np.uint8)
    values = decode((data.tobytes(), np.zeros(SAMPLES, dtype)))
    regimes = np.array(strategies.REGIMES)[data.reshape(SAMPLES, 1 + width)[:, 0]
                                           % len(strategies.REGIMES)]
    return values, regimes if regime is None else np.full(SAMPLES, regime)


def test_special_values_are_exact_and_simplest_first():
    for dtype in ("float32", "float64"):
        v = strategies.special_values(dtype, SOFTPLUS)
        assert v.dtype == np.dtype(dtype)
        assert v[0] == 0 and not np.signbit(v[0]) and np.signbit(v[1]) and v[1] == 0, v[:2]
        assert np.isnan(v[-1]) and v[-3:-1].tolist() == [math.inf, -math.inf], v[-3:]


#: name: (predicate on a value given the dtype's finfo, minimum share of decoded
#: elements). Shares measured on the seeded bytes of :func:`drawn` (float32 / float64):
#: zero 3.1% / 3.4%, subnormal 24% / 23%, largest finite 1.3% / 1.1%, nonfinite
#: 0.7% / 0.6%, exp band 10% / 11%, 10..40 14% / 14%, 1e-3..10 17% / 15%,
#: > 1e30 3.5% / 9.6%. Minimums are about half, so a regime that stops being
#: generated fails. Zero and nonfinite are set from these figures (they were 4% and
#: 0.5% when the shares were measured through Hypothesis, whose own floats and
#: all-zero first example add about 10 and 1 points of them, in every process
#: differently).
REGIMES = {
    "zero": (lambda v, i: v == 0, 0.015),
    "subnormal": (lambda v, i: 0 < abs(v) < i.smallest_normal, 0.08),
    "largest finite": (lambda v, i: abs(v) == i.max, 0.005),
    "nonfinite": (lambda v, i: not math.isfinite(v), 0.003),
    "exp overflow/underflow band": (lambda v, i: 0.95 * math.log(i.max) < abs(v) < 1.2 * math.log(i.max), 0.04),
    "softplus branch region 10..40": (lambda v, i: 10 <= abs(v) <= 40, 0.07),
    "ordinary middle 1e-3..10": (lambda v, i: 1e-3 <= abs(v) <= 10, 0.04),
    "huge > 1e30": (lambda v, i: math.isfinite(v) and abs(v) > 1e30, 0.01),
}


@pytest.mark.parametrize("regime", list(REGIMES))
def test_each_regime_is_reached_often(drawn, regime):
    dtype, values = drawn
    info = np.finfo(dtype)
    predicate, minimum = REGIMES[regime]
    share = _share(lambda v: predicate(v, info), values)
    assert share >= minimum, (f"{regime} ({dtype}): {share:.2%} of {len(values)} drawn "
                              f"elements, but should be at least {minimum:.1%}")


@pytest.fixture(scope="module", params=["float32", "float64"])
def drawn_pairs(request):
    from properties.ops import LOGADDEXP
    dtype = request.param
    return dtype, _draw(strategies.pairs(dtype, op=LOGADDEXP),
                        lambda xy: zip(xy[0].tolist(), xy[1].tolist()))


def _logaddexp_magnitude(x, y):
    import mpmath
    with mpmath.workprec(300):
        return abs(mpmath.log(mpmath.exp(x) + mpmath.exp(y)))


#: name: (predicate on a pair (x, y), minimum share). Shares measured over 4160
#: derandomized pairs (float32 / float64): near the zero curve, |logaddexp| <
#: 2^-20, 15% / 18%; equal arguments 11% / 12%. (Every pair of infinities is in
#: special_pairs, checked by test_special_values_within_ulp_budget.)
PAIR_REGIMES = {
    "near the zero curve: |logaddexp(x, y)| < 2^-20": (
        lambda x, y: all(map(math.isfinite, (x, y))) and max(x, y) < 1
        and _logaddexp_magnitude(x, y) < 2.0**-20, 0.08),
    "equal arguments": (lambda x, y: x == y, 0.07),
}


@pytest.mark.parametrize("regime", list(PAIR_REGIMES))
def test_each_pair_regime_is_reached_often(drawn_pairs, regime):
    dtype, pairs = drawn_pairs
    predicate, minimum = PAIR_REGIMES[regime]
    share = _share(lambda p: predicate(*p), pairs)
    assert share >= minimum, (f"{regime} ({dtype}): {share:.2%} of {len(pairs)} drawn "
                              f"pairs, but should be at least {minimum:.1%}")


def _nextafter_steps(dtype, value, steps):
    x, toward = np.array(value, dtype), np.array(math.copysign(math.inf, steps), dtype)
    with np.errstate(over="ignore"):
        for _ in range(abs(steps)):
            x = np.nextafter(x, toward)
    return x


def _bits(a: np.ndarray) -> np.ndarray:
    return a.view(f"u{a.itemsize}")


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_stepping_by_ulps_is_bit_for_bit_nextafter(dtype):
    """The vectorised ULP steps of near_special and the pair edits move every value as
    that many np.nextafter calls do: through ±0 with its sign, onto and off ±inf."""
    values = np.concatenate([strategies.special_values(dtype, SOFTPLUS),
                             np.random.default_rng(0).standard_normal(50).astype(dtype) * 1e3])
    values = values[~np.isnan(values)]
    for k in (-5, -1, 1, 2, 5):
        got = strategies._near_all(dtype, values, k)
        want = np.array([_nextafter_steps(dtype, v, k) for v in values], dtype)
        differ = np.flatnonzero(_bits(got) != _bits(want))
        assert differ.size == 0, (f"{dtype}, {k} steps: at {values[differ][:5]} got "
                                  f"{got[differ][:5]}, np.nextafter gives {want[differ][:5]}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("regime", strategies.REGIMES)
def test_each_regime_draws_what_it_says(dtype, regime):
    """Every value one regime decodes (from seeded bytes, as :func:`drawn`) is of that
    regime: a special value (every one of them reached), a finite value within 4 ULPs
    of a finite special, inside the band, finite, subnormal; the continuous ones many
    distinct values. (The strategy a regime names, drawn through Hypothesis, is
    checked in test_a_regime_strategy_draws_only_that_regime.)"""
    info = np.finfo(dtype)
    specials = strategies.special_values(dtype, SOFTPLUS)
    values, _ = _decoded(dtype, regime)
    if regime == "special":
        ok = np.isin(_bits(values), _bits(specials))
        missed = specials[~np.isin(_bits(specials), _bits(values))]
        assert missed.size == 0, f"special ({dtype}): {missed} never drawn in {values.size}"
    elif regime == "near_special":
        near = np.concatenate([strategies._near_all(dtype, specials[np.isfinite(specials)], k)
                               for k in range(-4, 5)])
        ok = np.isin(values, near) & np.isfinite(values)
    elif regime == "branch_band":
        ok = np.abs(values) <= float(np.array(1.1 * math.log(float(info.max)), dtype))
    elif regime == "any_bits":
        ok = np.isfinite(values)
    elif regime == "subnormal":
        ok = (values != 0) & (np.abs(values) < info.smallest_normal)
    else:  # hypothesis: Hypothesis' own floats, anything of the dtype
        ok = np.ones(values.shape, bool)
    assert ok.all(), (f"{regime} ({dtype}): {values[~ok][:5]} are not of the regime "
                      f"({np.count_nonzero(~ok)} of {values.size})")
    if regime in ("branch_band", "any_bits", "subnormal"):
        distinct = np.unique(values).size
        assert distinct > values.size // 4, (f"{regime} ({dtype}): only {distinct} distinct "
                                             f"values of {values.size}")


@pytest.mark.parametrize("regime", ["near_special", "subnormal"])
def test_a_regime_strategy_draws_only_that_regime(regime):
    """``floats(regime=...)`` through Hypothesis gives that regime's values only."""
    values = np.array(_draw(strategies.floats("float64", op=SOFTPLUS, regime=regime),
                            lambda v: [v]), np.float64)
    if regime == "subnormal":
        ok = (values != 0) & (np.abs(values) < np.finfo(np.float64).smallest_normal)
    else:
        specials = strategies.special_values("float64", SOFTPLUS)
        near = np.concatenate([strategies._near_all("float64", specials[np.isfinite(specials)], k)
                               for k in range(-4, 5)])
        ok = np.isin(values, near)
    assert ok.all(), f"floats(regime={regime!r}) drew {values[~ok][:5]}"
