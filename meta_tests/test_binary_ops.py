"""Binary ops: defective logaddexp rules are caught, by the property one would expect.

A correct ``logaddexp`` pair of rules (custom_vjp and custom_jvp, written here
from ``jnp.logaddexp`` and ``jax.nn.sigmoid`` weights, so within a few ULP: the
budget is relaxed to :data:`BUDGET` for these tests only) and three defective
custom_vjp rules built on it, each with one defect:

- ``wrong_second_cotangent``: the backward pass returns ``g * sigmoid(x - y)``
  for both inputs (the cotangent of ``y`` is the one of ``x``);
- ``cotangent_not_reduced``: the cotangents keep the broadcast shape instead of
  being summed down to each input's shape (JAX rejects them);
- ``reduced_with_mean``: they are reduced to the right shape, but by a mean.

The properties are the suite's own test functions, called in-process as
``meta_tests/test_planted_defects.py`` calls them.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import Phase, given, settings, strategies as st

from properties import backend
from properties.budgets import BudgetTable
from properties.ops import OPS
from properties.strategies import BROADCAST_SHAPES
from properties.target import load_target
from properties.tests import test_accuracy, test_transforms

#: The correct rules here are not ULP-accurate: ``sigmoid(x - y)`` rounds ``x - y``
#: first, an error of up to ~|x - y| ULP in the weights (the suite finds ~300 ULP
#: in float64 at x - y = -565). The defects are off by factors, so a loose budget
#: still catches them; stable_ops' own logaddexp is held to the table's budgets.
BUDGET = "logaddexp:*:*=1000"

HYPOTHESIS = settings(max_examples=6, derandomize=True, database=None, deadline=None,
                      phases=(Phase.explicit, Phase.generate), report_multiple_bugs=False,
                      suppress_health_check=list(settings.default.suppress_health_check))

CORRECT = '''
import jax
import jax.numpy as jnp


def _weights(x, y):
    d = jnp.where(x == y, jnp.zeros_like(x - y), x - y)  # equal infinities: 1/2 each
    return jax.nn.sigmoid(d), jax.nn.sigmoid(-d)


def _reduce(ct, shape):
    """Sum ``ct`` over the axes that were broadcast to reach its shape from ``shape``."""
    lead = ct.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and ct.shape[lead + i] != 1)
    return REDUCE(ct, axes).reshape(shape) if axes else ct


REDUCE = lambda ct, axes: jnp.sum(ct, axis=axes)


@jax.custom_vjp
def logaddexp_vjp(x, y):
    return jnp.logaddexp(x, y)


def _fwd(x, y):
    return logaddexp_vjp(x, y), (x, y)


def _bwd(res, g):
    x, y = res
    wx, wy = _weights(x, y)
    return _reduce(g * wx, jnp.shape(x)), _reduce(g * wy, jnp.shape(y))


logaddexp_vjp.defvjp(_fwd, _bwd)


@jax.custom_jvp
def logaddexp_jvp(x, y):
    return jnp.logaddexp(x, y)


@logaddexp_jvp.defjvp
def _jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    wx, wy = _weights(x, y)
    return logaddexp_jvp(x, y), wx * tx + wy * ty
'''

DEFECTS = {
    "wrong_second_cotangent": '''
def _bwd(res, g):
    x, y = res
    wx, wy = _weights(x, y)
    return _reduce(g * wx, jnp.shape(x)), _reduce(g * wx, jnp.shape(y))  # DEFECT: wx for y


logaddexp_vjp.defvjp(_fwd, _bwd)
''',
    "cotangent_not_reduced": '''
def _bwd(res, g):
    x, y = res
    wx, wy = _weights(x, y)
    return g * wx, g * wy  # DEFECT: broadcast shape, not each input's


logaddexp_vjp.defvjp(_fwd, _bwd)
''',
    "reduced_with_mean": '''
REDUCE = lambda ct, axes: jnp.mean(ct, axis=axes)  # DEFECT: mean, not sum
''',
}

_OUTER = (BROADCAST_SHAPES[0],)  # (3, 1) against (1, 8): both inputs broadcast

#: defect -> (property, its parameters): the check that must catch it.
EXPECTED = {
    "wrong_second_cotangent": [
        (test_accuracy.test_special_values_within_ulp_budget,
         dict(variant="vjp", derivative=((0, 1), "reverse"))),
        (test_accuracy.test_within_ulp_budget, dict(variant="vjp", derivative=((0, 1), "reverse"))),
        (test_transforms.test_vjp_agrees_with_jvp, dict(transform="array", derivative_kind="grad")),
    ],
    "cotangent_not_reduced": [
        (test_transforms.test_broadcasting, dict(variant="vjp", shapes=_OUTER[0])),
    ],
    "reduced_with_mean": [
        (test_transforms.test_broadcasting, dict(variant="vjp", shapes=_OUTER[0])),
    ],
}


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    """Module names of the correct rules and of each defective one, importable."""
    import sys

    root = tmp_path_factory.mktemp("binary_rules")
    (root / "logaddexp_correct.py").write_text(textwrap.dedent(CORRECT))
    for name, patch in DEFECTS.items():
        (root / f"logaddexp_{name}.py").write_text(textwrap.dedent(CORRECT) + textwrap.dedent(patch))
    sys.path.insert(0, str(root))
    yield {name: f"logaddexp_{name}" for name in ["correct", *DEFECTS]}
    sys.path.remove(str(root))


def run_property(fn, target_name: str, dtype: str, params: dict) -> BaseException | None:
    """Run property ``fn`` on ``target_name``'s logaddexp; the failure it raised, or None."""
    op = OPS["logaddexp"]
    target = load_target(target_name)
    inner = getattr(getattr(fn, "hypothesis", None), "inner_test", None)
    if inner is not None:
        fn = HYPOTHESIS(given(data=st.data())(inner))
    values = dict(target=target, op=op, dtype=dtype, budgets=BudgetTable((BUDGET,)),
                  flush_allowed=backend.flushes_subnormals(dtype),
                  both_variants=target.variants("logaddexp"), **params)
    if "variant" in params:
        values["rule"] = target.rule("logaddexp", params["variant"])
    import inspect
    wanted = inspect.signature(inner or fn).parameters
    try:
        with backend.x64_for(dtype):
            fn(**{k: v for k, v in values.items() if k in wanted})
    except AssertionError as failure:
        return failure
    return None


CASES = [(defect, fn, params) for defect, checks in EXPECTED.items() for fn, params in checks]


@pytest.mark.parametrize("defect, fn, params", CASES,
                         ids=[f"{d}-{fn.__name__}" for d, fn, _ in CASES])
def test_binary_defect_is_caught(targets, defect, fn, params):
    failure = run_property(fn, targets[defect], "float32", params)
    assert failure is not None, f"{defect} escaped {fn.__name__}{params}"


_CHECKS = {(fn.__name__, repr(params)): (fn, params) for _, fn, params in CASES}


@pytest.mark.parametrize("check", list(_CHECKS), ids=[f"{n}{p}" for n, p in _CHECKS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_correct_binary_rules_pass_the_same_checks(targets, check, dtype):
    fn, params = _CHECKS[check]
    failure = run_property(fn, targets["correct"], dtype, params)
    assert failure is None, f"false alarm on the correct logaddexp: {failure}"


def test_wrong_second_cotangent_message_names_both_inputs(targets):
    failure = run_property(test_accuracy.test_special_values_within_ulp_budget,
                           targets["wrong_second_cotangent"], "float32",
                           dict(variant="vjp", derivative=((0, 1), "reverse")))
    message = str(failure)
    assert "logaddexp_vjp dy reverse float32" in message, message
    assert ", y=" in message and "ULP > budget" in message, message
    assert "jax.grad(f, argnums=1)(x, y)" in message, message


def test_not_reduced_cotangent_message_names_the_shapes(targets):
    failure = run_property(test_transforms.test_broadcasting, targets["cotangent_not_reduced"],
                           "float32", dict(variant="vjp", shapes=_OUTER[0]))
    assert "x.shape=(3, 1), y.shape=(1, 8)" in str(failure), str(failure)
