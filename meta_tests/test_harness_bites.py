"""The harness catches known-bad rules, for the right reasons.

The tutorial's naive softplus overflows to inf from x = 88.7 (float32); its
custom_vjp keeps the naive forward pass; ``jax.nn.softplus`` has a second
derivative of exactly 0 beyond x = 14.56 (float32, jax-ml/jax#40387). Each must
fail, and the failure must name the property, the input and the ULP distance.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from properties import backend
from properties.assertions import assert_rule_within_budget
from properties.budgets import budget
from properties.ops import SOFTPLUS
from properties.strategies import special_values
from properties.target import load_target


def _check(target_name, variant, order, mode, x):
    rule = load_target(target_name).rule("softplus", variant)
    with backend.x64_for(x.dtype.name):
        assert_rule_within_budget(target=target_name, op=SOFTPLUS, variant=variant, rule=rule,
                                  order=order, mode=mode, x=x,
                                  budget=budget("softplus", order, x.dtype.name),
                                  flush_allowed=True, prop="bites")


@pytest.mark.parametrize("variant", ["jvp", "vjp"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_naive_value_overflow_is_caught_as_nonfinite(variant, dtype):
    x = special_values(dtype, SOFTPLUS)
    with pytest.raises(AssertionError) as failure:
        _check("stable_ops.naive", variant, 0, "value", x)
    message = str(failure.value)
    assert "NONFINITE" in message and "ULP > budget" in message, message
    assert f"softplus_{variant} value {dtype}" in message, message


@pytest.mark.parametrize("dtype, beyond", [("float32", 14.6), ("float64", 33.3)])
def test_jax_nn_vanishing_second_derivative_is_caught(dtype, beyond):
    x = np.array([beyond, 20.0, 30.0, 0.5], dtype=dtype)[: 2 if dtype == "float32" else 1]
    with pytest.raises(AssertionError) as failure:
        _check("properties.peers.jax_nn", "jvp", 2, "reverse-over-reverse", x)
    message = str(failure.value)
    assert "out=0.0 [0x0" in message and f"x={str(x[0])} [0x" in message, message
    assert "reproduce: JAX_ENABLE_X64=" in message, message


def test_stable_ops_is_not_caught_at_the_same_points():
    """The control: the stable rule passes where the peers fail."""
    for dtype, beyond in (("float32", 14.6), ("float64", 33.3)):
        x = np.array([beyond, 100.0, -100.0, 0.0], dtype=dtype)
        for order, mode in ((0, "value"), (2, "reverse-over-reverse")):
            _check("stable_ops", "jvp", order, mode, x)


def _pytest(*args):
    env = {k: v for k, v in os.environ.items()
           if k not in ("CONFORMANCE_TARGET", "CONFORMANCE_DTYPE", "JAX_ENABLE_X64")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-header",
         "--hypothesis-profile", "ci", "--pyargs", "properties", *args],
        capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_suite_on_naive_target_fails_naming_nonfinite_and_ulps():
    run = _pytest("--target", "stable_ops.naive", "--dtype", "float32",
                  "-k", "test_special_values_within_ulp_budget")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out[-3000:]
    assert "NONFINITE" in out and "ULP > budget" in out, out[-3000:]
    assert "FAILED" in out and "special values: softplus_" in out, out[-3000:]


@pytest.mark.slow
def test_suite_on_jax_nn_reports_the_vanishing_second_derivative():
    run = _pytest("--target", "properties.peers.jax_nn", "--dtype", "float32",
                  "-k", "test_special_values_within_ulp_budget and d2")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out[-3000:]
    assert "softplus_jvp d2 reverse-over-reverse float32" in out, out[-3000:]
    assert "out=0.0 [0x00000000]" in out, out[-3000:]
    assert "does not define softplus_vjp" in out or "skipped" in out, out[-3000:]
