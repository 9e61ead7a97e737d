"""The report's second part: every other registered op, the target beside its peers.

Softplus has the first part (its own fast reference, the tutorial's table, the
exhaustive sweep). Here each op of :data:`properties.ops.OPS` that the target or
a peer implements gets one table per dtype: each implementation, each
derivative it has a reference for, each mode, measured against
:func:`reference.correctly_rounded` / :func:`reference.ulp_error` (mpmath) on a
small seeded input set:

- unary ops: the special values and branch points with their neighbours
  (:func:`properties.report.inputs.specials`), a log sweep, the branch band and
  random bit patterns, :data:`SIZES` each;
- binary ops: :func:`properties.strategies.special_pairs`, random pairs over the
  branch band, random bit patterns, and pairs on and near the op's
  ``zero_curve`` (where the value cancels).

Implementations, per op: the target's ``<op>_vjp`` / ``<op>_jvp``, then
:mod:`properties.peers.jax_nn` (``jax.nn`` / ``jnp``) and, for the value-only XLA
primitives, :mod:`properties.peers.xla_primitives`: which building blocks can be
trusted on this backend, and where.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np

import reference
from properties.assertions import derivative_label
from properties.backend import x64_for
from properties.evaluate import derivatives_for, evaluate
from properties.ops import OPS, OpSpec
from properties.report import inputs
from properties.report.measure import group_identical
from properties.report.stats import Stats
from properties.strategies import special_pairs
from properties.target import VARIANT_MODES, TargetError, load_target

#: Ops reported in the first part, with their own reference and inputs.
FIRST_PART = ("softplus",)
#: Peer modules, in the order their columns appear after the target's.
PEER_MODULES = ("properties.peers.jax_nn", "properties.peers.xla_primitives")
#: Labels of peer rules, where the module's name would not tell what was measured.
PEER_LABELS = {
    ("properties.peers.jax_nn", "sigmoid"): "jax.nn.sigmoid",
    ("properties.peers.jax_nn", "log_sigmoid"): "jax.nn.log_sigmoid",
    ("properties.peers.jax_nn", "logaddexp"): "jnp.logaddexp",
    ("properties.peers.xla_primitives", "logistic"): "lax.logistic",
    **{("properties.peers.xla_primitives", name): f"jnp.{name}"
       for name in ("exp", "expm1", "log", "log1p", "tanh")},
}
#: dtype -> generated inputs per regime (unary; binary ops get the same number of pairs).
SIZES = {"float32": 600, "float64": 400}
SEED = 20261127


@dataclasses.dataclass(frozen=True)
class OpImplementation:
    """One rule of one op: ``label``, the function, its (derivative, mode) pairs, role."""

    label: str
    fn: Callable
    derivatives: tuple[tuple[object, str], ...]
    role: str


def op_implementations(op: OpSpec, target: str, peers: tuple[str, ...] = PEER_MODULES
                       ) -> list[OpImplementation]:
    """The target's variants of ``op``, then each peer module's (``<op>_jvp`` / ``_vjp``)."""
    out = []
    for module, role in [(target, "target")] + [(p, "peer") for p in peers if p != target]:
        try:
            found = load_target(module, ops=(op.name,)).variants(op.name)
        except TargetError:
            continue  # this module does not implement the op
        for variant, fn in found.items():
            label = PEER_LABELS.get((module, op.name)) if role == "peer" else None
            out.append(OpImplementation(
                label=label or f"{module}.{op.name}_{variant}", fn=fn,
                derivatives=derivatives_for(VARIANT_MODES[variant], op=op), role=role))
    return out


def unary_inputs(op: OpSpec, dtype: str, n: int) -> tuple[np.ndarray]:
    """Specials with neighbours, log sweep, band and random bits (``n`` each), deduplicated."""
    x = np.concatenate([inputs.specials(dtype, op.name), inputs.log_sweep(dtype, n),
                        inputs.band(dtype, n), inputs.random_bits(dtype, n, seed=SEED)])
    _, first = np.unique(x.view(f"u{x.itemsize}"), return_index=True)
    return (x[np.sort(first)],)


def _curve_pairs(op: OpSpec, dtype: str, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``n`` pairs on ``op.zero_curve`` and up to 3 ULPs off it (empty without one)."""
    if op.zero_curve is None:
        return np.array([], dtype), np.array([], dtype)
    lo, hi, y_of = op.zero_curve
    finite_end = hi if math.isfinite(hi) else lo
    if not math.isfinite(finite_end):
        finite_end = 0.0
    direction = -1.0 if finite_end == hi else 1.0
    x = (finite_end + direction * np.exp2(rng.uniform(-40, 6, n))).astype(dtype)
    x = x[(x > lo) & (x < hi)]
    with np.errstate(all="ignore"):
        y = y_of(x.astype(np.float64)).astype(dtype)
    steps = rng.integers(-3, 4, y.size)
    y = y + (steps * np.spacing(y)).astype(dtype)
    keep = np.isfinite(y)
    return x[keep], y[keep]


def binary_inputs(op: OpSpec, dtype: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Special pairs, band pairs, random-bit pairs and zero-curve pairs (``n`` each)."""
    rng = np.random.default_rng(SEED)
    width = 1.1 * math.log(float(np.finfo(dtype).max))
    sx, sy = special_pairs(dtype, op)
    bx, by = (rng.uniform(-width, width, (2, n))).astype(dtype)
    uint = np.dtype(f"u{np.dtype(dtype).itemsize}")
    rx, ry = rng.integers(0, np.iinfo(uint).max, (2, n), dtype=uint, endpoint=True).view(dtype)
    cx, cy = _curve_pairs(op, dtype, n, rng)
    return (np.concatenate([sx, bx, rx, cx]).astype(dtype),
            np.concatenate([sy, by, ry, cy]).astype(dtype))


def _at(args: tuple[np.ndarray, ...], i: int) -> str:
    """``x=-0.5`` or ``x=-1.0, y=-0.45867515``: the inputs at position ``i``, shortest repr."""
    return ", ".join(f"{name}={str(a[i])}" for name, a in zip("xy", args))


def measure_op(op: OpSpec, impls: list[OpImplementation], dtype: str, *,
               scale: float = 1.0, progress: Callable[[str], None] = lambda s: None) -> list[dict]:
    """Rows (JSON-ready dicts) for every implementation, derivative and mode of ``op``."""
    n = max(8, int(SIZES[dtype] * scale))
    args = unary_inputs(op, dtype, n) if op.arity == 1 else binary_inputs(op, dtype, n)
    tiny = np.finfo(dtype).smallest_normal
    index = np.arange(args[0].size, dtype=np.float64)  # Stats keeps the position of the worst
    rows = []
    derivatives = list(dict.fromkeys(d for impl in impls for d, _ in impl.derivatives))
    with x64_for(dtype):
        for derivative in derivatives:
            fn = op.reference(derivative)
            progress(f"{op.name} {dtype} {derivative_label(derivative, '').strip()}: reference")
            rounded = reference.correctly_rounded(fn, *args)
            subnormal = (rounded != 0) & (np.abs(rounded) < tiny)
            for impl in impls:
                modes = [m for d, m in impl.derivatives if d == derivative]
                if not modes:
                    continue
                progress(f"{op.name} {dtype}: {impl.label}")
                results = {m: evaluate(impl.fn, derivative, m, *args) for m in modes}
                for group, out in group_identical(results):
                    ulps = reference.ulp_error(out, fn, *args)
                    stats = Stats.of(x=index, actual=out, rounded=rounded, ulps=ulps,
                                     subnormal=subnormal)
                    worst = None if stats.x_at_max is None else int(stats.x_at_max)
                    row = {"op": op.name, "implementation": impl.label, "role": impl.role,
                           "dtype": dtype, "derivative": derivative_label(derivative, "").strip(),
                           "modes": list(group), **stats.to_json()}
                    row["x_at_max"] = None
                    row["at"] = "-" if worst is None else _at(args, worst)
                    rows.append(row)
    return rows


def ops_to_report(target: str, only: tuple[str, ...] | None = None) -> list[OpSpec]:
    """The registered ops of the second part: all but :data:`FIRST_PART`, or ``only``."""
    names = [n for n in OPS if n not in FIRST_PART] if only is None else list(only)
    unknown = [n for n in names if n not in OPS]
    if unknown:
        raise ValueError(f"--ops: unknown op {unknown[0]!r}; registered: {', '.join(OPS)}")
    return [OPS[n] for n in names]
