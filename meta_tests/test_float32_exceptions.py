"""The kernels' float32 hard cases (:mod:`stable_ops._exceptions`) and their correction
in the kernels: sigma's 78 by :func:`stable_ops._kernels.sigmoid_narrow`'s push near 0,
the others inline (:data:`stable_ops._kernels._INLINE_EXCEPTIONS`).

The tables come from ``benchmarks/measure_float32_hard_cases.py`` (all 2^32 inputs,
minutes); here: every listed value is the correctly rounded one (mpmath), and each
kernel returns it eagerly, under ``jit`` and ``vmap``, in arrays small and large, and
elsewhere the plain float64 value rounded once.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import reference
from reference import functions as F
from stable_ops import _exceptions, _kernels

F32 = np.float32
EXACT = {"softplus": F.softplus, "sigmoid": F.sigmoid, "sigmoid_d1": F.sigmoid_d1,
         "sigmoid_d2": F.sigmoid_d2, "log_sigmoid": F.log_sigmoid}
KERNELS = sorted(name for name, table in _exceptions.FLOAT32.items() if table)
#: The float64 evaluation each kernel rounds, before its corrections.
PLAIN = {"softplus": _kernels.softplus_narrow, "sigmoid": _kernels._sigmoid_plain_narrow,
         "sigmoid_d2": _kernels.sigmoid_d2_narrow, "log_sigmoid": _kernels.log_sigmoid_narrow}


def _table(name):
    bits = np.array([b for b, _ in _exceptions.FLOAT32[name]], np.uint32)
    return bits.view(F32), np.array([v for _, v in _exceptions.FLOAT32[name]], F32)


def _same(a, b):
    return (np.asarray(a).view(np.uint32) == np.asarray(b).view(np.uint32)) | (
        np.isnan(a) & np.isnan(b))


def test_every_kernel_has_its_table():
    assert set(_exceptions.FLOAT32) == set(EXACT)
    assert set(KERNELS) == set(PLAIN)


def test_log_sigmoid_table_is_softplus_mapped():
    """log_sigmoid(x) = -softplus(-x), negations exact: the same cases at -x, negated."""
    mapped = {(b ^ 0x8000_0000, -v) for b, v in _exceptions.SOFTPLUS}
    assert set(_exceptions.LOG_SIGMOID) == mapped


@pytest.mark.parametrize("name", KERNELS)
def test_listed_values_are_correctly_rounded(name):
    x, listed = _table(name)
    want = reference.correctly_rounded(EXACT[name], x)
    same = _same(listed, want)
    assert same.all(), (f"{name}: listed={listed[~same]}, but should be {want[~same]} "
                        f"[x={x[~same]}, float32]")


@pytest.mark.parametrize("name", KERNELS)
def test_kernel_returns_the_listed_values_and_elsewhere_the_float64_value_rounded_once(name):
    """Listed inputs scattered among 2^14+ others, jitted, and the table alone under
    vmap; every other input as the plain float64 evaluation rounds it."""
    x, listed = _table(name)
    kernel = getattr(_kernels, name)
    widen = _kernels._widen if name == "sigmoid_d2" else _kernels._widen_plain
    rng = np.random.default_rng(0)
    big = np.concatenate([F32([0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-40]),
                          (10 * rng.standard_normal(20_000)).astype(F32)])
    big = big[~np.isin(big.view(np.uint32), x.view(np.uint32))]
    at = np.sort(rng.choice(big.size, x.size, replace=False))
    big[at] = x

    @jax.jit  # one compilation for the three results
    def results(big, listed_inputs):
        with jax.enable_x64(True):  # XLA's own rounding (FTZ), without the corrections
            once = PLAIN[name](widen(big)).astype(F32)
        return kernel(big), jax.vmap(kernel)(listed_inputs), once

    got, under_vmap, once = (np.array(r) for r in results(big, x))
    once[at] = listed
    for how, out, want, where in [("jit, 2^14+ elements", got, once, big),
                                  ("jit of vmap", under_vmap, listed, x)]:
        same = _same(out, want)
        assert same.all(), (f"{name} {how}: out={out[~same]}, but should be {want[~same]} "
                            f"[x={where[~same]}, float32; listed or the float64 value rounded once]")
