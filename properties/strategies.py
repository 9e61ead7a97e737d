"""Hypothesis strategies for float16 to float64 inputs that reach the extremes often.

Every array element comes from one of six regimes, with equal weight: the
regimes where custom rules break and the ordinary middle of the range, which
matters as much:

- ``special``: the values of :func:`special_values`, listed simplest first so
  that failures shrink to them (0, -0, 1, -1, ... inf, -inf, nan); half of them
  the first eight;
- ``near_special``: up to 4 ULPs either side of a finite special value or branch
  point (uniform over the value and the step);
- ``branch_band``: the band where formulas switch branches and exp
  under/overflows (|x| <= 1.1 * log(max)): half uniform over it, a quarter
  log-uniform in magnitude over its top 24 binades (the ordinary middle, 1e-3..10,
  is 1.3% of the float64 band's width), a quarter uniform over the edge where exp
  under/overflows, 0.9..1.1 * log(max);
- ``any_bits``: uniform over bit patterns, i.e. log-uniform in magnitude across
  the whole range, both signs, subnormals included (no nan/inf); an eighth of
  them are the range's boundary patterns (smallest and largest subnormal, smallest
  normal, largest finite), as Hypothesis' integers favour their bounds;
- ``subnormal``: log-uniform over the subnormal range (uniform over the bit length
  of the pattern, then over the patterns of that length), both signs: inputs that
  XLA on CPU reads as 0 (uniform bit patterns are subnormal 0.4% of the time in
  float32, 0.05% in float64);
- ``hypothesis``: Hypothesis' own ``from_dtype`` floats, which favour their own
  boundary values (an array of them from ``hypothesis.extra.numpy.arrays``).

How an array is drawn (:func:`_regime_arrays`): one ``st.binary`` of a regime byte
and a payload of the dtype's width per element, decoded with NumPy, plus the
``hypothesis`` regime's own array. That is two draws an array, where an element
strategy (``st.one_of`` of the five, each element drawn alone) was about four
draws an element: 31 ms of Hypothesis' bookkeeping a batch of 64 (3.6 ms now, on the
2-core EPYC), half of an accuracy test's time. Shrinking still ends at the simplest inputs: a
shrunk byte is a smaller regime, special-value index or payload, and all-zero
bytes decode to 0.0.

Batches have a fixed shape (:data:`BATCH`), so a compiled rule is reused for
every example.

>>> batches(np.float32, op=OPS["softplus"]).example().shape
(64,)
"""

from __future__ import annotations

import functools
import math

import hypothesis.extra.numpy as hnp
import ml_dtypes
import numpy as np
from hypothesis import strategies as st

from properties.ops import OPS, OpSpec

#: Elements per example: one compilation per (rule, order, mode, dtype).
BATCH = 64

#: Regime names, for measuring what the strategies reach (see meta_tests).
REGIMES = ("special", "near_special", "branch_band", "any_bits", "subnormal", "hypothesis")

_UINT = {"float16": np.uint16, "bfloat16": np.uint16, "float32": np.uint32, "float64": np.uint64}


def _dtype_name(dtype) -> str:
    name = np.dtype(dtype).name
    if name not in _UINT:
        raise TypeError(f"dtype must be float16, bfloat16, float32 or float64, got {dtype!r}")
    return name


def special_values(dtype, op: OpSpec | None = None) -> np.ndarray:
    """The special inputs of ``dtype`` (and ``op``'s branch points), simplest first.

    ±0, ±1, ±2, ±0.5, the smallest subnormal, the largest subnormal, the
    smallest normal, the largest finite value, ±1/eps, the op's branch points
    (both signs), ±inf, nan. Values are exact in ``dtype``; duplicates removed.
    """
    name = _dtype_name(dtype)
    info = ml_dtypes.finfo(name)  # numpy's finfo knows no bfloat16
    values = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5]
    edges = [info.smallest_subnormal, np.nextafter(info.smallest_normal, np.zeros((), name)),
             info.smallest_normal, info.max, 1 / info.eps, 1 / info.eps * 2]
    values += [s * float(e) for e in edges for s in (1, -1)]
    if op is not None:
        values += [s * p for p in op.branch_points.get(name, ()) for s in (1, -1)]
    values += [math.inf, -math.inf, math.nan]
    out, seen = [], set()
    for v in np.array(values, dtype=name):
        key = v.tobytes()
        if key not in seen:
            seen.add(key)
            out.append(v)
    return np.array(out, dtype=name)


def _ordered(name: str, values: np.ndarray) -> np.ndarray:
    """Float bit patterns as integers in the floats' order, ±0 both 0 (as
    ``np.nextafter`` steps: the step below 0 is the negative smallest subnormal)."""
    bits = values.view(_UINT[name]).astype(np.uint64)
    shift = np.uint64(np.dtype(_UINT[name]).itemsize * 8 - 1)
    magnitude = (bits & ((np.uint64(1) << shift) - np.uint64(1))).astype(np.int64)
    return np.where((bits >> shift) != 0, -magnitude, magnitude)


def _unordered(name: str, ordered: np.ndarray) -> np.ndarray:
    shift = np.uint64(np.dtype(_UINT[name]).itemsize * 8 - 1)
    magnitude = np.abs(ordered).astype(np.uint64)
    bits = np.where(ordered < 0, magnitude | (np.uint64(1) << shift), magnitude)
    return bits.astype(_UINT[name]).view(name)


def _near(name: str, value: float, steps: int) -> float:
    """``value`` moved by ``steps`` ULPs (through zero, never past ±inf)."""
    return float(_near_all(name, np.array([value], dtype=name), steps)[0])


def _near_all(name: str, values: np.ndarray, steps: int) -> np.ndarray:
    """Each value of ``values`` moved by ``steps`` ULPs, bit for bit as ``steps``
    calls of ``np.nextafter`` toward ±inf move it: through zero (a landing on zero
    keeps the start's sign), never past ±inf; nan stays."""
    values = np.asarray(values, dtype=name)
    if steps == 0:
        return values.copy()
    top = int(_ordered(name, np.array([math.inf], dtype=name))[0])
    moved = _unordered(name, np.clip(_ordered(name, values) + steps, -top, top))
    moved = np.where(moved == 0, np.copysign(np.zeros((), name), values), moved)
    return np.where(np.isnan(values), values, moved).astype(name)


def _near_table(name: str, finite_specials: np.ndarray) -> np.ndarray:
    """``near_special``'s values: every finite special moved -4..4 ULPs (one entry per
    value and step, so that a uniform index is uniform over both), the finite ones,
    ordered by the step's size, then the special's rank: simplest first."""
    rows = [_near_all(name, finite_specials, k) for k in (0, 1, -1, 2, -2, 3, -3, 4, -4)]
    table = np.concatenate(rows)
    return table[np.isfinite(table)]


def _regime_arrays(name: str, op: OpSpec | None, shape: tuple[int, ...], allow_nonfinite: bool,
                   regime: str | None = None) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` whose elements mix :data:`REGIMES` (only ``regime``, if given):
    one ``st.binary`` of a regime byte and a payload per element, decoded by
    :func:`_regime_decoder`, and, for the ``hypothesis`` regime, an array drawn with
    ``hypothesis.extra.numpy.arrays`` from ``from_dtype``.
    """
    if regime is not None and regime not in REGIMES:
        raise ValueError(f"regime must be one of {REGIMES}, got {regime!r}")
    width = np.dtype(_UINT[name]).itemsize
    size = math.prod(shape)
    decode = _regime_decoder(name, op, shape, allow_nonfinite, regime)
    own_dtype = np.dtype("float32" if name == "bfloat16" else name)  # from_dtype knows no bfloat16
    raw = st.binary(min_size=size * (1 + width), max_size=size * (1 + width))
    if regime not in (None, "hypothesis"):  # an array left unused would only repeat examples
        return raw.map(lambda data: decode((data, np.zeros(shape, own_dtype))))
    own = hnp.arrays(own_dtype, shape,
                     elements=hnp.from_dtype(own_dtype, allow_nan=allow_nonfinite,
                                             allow_infinity=allow_nonfinite))
    return st.tuples(raw, own).map(decode)


def _regime_decoder(name: str, op: OpSpec | None, shape: tuple[int, ...], allow_nonfinite: bool,
                    regime: str | None = None):
    """:func:`_regime_arrays`' decoder: ``(bytes, hypothesis array) -> array of shape``, a
    pure function of its input (so that the regimes' shares can be measured on uniform
    bytes, deterministically; Hypothesis' own choices depend on the process, e.g. on the
    constants of the modules it has loaded).

    One ``st.binary`` holds, per element, a regime byte (its value mod 6 indexes
    :data:`REGIMES`, so the first four come up 43 times in 256 and the last two 42)
    and a payload of the dtype's width ``w`` bits, big-endian. The payload picks the
    ``near_special`` value (mod the table's length), and the ``special`` one: with its
    top bit set, one of the first 8 (±0, ±1, ±2, ±0.5, where signs of zero and
    conventions live), else any (the rest of the payload mod their number); for
    ``branch_band`` its top bit is the sign, the next two the part (uniform twice,
    log-uniform, edge), and the rest the fraction of the band, of its 24 binades or
    of the edge; for ``any_bits``, the top bit is the sign and the rest, mod the
    largest finite pattern plus one, the magnitude's bits (uniform up to that
    modulus' bias: the lowest ``2^(w-1) mod (max+1)`` patterns, subnormals, come up
    twice as often), except that where the low three bits are 0 the next two pick a
    boundary pattern; for ``subnormal``, the top bit is the sign, the low byte mod
    the mantissa's width ``p`` the bit length ``L`` in ``1..p``, and the bits between
    them, below the leading one, the rest of the pattern. ``hypothesis`` elements are
    the element at the same index of the drawn array of ``from_dtype`` floats (for
    bfloat16, which it does not know, float32 rounded to bfloat16).
    """
    info = ml_dtypes.finfo(name)
    specials = special_values(name, op)
    if not allow_nonfinite:
        specials = specials[np.isfinite(specials)]
    near = _near_table(name, specials[np.isfinite(specials)])
    band = float(np.array(1.1 * math.log(float(info.max)), dtype=name))
    width = np.dtype(_UINT[name]).itemsize
    bits = 8 * width
    max_finite_bits = int(np.array(info.max, dtype=name).view(_UINT[name]))
    mantissa_bits = int(info.nmant)
    boundaries = np.array([info.smallest_subnormal, np.nextafter(info.smallest_normal, np.zeros((), name)),
                           info.smallest_normal, info.max], dtype=name)
    size = math.prod(shape)

    def decode(drawn: tuple[bytes, np.ndarray]) -> np.ndarray:
        data, theirs = drawn
        with np.errstate(over="ignore"):
            theirs = np.asarray(theirs).reshape(-1).astype(name)
        if not allow_nonfinite:  # float32 beyond bfloat16's range rounds to ±inf
            theirs = np.where(np.isinf(theirs), np.copysign(info.max, theirs), theirs).astype(name)
        b = np.frombuffer(data, np.uint8).reshape(size, 1 + width)
        which = (b[:, 0] % len(REGIMES) if regime is None
                 else np.full(size, REGIMES.index(regime), np.uint8))
        payload = np.zeros(size, np.uint64)
        for j in range(width):
            payload = (payload << np.uint64(8)) | b[:, 1 + j].astype(np.uint64)
        top = np.uint64(1) << np.uint64(bits - 1)
        negative, rest = (payload & top) != 0, payload & (top - np.uint64(1))
        with np.errstate(over="ignore"):
            quarter = np.uint64(1) << np.uint64(bits - 3)
            part = rest >> np.uint64(bits - 3)
            fraction = (rest & (quarter - np.uint64(1))).astype(np.float64) / float(quarter)
            magnitude = np.select([part == 2, part == 3],
                                  [2.0 ** (-24 * fraction), (0.9 + 0.2 * fraction) / 1.1],
                                  fraction)
            banded = np.array(band * magnitude, dtype=name)
            any_bits = np.where(
                (payload & np.uint64(7)) == 0,
                boundaries[((payload >> np.uint64(3)) & np.uint64(3)).astype(np.intp)],
                (rest % np.uint64(max_finite_bits + 1)).astype(_UINT[name]).view(name))
            length = np.uint64(1) + (payload & np.uint64(0xFF)) % np.uint64(mantissa_bits)
            lead = np.uint64(1) << (length - np.uint64(1))
            tiny = (lead | ((rest >> np.uint64(8)) & (lead - np.uint64(1)))).astype(
                _UINT[name]).view(name)
        signed = lambda v: np.where(negative, -v, v)
        out = np.select(
            [which == 0, which == 1, which == 2, which == 3, which == 4],
            [specials[np.where(negative, (rest % np.uint64(min(8, specials.size))),
                               rest % np.uint64(specials.size)).astype(np.intp)],
             near[(payload % np.uint64(near.size)).astype(np.intp)],
             signed(banded), signed(any_bits), signed(tiny)],
            theirs).astype(name)
        return out.reshape(shape)

    return decode


def floats(dtype, *, op: OpSpec | None = None, regime: str | None = None,
           allow_nonfinite: bool = True) -> st.SearchStrategy[float]:
    """Scalar inputs of ``dtype``, mixing the regimes of this module.

    - ``op``: add its branch points to the special values.
    - ``regime``: only that regime (one of :data:`REGIMES`), for measurements.
    - ``allow_nonfinite``: include ±inf and nan (only in ``special``).
    """
    name = _dtype_name(dtype)
    return _regime_arrays(name, op, (), allow_nonfinite, regime).map(lambda a: float(a[()]))


def batches(dtype, *, op: OpSpec | None = None, shape: tuple[int, ...] = (BATCH,),
            allow_nonfinite: bool = True) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` (default ``(BATCH,)``) whose elements mix the regimes
    (:func:`_regime_arrays`).

    One strategy object per argument set (:data:`_BATCHES`): the properties draw from
    here on every example, and Hypothesis validates a strategy object the first time
    it is drawn from, which for a new one each example was a tenth of the suite's
    random search."""
    name = _dtype_name(dtype)
    key = (name, None if op is None else id(op), tuple(shape), allow_nonfinite)
    if key not in _BATCHES:
        _BATCHES[key] = (op, _regime_arrays(name, op, tuple(shape), allow_nonfinite))
    return _BATCHES[key][1]


#: :func:`batches`' strategies by (dtype name, ``id(op)``, shape, allow_nonfinite), each
#: kept with its op (so that the id is not reused while the entry lives).
_BATCHES: dict[tuple, tuple[OpSpec | None, st.SearchStrategy[np.ndarray]]] = {}


def scales(dtype) -> st.SearchStrategy[float]:
    """Scalars to scale a cotangent/tangent by: 0, ±1, ordinary values, large and small."""
    name = _dtype_name(dtype)
    fixed = [0.0, 1.0, -1.0, 2.0, -0.5, 3.0, -7.25, 1e3, -1e6, 1e-3, 1e30, -1e-30]
    return st.one_of(st.sampled_from(fixed),
                     st.floats(-1e6, 1e6, width=np.finfo(name).bits))


# --- binary ops --------------------------------------------------------------

#: Shapes of the two arguments of a binary op in broadcasting properties: each
#: pair broadcasts to a different layout; fixed, so compilations stay bounded.
BROADCAST_SHAPES: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((3, 1), (1, 8)),
    ((), (8,)),
    ((8,), ()),
    ((3, 8), (8,)),
    ((1, 8), (3, 8)),
)

_CORE = (0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan)


def special_pairs(dtype, op: OpSpec) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(x, y)`` where binary rules break, simplest first.

    - every pair of 0, -0, ±1, ±max, ±smallest subnormal, ±inf and nan
      (``(-inf, -inf)``, ``(inf, inf)``, ``(inf, -inf)`` among them);
    - each special value ``s`` of :func:`special_values` (the op's branch
      points included) as ``(s, s)`` (equal arguments, huge equal ones
      included), ``(s, 0)``, ``(0, s)``, ``(s, -s)`` and ``(s, next(s))``.

    Returns two arrays of ``dtype`` of equal length.
    """
    name = _dtype_name(dtype)
    info = ml_dtypes.finfo(name)
    core = list(_CORE[:4]) + [float(info.max), -float(info.max), float(info.smallest_subnormal),
                              -float(info.smallest_subnormal)] + list(_CORE[4:])
    pairs = [(a, b) for a in core for b in core]
    specials = [float(v) for v in special_values(name, op)]
    for s in specials:
        pairs += [(s, s), (s, 0.0), (0.0, s), (s, -s)]
        if math.isfinite(s):
            pairs.append((s, _near(name, s, 1)))
    out, seen = [], set()
    for a, b in pairs:
        pair = np.array([a, b], dtype=name)
        key = pair.tobytes()
        if key not in seen:
            seen.add(key)
            out.append(pair)
    both = np.array(out, dtype=name)
    return both[:, 0].copy(), both[:, 1].copy()


@st.composite
def pairs(draw, dtype, *, op: OpSpec, shape: tuple[int, ...] = (BATCH,),
          allow_nonfinite: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays of ``shape`` for a binary op: one :func:`batches` array of both, then a
    drawn share of elements tied (:func:`_ties`: ``y = x``, ``y = -x`` or ``y`` = a few
    ULPs from ``x``, where cancellation lives), and, for an op with a ``zero_curve``, a
    drawn share of pairs on that curve or a few ULPs off it, either way round."""
    name = _dtype_name(dtype)
    # x and y as one array, one draw: drawn apart, Hypothesis' mutations copied x's bytes
    # into y's in about a fifth of the pairs (40% of the pairs equal)
    both = draw(batches(name, op=op, shape=(2,) + tuple(shape), allow_nonfinite=allow_nonfinite),
                label="x, y")
    x, y = both[0].copy(), both[1].copy()
    flat_x, flat_y = x.reshape(-1), y.reshape(-1)
    on_curve_strategy, ties_strategy = _pair_edits(name, op, flat_x.size)
    if op.zero_curve is not None and flat_x.size:
        for i, (a, b) in draw(on_curve_strategy, label="zero curve"):
            flat_x[i], flat_y[i] = a, b
    flat_y[:] = _ties(name, flat_x, flat_y, draw(ties_strategy, label="ties"))
    return x, flat_y.reshape(x.shape)


def _ties(name: str, x: np.ndarray, y: np.ndarray, codes: bytes) -> np.ndarray:
    """``y`` with elements tied to ``x`` by one byte each of ``codes``: 0..191 untouched
    (75%), 192..223 ``y = x`` (12.5%), 224..239 ``y = -x`` (6.25%), 240..255 ``y`` =
    ``x`` moved -3..-1 or 1..3 ULPs (6.25%; nonfinite ``x`` stays). A byte shrinks
    toward untouched."""
    b = np.frombuffer(codes, np.uint8)
    out = y.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.where((b >= 192) & (b < 224), x, out)
        out = np.where((b >= 224) & (b < 240), -x, out)
        for k, steps in enumerate((-3, -2, -1, 1, 2, 3)):
            near = (b >= 240) & ((b - 240) % 6 == k)
            if near.any():
                out = np.where(near, _near_all(name, x, steps), out)
    return out.astype(name)


def _pair_edits(name: str, op: OpSpec, size: int):
    """:func:`pairs`' two list strategies for ``size`` elements (pairs put on the zero
    curve, ties), built once per argument set, as :func:`batches` is."""
    key = (name, id(op), size)
    if key not in _PAIR_EDITS:
        on_curve = None
        if op.zero_curve is not None and size:
            on_curve = st.lists(st.tuples(st.integers(0, size - 1), zero_curve_pairs(name, op)),
                                max_size=size // 4)
        ties = st.binary(min_size=size, max_size=size)  # one code byte a pair (_ties)
        _PAIR_EDITS[key] = (op, (on_curve, ties))
    return _PAIR_EDITS[key][1]


_PAIR_EDITS: dict[tuple, tuple[OpSpec, tuple]] = {}


def zero_curve_ends(op: OpSpec) -> list[tuple[float, float]]:
    """The finite ends of ``op.zero_curve``'s range of x, each with the direction into
    the range (from 0 either way if both ends are infinite)."""
    lo, hi, _ = op.zero_curve
    return [(e, d) for e, d in ((hi, -1.0), (lo, 1.0)) if math.isfinite(e)] or [(0.0, -1.0), (0.0, 1.0)]


def zero_curve_pair(dtype, op: OpSpec, end: tuple[float, float], magnitude_log2: float,
                    steps: int, swap: bool) -> tuple[float, float]:
    """The pair ``(x, y)`` on ``op.zero_curve`` at ``x = end + direction * 2^magnitude_log2``
    (``y = y_of(x)`` rounded to ``dtype``), ``y`` moved ``steps`` ULPs, swapped if ``swap``;
    ``(nan, nan)`` where ``x`` falls outside the curve's range."""
    name = _dtype_name(dtype)
    lo, hi, y_of = op.zero_curve
    x = float(np.array(end[0] + end[1] * 2.0 ** magnitude_log2, dtype=name))
    if not lo < x < hi:
        return math.nan, math.nan
    with np.errstate(all="ignore"):
        y = _near(name, float(np.array(y_of(np.float64(x)), dtype=name)), steps)
    return (y, x) if swap else (x, y)


def zero_curve_pairs(dtype, op: OpSpec) -> st.SearchStrategy[tuple[float, float]]:
    """Pairs ``(x, y)`` on ``op.zero_curve`` or up to 3 ULPs off it, either way round
    (:func:`zero_curve_pair`), ``x`` at a log-uniform distance from ``2^-40`` to ``2^6``
    inside a finite end of the curve's range."""
    build = functools.partial(zero_curve_pair, _dtype_name(dtype), op)
    return st.builds(build, st.sampled_from(zero_curve_ends(op)), st.floats(-40, 6),
                     st.integers(-3, 3), st.booleans()).filter(lambda p: all(map(math.isfinite, p)))


def arguments(dtype, *, op: OpSpec, shape: tuple[int, ...] = (BATCH,),
              allow_nonfinite: bool = True) -> st.SearchStrategy[tuple[np.ndarray, ...]]:
    """One array of ``shape`` per argument of ``op``: ``(x,)`` or ``(x, y)``."""
    if op.arity == 1:
        return batches(dtype, op=op, shape=shape, allow_nonfinite=allow_nonfinite).map(
            lambda x: (x,))
    return pairs(dtype, op=op, shape=shape, allow_nonfinite=allow_nonfinite)
