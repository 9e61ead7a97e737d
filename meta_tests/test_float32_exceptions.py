"""The kernels' float32 exception tables (:mod:`stable_ops._exceptions`) and the lookup
that applies them (:func:`stable_ops._kernels._float32_with_exceptions`).

The tables themselves come from ``benchmarks/measure_float32_hard_cases.py`` (all
2^32 inputs, minutes); here: every listed value is the correctly rounded one
(mpmath), the lookup returns it eagerly, under ``jit`` and ``vmap``, in arrays
small and large (the sparse path of :func:`stable_ops._kernels._fill_marked`), and
elsewhere the float64 value rounded once. The tables are off by default
(``STABLE_OPS_FLOAT32_EXCEPTIONS``), so the lookup is built here with them on.
"""

import jax
import numpy as np
import pytest

import reference
from reference import functions as F
from stable_ops import _exceptions, _kernels

F32 = np.float32
EXACT = {"softplus": F.softplus, "sigmoid": F.sigmoid, "sigmoid_d1": F.sigmoid_d1,
         "sigmoid_d2": F.sigmoid_d2, "log_sigmoid": F.log_sigmoid}
KERNELS = sorted(name for name, table in _exceptions.FLOAT32.items() if table)


def _table(name):
    bits = np.array([b for b, _ in _exceptions.FLOAT32[name]], np.uint32)
    return bits.view(F32), np.array([v for _, v in _exceptions.FLOAT32[name]], F32)


def _with_table(name):
    """The kernel ``name`` on float32 with its table on, whatever the environment."""
    narrow = getattr(_kernels, f"{name}_narrow")
    widen = _kernels._widen if name == "sigmoid_d2" else _kernels._widen_plain
    table = _kernels._float32_exception_table(name, enabled=True)

    def kernel(x):
        with jax.enable_x64(True):
            return _kernels._float32_with_exceptions(narrow, widen, table, jax.numpy.asarray(x))
    return kernel


def _same(a, b):
    return (np.asarray(a).view(np.uint32) == np.asarray(b).view(np.uint32)) | (
        np.isnan(a) & np.isnan(b))


def test_every_kernel_has_its_table():
    assert set(_exceptions.FLOAT32) == set(EXACT) == set(_exceptions.REL_WINDOW)


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
def test_lookup_returns_the_listed_values_and_elsewhere_the_float64_value_rounded_once(name):
    """Listed inputs scattered among 2^14+ others (the sparse path of _fill_marked), jitted,
    and the table alone under vmap; every other input as the plain kernel rounds it."""
    x, listed = _table(name)
    kernel = _with_table(name)
    narrow = getattr(_kernels, f"{name}_narrow")
    widen = _kernels._widen if name == "sigmoid_d2" else _kernels._widen_plain
    rng = np.random.default_rng(0)
    big = np.concatenate([F32([0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-40]),
                          (10 * rng.standard_normal(20_000)).astype(F32)])
    big = big[~np.isin(big.view(np.uint32), x.view(np.uint32))]
    at = np.sort(rng.choice(big.size, x.size, replace=False))
    big[at] = x
    window = _exceptions.REL_WINDOW[name]

    @jax.jit  # one compilation for the four results
    def results(big, listed_inputs):
        with jax.enable_x64(True):
            # XLA's own rounding (FTZ), as the kernel without a table; and whether every
            # listed input lies in the lookup window (else it is never looked up)
            once = narrow(widen(big)).astype(F32)
            marked = _kernels._float32_or_marker(narrow(widen(listed_inputs)), window)
        return kernel(big), jax.vmap(kernel)(listed_inputs), once, marked

    got, under_vmap, once, marked = (np.array(r) for r in results(big, x))
    once[at] = listed
    assert np.isnan(marked).all(), f"{name}: x={x[~np.isnan(marked)]} listed but outside the window"
    for how, out, want, where in [("jit, 2^14+ elements", got, once, big),
                                  ("jit of vmap", under_vmap, listed, x)]:
        same = _same(out, want)
        assert same.all(), (f"{name} {how}: out={out[~same]}, but should be {want[~same]} "
                            f"[x={where[~same]}, float32; listed or the float64 value rounded once]")
