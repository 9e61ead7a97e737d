"""What ``stable_ops`` does with inputs other than float32/float64 arrays.

Each gets what ``jax.nn.softplus`` gives it (``jnp.logaddexp(x, 0)``'s
promotion), or a ``TypeError`` naming what was given:

=======================  ==================================================
input                    result
=======================  ==================================================
int8/16/32, uint arrays  float32 (x64 on or off), as jax.nn.softplus
int64 array / scalar     float64 with x64 on, float32 off
Python int, bool, bool   the default float, weakly typed
array
Python float             the default float, weakly typed
float16, bfloat16        the same dtype (evaluated in float64, rounded once)
0-d and empty arrays     same shape and dtype
complex (array, Python)  TypeError: "expects a real floating dtype"
None, list, tuple        TypeError: "expects an array or a scalar"
str, object()            TypeError from JAX naming the type
=======================  ==================================================

``stable_ops.sigmoid`` follows the same promotion (``jax.nn.sigmoid`` itself
refuses integers). Values are checked bit for bit against the rule applied to
the input converted explicitly to the promoted dtype.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import stable_ops

RULES = {"softplus_jvp": stable_ops.softplus_jvp, "softplus_vjp": stable_ops.softplus_vjp,
         "sigmoid": stable_ops.sigmoid}

PROMOTED = {  # input -> as jax.nn.softplus promotes it
    "int8 array": np.array([1, -3], np.int8),
    "int32 array": np.array([1, -2, 40], np.int32),
    "uint8 array": np.array([0, 200], np.uint8),
    "int64 array": np.array([1, -700], np.int64),
    "numpy int64 scalar": np.int64(3),
    "Python int": 3,
    "Python bool": True,
    "bool array": np.array([True, False]),
    "Python float": 1.5,
    "0-d float32": np.float32(2.0),
    "empty float32": np.zeros((0,), np.float32),
    "empty 2-d float64": np.zeros((2, 0), np.float64),
}

HALF = {  # dtype kept; values are the float32 result rounded once more
    "float16": np.array([0.0, 1.5, -20.0, 11.0], np.float16),
    "bfloat16": np.array([0.0, 1.5, -20.0, 90.0], jnp.bfloat16),
}

REFUSED = {  # input -> the TypeError's message
    "complex64 array": (np.array([1 + 1j], np.complex64), "expects a real floating dtype"),
    "Python complex": (1 + 2j, "expects a real floating dtype"),
    "None": (None, "expects an array or a scalar, got NoneType"),
    "list": ([1.0, 2.0], "expects an array or a scalar, got list"),
    "tuple": ((1.0,), "expects an array or a scalar, got tuple"),
    "str": ("1.5", "str"),
    "object": (object(), "object"),
}


@pytest.fixture(params=[False, True], ids=["x64-off", "x64-on"])
def x64(request):
    with jax.enable_x64(request.param):
        yield request.param


@pytest.mark.parametrize("rule", RULES, ids=list(RULES))
@pytest.mark.parametrize("name", PROMOTED)
def test_promotes_as_jax_nn_softplus(rule, name, x64):
    x = PROMOTED[name]
    out = RULES[rule](x)
    peer = jax.nn.softplus(x)
    assert (out.dtype, out.weak_type, out.shape) == (peer.dtype, peer.weak_type, peer.shape), (
        f"{rule}({name}): out dtype={out.dtype} weak={out.weak_type} shape={out.shape}, but "
        f"should be dtype={peer.dtype} weak={peer.weak_type} shape={peer.shape} "
        f"(as jax.nn.softplus) [x64={x64}]")
    explicit = RULES[rule](jnp.asarray(x, dtype=peer.dtype))
    np.testing.assert_array_equal(np.asarray(out), np.asarray(explicit),
                                  err_msg=f"{rule}({name}) [x64={x64}]")


@pytest.mark.parametrize("rule", RULES, ids=list(RULES))
@pytest.mark.parametrize("name", HALF)
def test_half_precision_keeps_its_dtype(rule, name, x64):
    x = HALF[name]
    out = RULES[rule](x)
    assert out.dtype == x.dtype, f"{rule}({name}): out.dtype={out.dtype}, but should be {x.dtype}"
    wide = np.asarray(RULES[rule](x.astype(np.float32))).astype(x.dtype)
    np.testing.assert_array_equal(np.asarray(out), wide, err_msg=f"{rule}({name}) [x64={x64}]")


@pytest.mark.parametrize("rule", RULES, ids=list(RULES))
@pytest.mark.parametrize("name", REFUSED)
def test_refused_with_a_type_error(rule, name, x64):
    x, message = REFUSED[name]
    with pytest.raises(TypeError, match=message):
        RULES[rule](x)


def test_promotion_holds_under_jit_and_vmap():
    x = np.array([[1, -2], [3, 40]], np.int32)
    with jax.enable_x64(True):
        for fn in (jax.jit(stable_ops.softplus_jvp), jax.vmap(stable_ops.softplus_vjp)):
            out = fn(x)
            assert out.dtype == jax.nn.softplus(x).dtype == np.float32, out.dtype
