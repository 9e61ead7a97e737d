"""The kernels' last step in 16 bits: float64 rounded once to float16 / bfloat16
(:func:`stable_ops._kernels._round_narrow`), against ml_dtypes' and NumPy's direct
conversions, at every midpoint of the format and just either side of it."""

import jax
import ml_dtypes
import numpy as np
import pytest

from stable_ops import _kernels


def _midpoints_and_neighbours(dtype) -> np.ndarray:
    """Every finite positive value of ``dtype``, the midpoints between them (and above
    max), each also moved by 2^-30 and 2^-45 relative either way, both signs."""
    finite = np.arange(0, 0x7C00 if dtype == np.float16 else 0x7F80, dtype=np.uint16)
    v = finite.view(dtype).astype(np.float64)
    mid = np.append((v[:-1] + v[1:]) / 2, v[-1] * (1 + 2.0 ** -(np.finfo(dtype).nmant + 1)))
    y = np.concatenate([v] + [mid * (1 + e) for e in (0, 2.0 ** -30, -2.0 ** -30, 2.0 ** -45, -2.0 ** -45)])
    return np.concatenate([y, -y, [np.inf, -np.inf, np.nan]])


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16], ids=["float16", "bfloat16"])
def test_round_narrow_is_the_direct_correct_rounding(dtype):
    y = _midpoints_and_neighbours(dtype)
    with jax.enable_x64(True):
        got = np.asarray(jax.jit(lambda v: _kernels._round_narrow(v, dtype))(y))
    with np.errstate(over="ignore"):  # above max: to inf
        want = y.astype(dtype)  # NumPy / ml_dtypes: float64 to the format in one rounding
    # XLA on CPU flushes bfloat16 (through float32) subnormal results: below the smallest
    # normal, 0 is accepted, as the harness's subnormal policy does
    flushed = (got == 0) & (np.abs(y) < float(np.finfo(dtype).smallest_normal))
    same = (got.view(np.uint16) == want.view(np.uint16)) | (np.isnan(got) & np.isnan(want)) | flushed
    assert same.all(), (f"out={got[~same][:5]}, but should be {want[~same][:5]} "
                        f"[float64 y={y[~same][:5]}, {np.dtype(dtype).name}]")
