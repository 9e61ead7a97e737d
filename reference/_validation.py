"""Input checking shared by :mod:`reference.rounding` and :mod:`reference.ulp`.

Every check raises with a message that names what was given, so a caller who
passed the wrong thing sees which argument and what it was.  The rule for
arrays is strict on purpose: an input must *carry* its format (a ``dtype`` of
float16, bfloat16, float32 or float64), because the reference treats each element as an exact
binary value and a bare Python ``0.1`` does not say which binary value is meant.
"""

from __future__ import annotations

import ml_dtypes  # the bfloat16 type (and registers the name "bfloat16" with numpy)
import numpy as np

SUPPORTED_DTYPES = (
    np.dtype(np.float16),          # IEEE binary16: 11 significand bits, exponents -14..15
    np.dtype(ml_dtypes.bfloat16),  # 8 significand bits, float32's exponents -126..127
    np.dtype(np.float32),
    np.dtype(np.float64),
)
_SUPPORTED_NAMES = "float16, bfloat16, float32 or float64"


def describe(value: object, *, limit: int = 80) -> str:
    """A short, readable description of ``value`` for error messages."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{text} (type {type(value).__module__}.{type(value).__qualname__})"


def describe_callable(fn: object) -> str:
    """``module.qualname`` of a function, or its repr when it has none."""
    qualname = getattr(fn, "__qualname__", None)
    module = getattr(fn, "__module__", None)
    if qualname is None:
        return repr(fn)
    return f"{module}.{qualname}" if module else qualname


def check_callable(fn: object) -> None:
    if not callable(fn):
        raise TypeError(
            f"fn must be a callable taking mpmath mpf arguments, "
            f"got {describe(fn)}"
        )


def resolve_dtype(dtype: object, *, what: str = "dtype") -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float16, bfloat16, float32 or float64, else raise TypeError.

    Accepts anything ``np.dtype`` understands (``np.float32``, ``"float64"``,
    ``np.dtype("f4")``, ``float``, ``"bfloat16"``, ``ml_dtypes.bfloat16``,
    ``jnp.bfloat16``).  Rejects the float8 formats and other ml_dtypes types,
    integers, complex, object and junk, naming what was given.
    """
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(
            f"{what} must be {_SUPPORTED_NAMES}, got {describe(dtype)}"
        ) from error
    if resolved not in SUPPORTED_DTYPES:
        raise TypeError(
            f"{what} must be {_SUPPORTED_NAMES}, got {resolved.name} "
            f"(from {describe(dtype)})"
        )
    return resolved


def as_float_array(value: object, *, what: str) -> np.ndarray:
    """``value`` as an ndarray of a supported float format, checked to carry that dtype.

    ``value`` must have a ``dtype`` attribute (a numpy array, a numpy scalar,
    or an array of another library such as a ``jax.Array``): a Python float or
    a list is refused because it does not say which format its values are in.
    """
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        hint = ""
        if isinstance(value, (bool, int, float)):
            hint = (
                "; wrap it so its format is explicit, "
                "e.g. np.float32(x) or np.float64(x)"
            )
        elif isinstance(value, (list, tuple)):
            hint = (
                "; convert it so its format is explicit, "
                "e.g. np.asarray(x, dtype=np.float32)"
            )
        raise TypeError(
            f"{what} must be a {_SUPPORTED_NAMES} array or numpy scalar, "
            f"got {describe(value)}{hint}"
        )
    try:
        dtype = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(
            f"{what} must have dtype {_SUPPORTED_NAMES}, "
            f"got dtype {dtype!r} on {describe(value)}"
        ) from error
    if dtype not in SUPPORTED_DTYPES:
        raise TypeError(
            f"{what} must have dtype {_SUPPORTED_NAMES}, got dtype "
            f"{dtype.name} (kind {dtype.kind!r}) on {describe(value)}"
        )
    array = np.asarray(value)
    if array.dtype != dtype:  # an exotic array type converted lossily
        raise TypeError(
            f"{what} has dtype {dtype.name} but converted to "
            f"{array.dtype.name}; pass a numpy array"
        )
    return array


def broadcast(arrays: list[np.ndarray], *, names: list[str]) -> list[np.ndarray]:
    """``np.broadcast_arrays``, with a ValueError that names every shape."""
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError as error:
        shapes = ", ".join(
            f"{name} shape {array.shape}" for name, array in zip(names, arrays)
        )
        raise ValueError(
            f"inputs do not broadcast together: {shapes}"
        ) from error
