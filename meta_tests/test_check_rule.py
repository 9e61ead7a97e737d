"""properties.check_rule: the suite on one rule, from a test file outside this repository,
and the references it rests on (a mirrored mistake, a naive reference, bad input)."""

import math
import os
import pathlib
import shutil
import subprocess
import sys

import mpmath
import numpy as np
import pytest

import properties
import reference
import stable_ops
from properties import budgets as budget_table
from properties.assertions import assert_rule_within_budget
from properties.ops import OpSpec
from properties.tests import test_references
from reference import functions

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "check_rule"


@pytest.mark.slow
def test_check_rule_from_a_test_file_in_another_directory(tmp_path):
    shutil.copy(EXAMPLE / "test_softplus_rules.py", tmp_path / "test_softplus_rules.py")
    env = {k: v for k, v in os.environ.items()
           if k not in ("CONFORMANCE_TARGET", "CONFORMANCE_DTYPE", "JAX_ENABLE_X64")}
    env["PYTHONPATH"] = str(pathlib.Path(properties.__file__).resolve().parents[1])
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "test_softplus_rules.py"], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=600)
    assert run.returncode == 0 and "2 passed" in run.stdout, (
        f"pytest in {tmp_path} exited {run.returncode}:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}")


def naive_softplus(x):
    """log(1 + e^x) as the tutorial writes it: cancels for x << 0."""
    return mpmath.log(1 + mpmath.exp(x))


def test_naive_reference_does_not_fail_a_correct_rule():
    """Given the cancelling formula as its reference, the suite still judges the
    correctly rounded rule right (the reference is certified, not trusted)."""
    op = OpSpec(name="naive_reference_softplus", exact={(0,): naive_softplus}, max_order=0)
    x = np.array([-60.0, -40.0, -100.0, -700.0, -5.0, 0.5, 3.0], dtype=np.float64)
    from properties import backend
    with backend.x64_for("float64"):
        c = assert_rule_within_budget(target="stable_ops", op=op, variant="jvp",
                                      rule=stable_ops.softplus_jvp, derivative=0, mode="value", x=x,
                                      budget=budget_table.BUDGETS[("softplus", 0, "float64")],
                                      flush_allowed=True)
    assert float(np.max(c.ulps)) <= 0.8, f"ULP errors against the naive reference: {c.ulps}"


def _flipped(fn):
    def mirrored(*args):
        return -fn(*args)
    mirrored.__name__ = mirrored.__qualname__ = f"{fn.__name__}_sign_flipped"
    return mirrored


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mirrored_mistake_is_caught_by_the_cross_check(dtype):
    """A rule and its declared reference that share a wrong second derivative pass every
    accuracy property; the cross-check against the derived derivative catches it."""
    op = OpSpec(name="mirrored_softplus",
                exact={(0,): functions.softplus, (1,): functions.softplus_d1,
                       (2,): _flipped(functions.softplus_d2)})
    with pytest.raises(AssertionError, match=r"op 'mirrored_softplus' d2 " + dtype +
                       r": the declared reference \w+_sign_flipped disagrees with the "
                       r"derivative derived from the value at \d+ of \d+ inputs[\s\S]*declared np\.float"):
        test_references.test_declared_derivatives_agree_with_derived(op, dtype)


def test_kink_without_convention_is_refused():
    with pytest.raises(reference.NotDifferentiable, match=r"abs.*at \(0\.0\).*not differentiable"):
        reference.correctly_rounded(reference.derivative(abs, 1), np.float64(0.0))


def test_convention_gives_the_declared_value_at_a_kink():
    op = OpSpec(name="absolute", exact={(0,): abs}, conventions={1: {0.0: 0.0}})
    got = reference.correctly_rounded(op.reference(1), np.array([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(got, [-1.0, 0.0, 1.0])


def test_pole_names_the_value():
    with pytest.raises(reference.NotDifferentiable, match=r"the value there is -inf"):
        reference.correctly_rounded(reference.derivative(mpmath.log, 1), np.float32(0.0))


def test_removable_singularity_is_differentiated():
    got = reference.correctly_rounded(reference.derivative(mpmath.sinc, 2), np.float64([0.0, 1e-300]))
    np.testing.assert_array_equal(got, [-1 / 3, -1 / 3])


def test_derivative_of_a_non_number_is_a_type_error():
    with pytest.raises(reference.EvaluationError, match=r"must return an mpmath mpf, got 'one'"):
        reference.correctly_rounded(reference.derivative(lambda x: "one", 1), np.float64(1.0))


def test_opspec_without_value_is_refused():
    with pytest.raises(ValueError, match=r"exact needs the value, key \(0,\)"):
        OpSpec(name="only_d1", exact={(1,): functions.sigmoid})
    with pytest.raises(ValueError, match=r"at least the value"):
        OpSpec(name="nothing", exact={})


def test_limit_at_infinity_is_derived():
    got = reference.correctly_rounded(reference.derivative(functions.softplus, 1),
                                      np.array([math.inf, -math.inf], np.float32))
    np.testing.assert_array_equal(got, [1.0, 0.0])
