r"""The float32 exception tables of the kernels (:mod:`stable_ops._kernels`), as CORE-MATH
keeps its hard cases: the inputs at which the kernel's float64 value rounds to the
wrong float32, each with its correctly rounded result.

Found over all :math:`2^{32}` float32 inputs by ``benchmarks/measure_float32_hard_cases.py``
(its ``--table`` output is :data:`SOFTPLUS` ... :data:`SIGMOID_D2`), on XLA CPU
(x86-64). The table is keyed by the float64 values XLA computes there: a backend that
evaluates the kernels' float64 arithmetic differently (contracting to FMA, another
``round``) can miss elsewhere; rerun the script there.

:data:`REL_WINDOW`: a kernel looks an input up only where its float64 value lies
within that relative distance of a float32 rounding midpoint
(:func:`stable_ops._kernels._float32_or_marker`); the script measures the float64
error on its candidates (at most :math:`2.4\cdot 10^{-8}` float32 ULP, for
:math:`\sigma''`; :math:`2^{-47}` relative is at least :math:`2^{-24}` ULP) and checks
that every listed input lies inside its window.

**Off by default** (:data:`ENABLED`): the lookup costs one more pass over the result
and the check in the loop, about 35% of a float32 kernel at :math:`10^6` elements
(loaded machine), against issue 16's speed bound. ``STABLE_OPS_FLOAT32_EXCEPTIONS=1``
in the environment before importing ``stable_ops`` turns it on, and then every
float32 input is correctly rounded (measured exhaustively, see the script).
"""

import os

#: (float32 bits of x, correctly rounded float32 result) per kernel.
SOFTPLUS = ()
SIGMOID = ()
SIGMOID_D1 = ()
SIGMOID_D2 = (
    (0x3e5ab09b, -0.02629358321428299),
)

#: log_sigmoid(x) = -softplus(-x), both negations exact: softplus' cases, mapped.
LOG_SIGMOID = tuple((bits ^ 0x8000_0000, -value) for bits, value in SOFTPLUS)

FLOAT32 = {"softplus": SOFTPLUS, "sigmoid": SIGMOID, "sigmoid_d1": SIGMOID_D1,
           "sigmoid_d2": SIGMOID_D2, "log_sigmoid": LOG_SIGMOID}

#: Lookup window per kernel, relative to the float64 value.
REL_WINDOW = {"softplus": 2.0 ** -48, "sigmoid": 2.0 ** -48, "sigmoid_d1": 2.0 ** -48,
              "sigmoid_d2": 2.0 ** -47, "log_sigmoid": 2.0 ** -48}

#: Whether the kernels apply the tables (read once, at import).
ENABLED = os.environ.get("STABLE_OPS_FLOAT32_EXCEPTIONS", "0") == "1"
