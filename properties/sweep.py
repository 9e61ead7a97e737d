"""Every float32 input: an engine that measures implementations on all 2^32 bit patterns.

:func:`run` takes implementations (:class:`properties.evaluate.Implementation`
of ops with a fast certified float32 reference, :data:`properties.fastref.FLOAT32`)
and returns a :class:`Sweep`: per (label, order, mode), the
:class:`~properties.classify.Stats` of :func:`~properties.classify.classify`,
as everywhere else, and the worst judged ULP error per (sign, binary exponent)
of x -- 512 bins -- for a picture of where the errors are.

The bit patterns are walked as *chunk pairs*: magnitudes ``[k C, (k+1) C)``
(C = 2^chunk_bits patterns) with both signs, so that any set of chunk pairs
(a shard: :func:`shard_pairs`) covers positive and negative inputs alike.
Memory is bounded by the chunk: a few float64 arrays of 2 C elements. Parts
combine with :meth:`Sweep.merge` to what one run would give.

Cost: seconds per chunk pair of 2^22 on one core; ``workers`` runs chunk pairs
in that many processes.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable

import numpy as np

from properties import fastref
from properties.classify import Stats, classify
from properties.evaluate import Implementation
from properties.ops import OPS

N_PATTERNS = 2 ** 32
N_MAGNITUDES = 2 ** 31
SIGN_BIT = np.uint32(0x8000_0000)
N_BINS = 512

Key = tuple[str, int, str]  # (implementation label, order, mode)


def keys(impls: list[Implementation], modes: str = "reverse") -> list[Key]:
    """What a sweep measures: each implementation's (order, mode) pairs, without the
    forward modes unless ``modes == "all"``."""
    return [(i.label, order, mode) for i in impls for order, mode in i.derivatives
            if modes == "all" or "forward" not in mode]


def chunk_pairs(chunk_bits: int) -> int:
    if not 4 <= chunk_bits <= 26:
        raise ValueError(f"chunk_bits must be in [4, 26], got {chunk_bits}")
    return N_MAGNITUDES >> chunk_bits


def shard_pairs(shard: tuple[int, int] | None, chunk_bits: int) -> range:
    """The chunk pairs of shard ``(i, n)`` (all of them for None)."""
    k = chunk_pairs(chunk_bits)
    if shard is None:
        return range(k)
    i, n = shard
    if n > k:
        raise ValueError(f"shard {i}/{n}: at most {k} shards with chunk_bits {chunk_bits}")
    return range(i * k // n, (i + 1) * k // n)


def _text(key: Key) -> str:
    return "|".join(map(str, key))


def _parse(text: str) -> Key:
    label, order, mode = text.rsplit("|", 2)
    return label, int(order), mode


@dataclasses.dataclass
class Sweep:
    """The statistics of a set of chunk pairs; mergeable, and JSON both ways."""

    stats: dict[Key, Stats] = dataclasses.field(default_factory=dict)
    bins: dict[Key, np.ndarray] = dataclasses.field(default_factory=dict)
    recomputed: list[int] = dataclasses.field(default_factory=lambda: [0, 0, 0])
    inputs: int = 0
    cpu_s: float = 0.0
    pairs: list[int] = dataclasses.field(default_factory=list)

    def merge(self, other: "Sweep") -> "Sweep":
        """Add a disjoint part (in place; returns self); overlapping parts are refused."""
        if set(self.pairs) & set(other.pairs):
            raise ValueError("the parts overlap: they share chunk pairs")
        for k, s in other.stats.items():
            self.stats.setdefault(k, Stats()).merge(s)
            np.fmax(self.bins.setdefault(k, np.full(N_BINS, -np.inf)), other.bins[k],
                    out=self.bins[k])
        self.recomputed = [a + b for a, b in zip(self.recomputed, other.recomputed)]
        self.inputs += other.inputs
        self.cpu_s += other.cpu_s
        self.pairs += other.pairs
        return self

    def to_json(self) -> dict:
        return {"stats": {_text(k): s.to_json() for k, s in self.stats.items()},
                "bins": {_text(k): [v if math.isfinite(v) else repr(v) for v in b.tolist()]
                         for k, b in self.bins.items()},
                "recomputed": self.recomputed, "inputs": self.inputs, "cpu_s": self.cpu_s,
                "pairs": sorted(self.pairs)}

    @classmethod
    def from_json(cls, d: dict) -> "Sweep":
        return cls(stats={_parse(k): Stats.from_json(v) for k, v in d["stats"].items()},
                   bins={_parse(k): np.array([float(v) for v in b]) for k, b in d["bins"].items()},
                   recomputed=list(d["recomputed"]), inputs=d["inputs"],
                   cpu_s=d.get("cpu_s", 0.0), pairs=list(d["pairs"]))


def _chunk_pair(k: int, chunk_bits: int) -> np.ndarray:
    """The float32 inputs of chunk pair ``k``: its magnitudes, then the same negated."""
    bits = np.arange(k << chunk_bits, (k + 1) << chunk_bits, dtype=np.uint32)
    return np.concatenate([bits, bits | SIGN_BIT]).view(np.float32)


def _binned_max(x: np.ndarray, ulps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The worst of ``ulps`` per bin (sign and exponent bits of ``x``): (bins, maxima)."""
    bins = (x.view(np.uint32) >> 23).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    return bins[starts], np.fmax.reduceat(ulps, starts)


def sweep_chunk_pair(impls: list[Implementation], wanted: list[Key], k: int,
                     chunk_bits: int) -> Sweep:
    """Chunk pair ``k`` (both signs) for the keys ``wanted``."""
    x = _chunk_pair(k, chunk_bits)
    part = Sweep(pairs=[k], inputs=int(x.size))
    by_label = {i.label: i for i in impls}
    for op in dict.fromkeys(i.op for i in impls):
        refs = fastref.FLOAT32[op](x, orders=OPS[op].orders)
        for order, ref in refs.items():
            part.recomputed[order] += ref.recomputed
        for key in wanted:
            label, order, mode = key
            impl = by_label[label]
            if impl.op != op:
                continue
            got = impl(order, mode, x)
            c = classify(got, OPS[op].reference(order), x, expected=refs[order].rounded,
                         ulps=refs[order].ulp_errors(got))
            part.stats[key] = Stats.of(c)
            part.bins[key] = np.full(N_BINS, -np.inf)
            where, worst = _binned_max(x, np.where(c.judged, c.ulps, -np.inf))
            part.bins[key][where] = worst
    return part


def _sweep_pairs(impls, wanted, pairs, chunk_bits, progress: Callable[[], None]) -> Sweep:
    """Sweep chunk pairs in this process, float32 with x64 off."""
    from properties.backend import x64_for

    total, start = Sweep(), time.process_time()
    with x64_for("float32"):
        for k in pairs:
            total.merge(sweep_chunk_pair(impls, wanted, k, chunk_bits))
            progress()
    total.cpu_s += time.process_time() - start
    return total


def _worker(args) -> dict:
    impls, wanted, pairs, chunk_bits = args
    return _sweep_pairs(impls, wanted, pairs, chunk_bits, lambda: None).to_json()


def run(impls: list[Implementation], *, pairs, chunk_bits: int = 22, modes: str = "reverse",
        workers: int = 1, progress: Callable[[], None] = lambda: None) -> Sweep:
    """Sweep the chunk pairs ``pairs`` (see :func:`shard_pairs`) for every implementation.

    - ``modes``: ``"reverse"`` (value, reverse, reverse-over-reverse) or ``"all"``;
    - ``workers``: processes (spawned: JAX is not fork-safe); ``progress``: called
      per chunk pair (in this process only).
    """
    missing = sorted({i.op for i in impls} - set(fastref.FLOAT32))
    if missing:
        raise ValueError(f"no fast float32 reference for {missing}: the sweep needs one "
                         f"(properties.fastref.FLOAT32 has {sorted(fastref.FLOAT32)})")
    if not impls:
        raise ValueError("nothing to sweep: no implementation selected")
    wanted, pairs = keys(impls, modes), list(pairs)
    if workers <= 1:
        return _sweep_pairs(impls, wanted, pairs, chunk_bits, progress)
    import multiprocessing as mp

    batches = [(impls, wanted, pairs[w::workers], chunk_bits) for w in range(workers)]
    with mp.get_context("spawn").Pool(workers) as pool:
        parts = pool.map(_worker, [b for b in batches if b[2]], chunksize=1)
    total = Sweep()
    for part in parts:
        total.merge(Sweep.from_json(part))
    return total
