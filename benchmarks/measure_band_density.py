r"""What density catches an error confined to a band: deterministic grids against random batches.

Run as a script (not a test)::

    python benchmarks/measure_band_density.py                  # float32, about a minute
    python benchmarks/measure_band_density.py --bands 4000 --runs 200

The defect: ``stable_ops.softplus_vjp``'s value (and, separately, its
gradient) :math:`2^{-20}` relative too high on a band :math:`[a, a + w)`, with
:math:`a` uniform such that the band lies in :math:`|x| < 100` (``--width``,
default 1). It is evaluated with JAX on the grid, for every band at once
(the band start is an argument of the jitted rule), and judged as the suite
judges: ULP error against the correctly rounded value
(:mod:`properties.dense`'s cached reference), more than the budget (0.51 ULP)
outside flushed results.

For each band grid spacing of :func:`properties.dense.band_grid` (the binade
sweep of :data:`properties.dense.DENSITY` added) it prints the share of bands
caught, among the bands where the defect changes some float32 result at all
(below about -87, softplus is subnormal and a :math:`2^{-20}` change of it is
lost in rounding). Then the same for the default profile's random batches (15
batches of 64 from :func:`properties.strategies.batches`, what
``test_within_ulp_budget`` draws for one derivative), over ``--runs``
Hypothesis runs with different seeds: the share of runs that draw at least
one input where the defect shows.

Measured (2000 bands of width 1, 100 runs; softplus value and d1 give the same
shares): grid spacing 4: 33% of the visible bands caught; 2: 53%; 1.5: 75%;
1 (2415 points with the binade sweep): 99.89%; 1/32 (the default, 10311
points): 99.95%. The bands missed at spacing 1/32 (1 of 1883) start near
-88.3: only their top 0.016, narrower than the spacing, has normal results.
Random batches: 41% of runs on average catch a band, the worst band in 0%.
"""

from __future__ import annotations

import argparse
import math

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import HealthCheck, given, seed, settings

import reference
from properties import dense, strategies
from properties.budgets import budget
from properties.ops import SOFTPLUS
from stable_ops._kernels import softplus as _softplus
from stable_ops import sigmoid

RELATIVE = 2.0 ** -20


def _defective(order: int):
    """``(x, starts, width) -> [band, x]``: the value (0) or gradient (1), too high on
    ``[start, start + width)``, for every start at once."""
    correct = _softplus if order == 0 else sigmoid

    def one(x, start, width):
        y = correct(x)
        return jnp.where((x >= start) & (x < start + width), y * (1 + RELATIVE), y)
    return jax.jit(jax.vmap(one, in_axes=(None, 0, None)))


def _exact64(order: int, x: np.ndarray) -> np.ndarray:
    """The exact values at float32 ``x``, correctly rounded to float64 (2^-29 ULP of float32)."""
    return reference.correctly_rounded(SOFTPLUS.reference(order), x.astype(np.float64)).reshape(-1)


def _ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """ULP errors of float32 ``got`` (any shape, last axis = inputs) against float64 ``exact``."""
    ulp = reference.ulp(exact.astype(np.float32)).astype(np.float64)
    with np.errstate(invalid="ignore"):
        return np.abs(got.astype(np.float64) - exact) / ulp


def caught_by_grid(x: np.ndarray, order: int, starts: np.ndarray, width: float):
    """Per band: whether the grid ``x`` catches it, and whether any float32 result changes."""
    exact = _exact64(order, x)
    b = budget("softplus", order, "float32")
    normal = np.abs(exact) >= float(np.finfo(np.float32).smallest_normal)
    got = np.asarray(_defective(order)(x, starts.astype(np.float32), np.float32(width)))
    bad = (_ulps(got, exact) > b) & normal
    return bad.any(axis=1)


def visible(order: int, starts: np.ndarray, width: float) -> np.ndarray:
    """Per band: whether the defect changes any float32 result in it. Both functions
    increase, and a normal result times 1 + 2^-20 always rounds to another float32, so
    that is: the result at the band's last float32 is normal."""
    last = np.nextafter((starts + width).astype(np.float32), np.float32(-np.inf))
    y = np.asarray(jax.jit(_softplus if order == 0 else sigmoid)(last))
    return np.abs(y) >= np.finfo(np.float32).smallest_normal


def random_draws(runs: int, examples: int = 15) -> list[np.ndarray]:
    """The inputs of ``runs`` default-profile runs of one random-batch property."""
    draws: list[np.ndarray] = []
    current: list[np.ndarray] = []

    @settings(max_examples=examples, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(x=strategies.batches("float32", op=SOFTPLUS))
    def collect(x):
        current.append(x)

    for r in range(runs):
        current.clear()
        seed(r)(collect)()
        draws.append(np.concatenate(current))
    return draws


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bands", type=int, default=2000, help="band positions (default 2000)")
    parser.add_argument("--runs", type=int, default=100, help="random-profile runs (default 100)")
    parser.add_argument("--width", type=float, default=1.0, help="band width (default 1)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(11)
    starts = rng.uniform(-100, 100 - args.width, args.bands)
    binades = dense.binade_sweep("float32", dense.DENSITY["float32"].per_binade)
    for order in (0, 1):
        seen = visible(order, starts, args.width)
        print(f"\nsoftplus {'value' if order == 0 else 'd1'} float32, 2^-20 relative on "
              f"[a, a + {args.width:g}), |x| < 100: {seen.sum()} of {starts.size} bands "
              f"change some result")
        for spacing in (4.0, 2.0, 1.5, 1.0, 0.5, 2.0 ** -5):
            grid = np.unique(np.concatenate([binades, _grid(spacing)]))
            hit = caught_by_grid(grid, order, starts, args.width)
            print(f"  grid spacing {spacing:<8g} ({grid.size:6d} points): caught "
                  f"{hit[seen].mean():7.2%} of the visible bands")
        draws = random_draws(args.runs)
        hits = np.array([caught_by_grid(np.unique(d), order, starts, args.width) for d in draws])
        per_band = hits[:, seen].mean(axis=0)
        print(f"  random: {args.runs} default-profile runs of 15 batches of 64: a band is caught "
              f"by {per_band.mean():7.2%} of runs on average (worst band {per_band.min():.0%}, "
              f"best {per_band.max():.0%})")


def _grid(spacing: float) -> np.ndarray:
    n = math.floor(128 / spacing)
    return (np.arange(-n, n + 1) * spacing).astype(np.float32)


if __name__ == "__main__":
    main()
