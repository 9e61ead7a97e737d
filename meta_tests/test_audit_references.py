"""The audit's closed-form derivatives (``properties.audit_ops.DERIVATIVES``) are right.

They are the references of every derivative in the JAX audit, so a wrong sign or
factor there would make the audit report JAX's right results as defects, or pass
its wrong ones. ``properties/tests/test_references.py`` (run with ``--target
properties.peers.jax_special``) compares them with the derivatives derived from the
values by central differences on every special value and its neighbours; that is
minutes of mpmath. This check runs in the default suite, in about a second: the same
comparison, correctly rounded to float64 both, at a few ordinary points of each op's
domain, on both sides of 0 where the op is defined there and in each regime of its
formulas (small, moderate, large arguments).
"""

import numpy as np
import pytest

import reference

#: op -> points (unary: x; binary: (x, y) pairs) inside the domain, away from kinks.
POINTS = {
    "log1mexp": (1e-5, 0.3, 2.0, 40.0),
    "relu": (-2.5, 0.75, 3e5),
    "relu6": (-1.0, 2.5, 7.0),
    "sinc": (1e-3, 0.04, -0.3, 2.7, 1e4 + 0.25),
    "i0": (-3e-3, 0.5, -4.0, 60.0),
    "gammaln": (1e-3, 0.7, 3.5, -2.3, 1e5),
    "digamma": (0.2, 1.4616, 7.0, -0.6, -40.25),
    "polygamma1": (0.3, 5.0, -1.75, -1e6 + 0.5),
    "erf": (-0.2, 1.3, 4.5),
    "erfc": (-1.5, 0.8, 10.0),
    "erfinv": (-0.9, 1e-4, 0.5, 0.999),
    "i0e": (-5e-3, 0.6, -7.0, 300.0),
    "i1e": (-1e-3, 0.6, -7.0, 300.0),
    "erfcx": (-2.0, 0.3, 9.3, 1e4),
    "dawsn": (-0.5, 0.92, 3.0, 1e3),
    "logit": (1e-6, 0.3, 0.5, 0.999),
    "entr": (1e-4, 0.36787944117144233, 2.0, 1e3),
    "log_ndtr": (-30.0, -2.0, 0.4, 6.0),
    "expi": (-20.0, -0.5, 0.3725, 3.0, 40.0),
    "si": (-3e-3, 0.5, 4.0, 1e3),
    "ci": (1e-3, 0.6165, 4.0, 1e3),
    "expn2": (1e-4, 0.5, 3.0, 60.0),
    "xlogy": ((0.5, 2.0), (-3.0, 1e-3), (0.0, 5.0), (7.0, 1e4)),
    "xlog1py": ((0.5, 2.0), (-3.0, -0.999), (0.0, 5.0), (2.0, 1e-6)),
    "logaddexp2": ((0.5, 2.0), (-3.0, -3.0), (-40.0, 10.0), (1e3, 999.5)),
}


def _audit_ops():
    import properties.audit_ops as audit_ops  # registers the audit ops: inside the test only
    from properties.ops import OPS
    return audit_ops, OPS


def test_every_audit_op_declares_closed_forms_and_has_points_here():
    audit_ops, _ = _audit_ops()
    assert set(audit_ops.DERIVATIVES) == set(audit_ops.NAMES) == set(POINTS), (
        f"ops without closed forms: {sorted(set(audit_ops.NAMES) - set(audit_ops.DERIVATIVES))}; "
        f"without points in this test: {sorted(set(audit_ops.NAMES) - set(POINTS))}")


@pytest.mark.parametrize("name", sorted(POINTS))
def test_closed_form_derivatives_equal_the_derived_ones(name):
    _, OPS = _audit_ops()
    op = OPS[name]
    points = np.array(POINTS[name], np.float64).reshape(len(POINTS[name]), op.arity)
    args = tuple(points[:, i] for i in range(op.arity))
    for index in (i for i in op.indices if any(i)):
        declared = reference.correctly_rounded(op.reference(index), *args, dtype="float64")
        derived = reference.correctly_rounded(op.derived(index), *args, dtype="float64")
        same = (declared == derived) | (np.isnan(declared) & np.isnan(derived))
        assert same.all(), (
            f"audit op {name!r} derivative {index}: the closed form disagrees with the one "
            f"derived from the value at {points[~same].tolist()}: declared "
            f"{declared[~same].tolist()}, derived {derived[~same].tolist()} (float64, "
            f"both correctly rounded); see properties/audit_ops.py DERIVATIVES")
