r"""Ground truth for float16/bfloat16/float32/float64 numerics: correctly rounded values and ulp errors.

The exact value of a function is computed with mpmath and rounded, with
certainty, into float16 (IEEE binary16), bfloat16 (``ml_dtypes.bfloat16``: 8
significand bits, float32's exponent range), float32 or float64; errors of
other implementations are measured in ulps of their own format.  mpmath,
python-flint, numpy and ml_dtypes (for the bfloat16 type) are used; JAX is not.

Public API
----------
``correctly_rounded(fn, *args, dtype=None) -> np.ndarray``
    ``fn`` (a function of mpmath ``mpf`` arguments) at the exact binary values
    of ``args`` (float16/bfloat16/float32/float64 arrays, broadcast together), rounded to
    nearest, ties to even, into ``dtype`` (default: the inputs' result type).
``ulp_error(actual, fn, *args) -> np.ndarray``
    ``|actual - fn(*args)| / ulp(fn(*args))`` in ``actual``'s format, float64.
``ulp(x) -> np.ndarray``
    The ulp of each value of ``x`` in its own format.
``float_format(dtype) -> FloatFormat``
    Precision, exponent range, smallest subnormal/normal and max of a format.
``functions``
    mpmath definitions of softplus, sigmoid, log_sigmoid and their first two
    derivatives, and of logaddexp(x, y) and its partial derivatives to order 2.

(``reference.ulp`` is the function; its module is ``sys.modules["reference.ulp"]``.
The engine lives in ``reference.rounding``.)
``clear_cache()``
    Forget cached reference values.
``derivative(fn, index) -> fn'``
    The mpmath function of a derivative of ``fn`` (order 1 or 2, or a multi-index
    ``(i, j)`` of a binary ``fn``), derived from its value with the same
    certainty (:mod:`reference.derivatives`); :class:`NotDifferentiable` where
    there is none (a pole, a kink).
``ExactPlus(head, tail)``
    An mpf that keeps an exact head and a tail apart, for results near a power of two.
``WithErrorBound(value, radius)``
    An mpf that states its own absolute error bound (a finite difference does).
``PrecisionCapExceeded``, ``EvaluationError``
    Raised when a rounding stays uncertain at the precision cap, or ``fn`` raises.

Guarantees
----------
* Results are IEEE 754 round-to-nearest-even in the target format, rounded
  once, directly at the target's precision and exponent range: subnormal
  results are exact roundings (no double rounding through float64, nor of
  bfloat16 through float32), values at
  or beyond ``max + ulp(max)/2`` give ``±inf``, negative values that round to
  zero give ``-0.0``.
* A value is returned only when its rounding is certain; otherwise an error
  names ``fn`` and the input.  Functions with an Arb twin (``fn.arb``, as all of
  :mod:`reference.functions`) are enclosed by rigorous ball arithmetic.  Any
  other mpmath function is verified across precisions, under one stated
  assumption: from one working precision to the next its error at least halves,
  or is already within ``2**ERROR_SLACK_BITS`` ulps of the working precision.
  A formula that cancels (``log(1 + exp(x))`` at ``x = -40``) is detected and
  evaluated until it is right; a function computing in Python floats is
  refused (TypeError).  Exact ties and zeros are recognised when ``fn``
  returns the identical value at two successive precisions, the higher at
  least ``EXACT_CONFIRMATION_PRECISION`` (8192) bits.  See
  :mod:`reference.rounding` for the argument.
* ``ExactPlus(head, tail)``, returned by ``fn``, keeps an exact head apart from
  a tail: values within ``2**-20000`` of a power of two
  (:math:`\sigma(10^{19}) = 1 - e^{-10^{19}}`) then have a certain ulp, and
  :func:`ulp_error` answers there too.
* ``nan`` where ``fn`` is undefined (a nan result, or complex with nonzero
  imaginary part such as ``log(-1)``).  ``±inf``/``nan`` inputs reach ``fn`` as
  ``mpf('±inf')``/``mpf('nan')``.
* Inputs must carry a float16/bfloat16/float32/float64 dtype; anything else
  (Python floats, lists, integers, bool, the float8 formats, complex, object) is a TypeError
  naming what was given.  Shapes that do not broadcast are a ValueError.
* mpmath's precision is changed only inside ``mpmath.workprec`` scopes.  Not
  thread-safe (mpmath's context is global).

Example
-------
>>> import mpmath, numpy as np, reference
>>> from reference.functions import softplus
>>> x = np.array([-800.0, 0.0, 800.0], dtype=np.float32)
>>> reference.correctly_rounded(softplus, x)
array([0.000000e+00, 6.931472e-01, 8.000000e+02], dtype=float32)
>>> naive = np.log1p(np.exp(np.float32(0.5)))
>>> float(reference.ulp_error(naive, softplus, np.float32(0.5))) <= 1.0
True
"""

from reference import functions
from reference.derivatives import derivative
from reference.rounding import (
    ERROR_SLACK_BITS,
    EXACT_CONFIRMATION_PRECISION,
    MAX_WORKING_PRECISION,
    EvaluationError,
    ExactPlus,
    NotDifferentiable,
    WithErrorBound,
    FloatFormat,
    PrecisionCapExceeded,
    clear_cache,
    correctly_rounded,
    float_format,
)
from reference.ulp import ulp, ulp_error

__all__ = [
    "correctly_rounded",
    "ulp_error",
    "ulp",
    "float_format",
    "FloatFormat",
    "functions",
    "clear_cache",
    "PrecisionCapExceeded",
    "EvaluationError",
    "ExactPlus",
    "NotDifferentiable",
    "WithErrorBound",
    "derivative",
    "ERROR_SLACK_BITS",
    "MAX_WORKING_PRECISION",
    "EXACT_CONFIRMATION_PRECISION",
]
