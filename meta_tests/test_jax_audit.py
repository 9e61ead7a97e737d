"""The audit of JAX's own rules (``python -m properties --ops jax``) finds what it claims.

A few findings of the README's "What the harness finds in JAX", pinned with small
checks: JAX's result against the audit's certified reference, through the one
classifier. If JAX fixes one, its test fails and the README's table is due an update.
Importing :mod:`properties.audit_ops` registers its ops, so it happens inside the
tests (after collection), never at import time of this module.
"""

import dataclasses

import jax
import numpy as np
from properties.backend import x64_for
from properties.classify import JUDGED, NONFINITE, classify


def _audit():
    import properties.audit_ops as audit_ops
    from properties.ops import OPS
    return audit_ops, OPS


def _judge(op, order, got, *x):
    audit_ops, OPS = _audit()
    c = classify(np.asarray(got), OPS[op].reference(order), *x)
    return c, audit_ops.BUDGET_ULP


def test_erfcx_float32_is_zero_in_the_band_of_jax_issue_38607_and_its_gradient_is_minus_2_over_sqrt_pi():
    import jax.scipy.special as jss
    x = np.float32(9.3)
    with x64_for("float32"):
        value, grad = jss.erfcx(x), jax.grad(jss.erfcx)(x)
    c, budget = _judge("erfcx", 0, value, x)
    assert float(value) == 0.0 and c.classes[0] == JUDGED and c.ulps[0] > 1e6, (
        f"erfcx(9.3) float32: out={value!r}, but should be {c.expected[0]!r} "
        f"({c.ulps[0]:.3g} ULP); JAX may have fixed jax-ml/jax#38607: update the README")
    d, _ = _judge("erfcx", 1, grad, x)
    assert d.ulps[0] > budget and np.isclose(float(grad), -2 / np.sqrt(np.pi)), (
        f"erfcx'(9.3) float32: out={grad!r}, should be {d.expected[0]!r} ({d.ulps[0]:.3g} ULP)")


def test_logit_float32_near_one_half_is_millions_of_ulps_off():
    """log(x / (1 - x)) cancels near 1/2 (no upstream issue found): new finding."""
    import jax.scipy.special as jss
    x = np.float32(0.4999999)
    with x64_for("float32"):
        value = jss.logit(x)
    c, budget = _judge("logit", 0, value, x)
    assert c.classes[0] == JUDGED and c.ulps[0] > 1e5, (
        f"logit(0.4999999) float32: out={value!r}, but should be {c.expected[0]!r} "
        f"({c.ulps[0]:.3g} ULP > budget {budget})")


def test_expn_at_zero_is_one_over_n_instead_of_one_over_n_minus_1():
    """README finding #18 (no upstream issue found): E_2(0) = 1, JAX gives 1/2."""
    import jax.scipy.special as jss
    x = np.float32(0.0)
    with x64_for("float32"):
        value = jss.expn(2, x)
    c, budget = _judge("expn2", 0, value, x)
    assert float(value) == 0.5 and c.expected[0] == 1.0 and c.ulps[0] > budget, (
        f"expn(2, 0) float32: out={value!r}, but should be {c.expected[0]!r} "
        f"({c.ulps[0]:.3g} ULP); JAX may have fixed it: update the README's finding #18")


def test_xlogy_partial_in_y_is_nan_at_the_origin_where_it_is_0():
    """xlogy(0, y) = 0 for every y, so d/dy is 0 at (0, 0); JAX's rule computes x / y = 0/0."""
    import jax.scipy.special as jss
    x, y = np.float32(0), np.float32(0)
    with x64_for("float32"):
        got = jax.grad(jss.xlogy, argnums=1)(x, y)
    c, _ = _judge("xlogy", (0, 1), got, x, y)
    assert c.classes[0] == NONFINITE and c.expected[0] == 0, (
        f"d/dy xlogy(0, 0) float32: out={got!r}, but should be {c.expected[0]!r}")


def test_a_findings_reproduction_line_needs_only_jax_and_numpy_and_prints_what_the_audit_saw():
    import jax.scipy.special as jss
    from properties.report.audit import Finding, repro_line, verify
    _audit()
    x = np.float32(0.4999999)
    with x64_for("float32"):
        got = float(jss.logit(x))
    line = repro_line("logit", "float32", 0, "value", (float(x),))
    assert "importlib" not in line and "properties" not in line, line
    finding = Finding("logit", "float32", "value", "wrong finite value", ["value"], 1,
                      (float(x),), "value", got, 0.0, 0.0, line)
    assert verify(finding), f"the line does not print {got!r}: {line}"
    assert not verify(dataclasses.replace(finding, got=got + 1)), "verify cannot fail"


def test_erfcx_derivative_cancels_for_large_x():
    """The rule 2 x erfcx(x) - 2/sqrt(pi) subtracts two numbers that agree to all but
    ~1/(2 x^2) of their digits (README finding 15, no upstream issue found: new)."""
    import jax.scipy.special as jss
    x = np.float32(2.0**24)
    with x64_for("float32"):
        grad = jax.grad(jss.erfcx)(x)
    c, budget = _judge("erfcx", 1, grad, x)
    assert c.classes[0] == JUDGED and c.ulps[0] > 1e12 and c.expected[0] < 0, (
        f"erfcx'(2^24) float32: out={grad!r}, but should be {c.expected[0]!r} "
        f"({c.ulps[0]:.3g} ULP > budget {budget}); JAX may have fixed the cancellation: "
        f"update the README")
