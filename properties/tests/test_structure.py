"""Properties 6-8: dtypes, agreement with autodiff, residuals.

6. Output dtypes equal input dtypes for values and every derivative; weakly
   typed Python floats behave as they do for ``jax.nn.softplus``.
7. The custom rules agree with autodiff of a stable formulation
   (:func:`stable_formulation`: softplus by branches, not ``jnp.logaddexp(x, 0)``)
   where that autodiff is accurate, and pass ``jax.test_util.check_grads`` to
   order 2 in every mode the variant supports.
8. The ``custom_vjp`` residuals are at most one array of x's size.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, strategies as st
from jax.test_util import check_grads

import reference

from properties import evaluate, strategies
from properties.assertions import assert_true, assert_within_budget, compare, derivative_label
from properties.budgets import AUTODIFF_AGREEMENT
from properties.evaluate import derivatives_for, scalar_derivative
from properties.target import VARIANT_MODES


def _supported(variant, op):
    return derivatives_for(VARIANT_MODES[variant], op=op)


def _dtype_inputs(op, dtype):
    x = np.array([-3.0, 0.0, 0.5, 40.0], dtype=dtype)
    return (x,) if op.arity == 1 else (x, x[::-1].copy())


def test_output_dtype_equals_input_dtype(op, variant, rule, dtype):
    """Also float32 inputs with x64 enabled (as inside a float64 program), where a
    strongly typed float64 constant in a rule would promote them."""
    args = _dtype_inputs(op, dtype)
    for order, mode in _supported(variant, op):
        out = np.asarray(evaluate.evaluate(rule, order, mode, *args))
        assert_true(out.dtype == np.dtype(dtype),
                    f"{op.name}_{variant} {derivative_label(order, mode)}: out.dtype={out.dtype}, "
                    f"but should be {dtype} [x.dtype={dtype}]")
    if dtype != "float32":
        return
    with jax.enable_x64(True):
        for order, mode in _supported(variant, op):
            shaped = jax.eval_shape(jax.vmap(scalar_derivative(rule, order, mode)), *args)
            assert_true(shaped.dtype == np.dtype(dtype),
                        f"{op.name}_{variant} {derivative_label(order, mode)} with x64 enabled: "
                        f"out.dtype={shaped.dtype}, but should be {dtype} [x.dtype={dtype}]")


#: What weakly typed Python floats should give, by arity: what these give.
WEAK_TYPE_PEERS = {1: ("jax.nn.softplus", jax.nn.softplus), 2: ("jnp.logaddexp", jnp.logaddexp)}


def test_weak_python_floats_behave_as_jax_nn(op, variant, rule, dtype):
    """A Python float gives what jax.nn.softplus (binary: jnp.logaddexp) gives: the
    same dtype and weak type."""
    peer_name, peer = WEAK_TYPE_PEERS[op.arity]
    args = (1.5,) if op.arity == 1 else (1.5, 0.5)
    for order, mode in _supported(variant, op):
        ours = scalar_derivative(rule, order, mode)(*args)
        theirs = scalar_derivative(peer, order, mode)(*args)
        assert_true((ours.dtype, ours.weak_type) == (theirs.dtype, theirs.weak_type),
                    f"{op.name}_{variant} {derivative_label(order, mode)} of Python float(s) "
                    f"{args}: out dtype={ours.dtype} weak_type={ours.weak_type}, but should be "
                    f"dtype={theirs.dtype} weak_type={theirs.weak_type} (as {peer_name})")


def stable_formulation(x):
    """softplus by branches, ``x + log1p(exp(-x))`` for x > 0, ``log1p(exp(x))`` else.

    JAX's autodiff of it is accurate to a few ULP to second order over the whole
    range (see budgets.AUTODIFF_AGREEMENT). Not ``max(x, 0) + log1p(exp(-|x|))``:
    ``grad(abs)(0.)`` is 1 here, which makes its derivative 0 at x = 0; not
    ``logaddexp(x, 0)``: its second derivative is ~1e6 ULP off (jax-ml/jax#40387).
    The inner ``where``s keep the unselected branch finite, so its zero cotangent
    cannot turn into nan.
    """
    positive = x > 0
    xp = jnp.where(positive, x, 0)
    xn = jnp.where(positive, 0, x)
    return jnp.where(positive, xp + jnp.log1p(jnp.exp(-xp)), jnp.log1p(jnp.exp(xn)))


#: op -> a formulation whose JAX autodiff is accurate to AUTODIFF_AGREEMENT.
STABLE_FORMULATIONS = {"softplus": stable_formulation}


@given(data=st.data())
def test_agrees_with_autodiff_of_stable_formula(op, variant, rule, dtype, budgets,
                                                flush_allowed, data):
    """First and second derivatives agree with autodiff of :func:`stable_formulation`."""
    if op.name not in STABLE_FORMULATIONS:
        pytest.skip(f"no stable formulation with measured autodiff accuracy declared for "
                    f"{op.name!r} (STABLE_FORMULATIONS)")
    stable = STABLE_FORMULATIONS[op.name]
    x = data.draw(strategies.batches(dtype, op=op, allow_nonfinite=False), label="x")
    for order, mode in _supported(variant, op):
        if order == 0:
            continue
        ours = evaluate.evaluate(rule, order, mode, x)
        autodiff = evaluate.evaluate(stable, order, mode, x)
        slack = 2 * (budgets(op.name, order, dtype) + AUTODIFF_AGREEMENT[(order, dtype)])
        # The autodiff result is taken as exact: distance in its ULPs.
        assert_within_budget(
            compare(ours, lambda a: a, autodiff),
            what=f"autodiff agreement: {op.name}_{variant} d{order} {mode} {dtype} "
                 f"(expected = autodiff of stable_formulation; 'x' below is that value)",
            rule=f"{op.name}_{variant}", derivative=f"d{order} {mode} vs autodiff",
            budget=slack, flush_allowed=flush_allowed)


# Finite differences (eps 1e-4 in float32) only resolve derivatives where the
# outputs are O(1): at x = 9, float32 rounding noise of softplus(x +- eps) is
# ~5e-3 relative, above check_grads' own float32 tolerance (2e-3).
_CHECK_GRADS_POINTS = (-2.5, -0.75, 0.0, 0.3, 1.5)


def _finite_around(op, args, dtype) -> bool:
    """Whether the value and every derivative checked are finite at ``args`` (inside
    ``op.finite_domain`` where declared, else by the correctly rounded reference)."""
    if dtype in op.finite_domain:
        return all(op.finite_inputs(a).all() for a in args)
    try:
        return all(np.isfinite(reference.correctly_rounded(op.reference(index), *args, dtype=dtype)).all()
                   for index in op.indices)
    except reference.NotDifferentiable:
        return False


@pytest.mark.usefixtures("differentiable")
def test_check_grads(op, variant, rule, dtype):
    """jax.test_util.check_grads to order 2 in the modes the variant supports.

    It differentiates the rule's own outputs, including the primal output of a
    nested ``jvp``, which the other properties never look at. A binary op is
    checked at pairs of the points (``y`` the points reversed).
    """
    modes = ["rev"] if variant == "vjp" else ["fwd", "rev"]
    for i, point in enumerate(_CHECK_GRADS_POINTS):
        args = (np.array([point], dtype=dtype),)
        if op.arity == 2:
            args += (np.array([_CHECK_GRADS_POINTS[-1 - i]], dtype=dtype),)
        if not _finite_around(op, args, dtype):
            continue  # outside the op's domain, or at a pole (e.g. log1mexp at x <= 0)
        try:
            check_grads(rule, args, order=2, modes=modes)
        except AssertionError as failure:
            at = ", ".join(f"{n}={a[0]!r}" for n, a in zip("xy", args))
            raise AssertionError(f"check_grads: {op.name}_{variant} {dtype} order 2 "
                                 f"modes {modes} at {at}:\n{failure}") from None


@pytest.mark.usefixtures("differentiable")
def test_vjp_residuals_at_most_one_array_of_x_size(op, target, dtype):
    """At most one array of each input's size (binary: one per input)."""
    rule = target.rule(op.name, "vjp")
    if rule is None:
        pytest.skip(target.missing_reason(op.name, "vjp"))
    args = (np.linspace(-3, 3, 17, dtype=dtype),) * op.arity
    _, vjp_fun = jax.vjp(rule, *args)
    leaves = jax.tree_util.tree_leaves(vjp_fun)
    saved = [np.shape(leaf) for leaf in leaves]
    total = sum(int(np.size(leaf)) for leaf in leaves)
    allowed = sum(a.size for a in args)
    per = "x's size" if op.arity == 1 else "each input's size"
    assert_true(total <= allowed,
                f"{op.name}_vjp residuals: {len(leaves)} arrays of shapes {saved} "
                f"({total} elements), but should be at most one array of {per} ({allowed})")
