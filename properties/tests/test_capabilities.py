"""Property 14: what a rule must refuse, and what it must give at zero and for integers.

- A ``custom_vjp`` has no forward mode: ``jax.jvp``, ``jax.jacfwd``,
  ``jax.hessian`` and applying ``jax.linearize``'s map must raise JAX's own
  ``TypeError`` ("can't apply forward-mode autodiff (jvp) to a custom_vjp
  function"), not another exception, and not return a number.
- A zero cotangent (``jax.vjp``, first and second order) and a zero tangent
  (``jax.jvp``, ``custom_jvp``) give exactly 0 at every special input that is
  not nan and whose derivative is finite: a rule must be linear in them.
- Integer inputs: the value is that of the input promoted to a float, bit for
  bit; ``jax.grad`` refuses them (``TypeError``); ``jax.vjp``'s cotangent is
  ``float0`` of the input's shape; ``jax.jvp`` with a ``float0`` tangent gives a
  zero tangent of the value's dtype.

Each is one call per rule and dtype (the zero checks run every input at once).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from properties import programs
from properties.assertions import assert_true

pytestmark = pytest.mark.programs  # opt-in, with the programs properties

FORWARD_ONLY = {
    "jax.jvp": lambda f, a: jax.jvp(f, a, tuple(jnp.ones_like(x) for x in a)),
    "jax.jacfwd": lambda f, a: jax.jacfwd(f, argnums=tuple(range(len(a))))(*a),
    "jax.hessian": lambda f, a: jax.hessian(lambda *b: jnp.sum(f(*b)),
                                            argnums=tuple(range(len(a))))(*a),
    "jax.linearize(f, x)[1](t)": lambda f, a: jax.linearize(f, *a)[1](
        *(jnp.ones_like(x) for x in a)),
}
JAX_REFUSAL = "can't apply forward-mode autodiff (jvp) to a custom_vjp function"


@pytest.mark.usefixtures("differentiable")
def test_custom_vjp_refuses_forward_mode(op, target, dtype):
    rule = target.rule(op.name, "vjp")
    if rule is None:
        pytest.skip(target.missing_reason(op.name, "vjp"))
    args = tuple(np.linspace(-3, 3, programs.ROW, dtype=dtype) for _ in range(op.arity))
    for api, call in FORWARD_ONLY.items():
        try:  # lowered, not compiled: JAX raises the refusal while lowering (not tracing)
            lowered = jax.jit(lambda *a, call=call: call(rule, a)).lower(*args)
            out = lowered.out_info
        except TypeError as error:
            assert_true(JAX_REFUSAL in str(error),
                        f"forward mode on a custom_vjp: {api}({op.name}_vjp) {dtype} raised "
                        f"TypeError: {str(error).splitlines()[0]!r}, but should raise JAX's "
                        f"{JAX_REFUSAL!r}")
            continue
        except Exception as error:  # noqa: BLE001 - a crash is the failure
            raise AssertionError(
                f"forward mode on a custom_vjp: {api}({op.name}_vjp) {dtype} crashed with "
                f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}, but "
                f"should raise JAX's TypeError {JAX_REFUSAL!r}") from None
        first = jax.tree_util.tree_leaves(out, is_leaf=lambda v: hasattr(v, "shape"))[0]
        raise AssertionError(
            f"forward mode on a custom_vjp: {api}({op.name}_vjp) {dtype} returned numbers "
            f"(an array of shape {first.shape}, {first.dtype}), but should raise JAX's TypeError {JAX_REFUSAL!r}: "
            f"is {op.name}_vjp a jax.custom_vjp?")


@functools.lru_cache(maxsize=None)
def _zero_maps(rule, arity: int, forward: bool):
    """Jitted: inputs -> every zero-(co)tangent result, keyed by name, and the
    unit-(co)tangent derivatives they are judged beside."""
    def run(*a):
        zeros = tuple(jnp.zeros_like(x) for x in a)
        y, pullback = jax.vjp(rule, *a)
        out = {f"vjp cotangent 0 -> d{'xy'[i] if arity == 2 else ''}": ct
               for i, ct in enumerate(pullback(jnp.zeros_like(y)))}
        grad = lambda *b: jax.grad(lambda *c: jnp.sum(rule(*c)), argnums=0)(*b)
        _, pullback2 = jax.vjp(grad, *a)
        out["vjp of grad, cotangent 0"] = pullback2(jnp.zeros_like(y))[0]
        if forward:
            out["jvp tangent 0"] = jax.jvp(rule, a, zeros)[1]
            out["jvp of grad, tangent 0"] = jax.jvp(grad, a, zeros)[1]
        ones = jax.vjp(rule, *a)[1](jnp.ones_like(y))
        return out, ones
    return jax.jit(run)


@pytest.mark.usefixtures("differentiable")
def test_zero_cotangent_and_tangent_give_zero(op, variant, rule, dtype):
    args = programs.special_inputs(op, dtype)
    results, ones = _zero_maps(rule, op.arity, variant == "jvp")(*programs.padded(args))
    n = args[0].size
    judged = np.ones(n, bool)
    for a in args:
        judged &= ~np.isnan(a)
    for d in ones:  # where a derivative is infinite, 0 * inf is nan by IEEE arithmetic
        judged &= np.isfinite(np.asarray(d)[:n])
    for name, got in results.items():
        got = np.asarray(got)[:n]
        bad = np.flatnonzero(judged & (got != 0))
        if bad.size:
            i = int(bad[0])
            at = ", ".join(f"{v}={a[i]!r}" for v, a in zip("xy", args))
            raise AssertionError(
                f"zero (co)tangent: {op.name}_{variant} {name} {dtype}: {bad.size} of "
                f"{int(judged.sum())} elements are not 0: out={got[i]!r}, but should be 0.0 "
                f"at {at} [a rule must be linear in its cotangent/tangent]")


def _promoted(x):
    """``x`` as the float JAX promotes integers to in elementwise functions (jnp.exp's)."""
    return np.asarray(x).astype(jax.eval_shape(jnp.exp, x).dtype)


@pytest.mark.usefixtures("differentiable")
def test_integer_inputs(op, variant, rule, dtype):
    """The value of integers is the value of the promoted floats; derivatives are
    refused (``grad``) or ``float0`` (``vjp``), and a ``float0`` tangent gives 0."""
    ints = np.arange(-3, 5, dtype=np.int32)
    args = (ints,) * op.arity
    what = f"integer inputs: {op.name}_{variant} {dtype}"
    try:
        value = np.asarray(rule(*args))
        y, pullback = jax.vjp(rule, *args)
        cotangents = pullback(jnp.ones_like(y))
        tangent = (np.asarray(jax.jvp(rule, args, tuple(np.zeros(ints.shape, jax.dtypes.float0)
                                                        for _ in args))[1])
                   if variant == "jvp" else None)
    except Exception as error:  # noqa: BLE001 - a crash is the failure
        raise AssertionError(f"{what}: raised {type(error).__name__}: "
                             f"{(str(error).splitlines() or [''])[0]} [x={ints.tolist()!r}]") from None
    expected = np.asarray(rule(*(_promoted(a) for a in args)))
    assert_true(value.dtype == expected.dtype and programs.same_bits(value, expected).all(),
                f"{what}: out={value.tolist()!r} ({value.dtype}), but should be "
                f"{expected.tolist()!r} ({expected.dtype}), the value at the promoted floats "
                f"[x={ints.tolist()!r}]")
    for i, ct in enumerate(cotangents):
        ct = np.asarray(ct)
        assert_true(ct.dtype == jax.dtypes.float0 and ct.shape == ints.shape,
                    f"{what}: jax.vjp cotangent {i} has dtype/shape {ct.dtype}/{ct.shape}, but "
                    f"should be float0/{ints.shape} (JAX's zero cotangent of an integer input)")
    if tangent is not None:
        assert_true(tangent.dtype == value.dtype and (tangent == 0).all(),
                    f"{what}: jax.jvp with a float0 tangent gave {tangent.tolist()!r} "
                    f"({tangent.dtype}), but should be zeros of {value.dtype}")
    try:
        jax.grad(lambda *a: jnp.sum(rule(*a)))(*args)
    except TypeError:
        return
    raise AssertionError(f"{what}: jax.grad returned a number, but should raise TypeError "
                         f"(grad requires real- or complex-valued inputs)")
