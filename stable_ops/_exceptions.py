r"""The float32 exception tables of the kernels (:mod:`stable_ops._kernels`), as CORE-MATH
keeps its hard cases: the inputs at which the kernel's float64 value rounds to the
wrong float32, each with its correctly rounded result.

Found over all :math:`2^{32}` float32 inputs by ``benchmarks/measure_float32_hard_cases.py``
(its ``--table`` output is :data:`SOFTPLUS` ... :data:`SIGMOID_D2`), on XLA CPU
(x86-64). The table is keyed by the float64 values XLA computes there: a backend that
evaluates the kernels' float64 arithmetic differently (contracting to FMA, another
``round``) can miss elsewhere; rerun the script there.

:data:`WINDOW_BITS`: a kernel looks an input up only where its float64 value lies
within :math:`2^{w-29}` float32 ULP of a rounding midpoint
(:func:`stable_ops._kernels._near_float32_midpoint`); the script measures the float64
error on those candidates (at most :math:`2.4\cdot 10^{-8}` ULP, for :math:`\sigma''`),
and every listed input lies inside its window.
"""

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

#: Lookup window per kernel: within 2^(w - 29) float32 ULP of a midpoint.
WINDOW_BITS = {"softplus": 4, "sigmoid": 4, "sigmoid_d1": 4, "sigmoid_d2": 6, "log_sigmoid": 4}
