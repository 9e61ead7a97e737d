"""What each op is: its exact definition and the inputs worth generating.

One small frozen record per op. The properties read the reference (mpmath
closed forms for the value and each derivative, from :mod:`reference.functions`)
and the regimes from here; the budgets live in :mod:`properties.budgets`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Mapping

import numpy as np

from reference import functions as mp


@dataclasses.dataclass(frozen=True)
class OpSpec:
    """An elementwise unary op under test.

    - ``name``: the prefix of the target's rules (``<name>_vjp``, ``<name>_jvp``).
    - ``exact``: mpmath functions for the value, first and second derivative.
    - ``branch_points``: per dtype name, inputs where implementations switch
      formulas or where exp under/overflows; strategies generate them and
      their neighbours often.
    """

    name: str
    exact: tuple[Callable, Callable, Callable] = dataclasses.field(repr=False)
    branch_points: Mapping[str, tuple[float, ...]] = dataclasses.field(repr=False)

    def _repr_pretty_(self, printer, cycle):
        """Hypothesis' pretty printer ignores ``repr=False``; keep failures readable."""
        printer.text(repr(self))


def _exp_thresholds(dtype: str) -> tuple[float, ...]:
    """Where ``exp`` overflows, leaves the normal range, and underflows to 0."""
    info = np.finfo(dtype)
    smallest_subnormal = float(info.smallest_subnormal)
    return (
        math.log(float(info.max)),          # exp(x) overflows above
        math.log(float(info.smallest_normal)),  # exp(x) is subnormal below
        math.log(smallest_subnormal),        # exp(x) rounds to 0 below
        math.log(smallest_subnormal) + math.log(0.5),
    )


def _softplus_branch_points(dtype: str) -> tuple[float, ...]:
    """Branch points of the usual stable softplus formulations.

    - 0, where ``max(x, 0) + log1p(exp(-|x|))`` switches sides;
    - -log(eps/2), beyond which ``x + log1p(exp(-x))`` rounds to ``x``, and
      sigmoid(x) rounds to 1 (float32 about 16.6/17.3, float64 about 36.7/37.4);
    - Maechler's log1pexp cutoffs -37, 18, 33.3;
    - jax-ml/jax#40387: jax.nn.softplus' second derivative is exactly 0 above
      14.56 (float32) / 33.27 (float64);
    - PyTorch's default softplus threshold, 20;
    - +-exp thresholds (overflow of the naive log(1 + exp(x)) at log(max)).
    """
    eps = float(np.finfo(dtype).eps)
    points = [0.0, -math.log(eps / 2), -math.log(eps), -math.log(eps) / 2,
              -37.0, 18.0, 33.3, 20.0, 14.56, 33.27, 1 / eps]
    for t in _exp_thresholds(dtype):
        points += [t, -t]
    return tuple(points)


SOFTPLUS = OpSpec(
    name="softplus",
    exact=(mp.softplus, mp.softplus_d1, mp.softplus_d2),
    branch_points={dt: _softplus_branch_points(dt) for dt in ("float32", "float64")},
)

#: Every op the suite knows, by name.
OPS: Mapping[str, OpSpec] = {SOFTPLUS.name: SOFTPLUS}

ORDER_NAMES = {0: "value", 1: "d1", 2: "d2"}
